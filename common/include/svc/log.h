/* One JSON object per line on stdout. Thread-safe. */
#ifndef SVC_LOG_H
#define SVC_LOG_H

enum svc_log_level { SVC_LOG_DEBUG, SVC_LOG_INFO, SVC_LOG_WARN, SVC_LOG_ERROR };

/* service is copied. Lines below min are discarded. */
void svc_log_init(const char *service, enum svc_log_level min);
/* Parses "debug|info|warn|error"; returns 0, or -1 leaving *out unchanged. */
int svc_log_level_parse(const char *s, enum svc_log_level *out);

/* Writes {"ts","level","service","id"?,"msg"} where id is the request or
 * event id (may be NULL). The message is JSON-escaped. */
void svc_log(enum svc_log_level level, const char *id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

struct event_base;

/* From now on, lines the calling thread (the loop's, made by svc_loop_new)
 * logs wait in a batch of whole lines (at most PIPE_BUF bytes, so a write
 * stays whole on a pipe) that goes out in one write: in the first pass of
 * the loop with nothing else ready, once full, once its oldest line is
 * 200 ms old, or at once with a warning or an error. Under load this turns
 * the line per request into one write per twenty-odd requests; when idle a
 * line still goes out within the pass that logged it. Other threads keep
 * writing line by line. One thread batches at a time. 0, or -1 on OOM or
 * when another thread batches (nothing changes). */
int svc_log_batch(struct event_base *base);
/* Flushes and stops batching; call before the loop's base is freed. */
void svc_log_batch_end(void);

#define svc_debug(id, ...) svc_log(SVC_LOG_DEBUG, id, __VA_ARGS__)
#define svc_info(id, ...) svc_log(SVC_LOG_INFO, id, __VA_ARGS__)
#define svc_warn(id, ...) svc_log(SVC_LOG_WARN, id, __VA_ARGS__)
#define svc_error(id, ...) svc_log(SVC_LOG_ERROR, id, __VA_ARGS__)

#endif
