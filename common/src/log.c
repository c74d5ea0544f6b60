#include "svc/log.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "svc/loop.h"
#include "svc/util.h"

static char service_name[64] = "svc";
static enum svc_log_level min_level = SVC_LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void svc_log_init(const char *service, enum svc_log_level min)
{
	snprintf(service_name, sizeof service_name, "%s", service);
	min_level = min;
}

int svc_log_level_parse(const char *s, enum svc_log_level *out)
{
	for (int i = 0; i < 4; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum svc_log_level)i;
			return 0;
		}
	}
	return -1;
}

/* The loop thread's batch (svc_log_batch): whole lines, at most PIPE_BUF
 * bytes, so one write of it stays whole on a pipe however many threads
 * write beside it. Only the thread that started batching touches it, and
 * only one thread batches at a time (flush is set while one does). */
static struct {
	struct event *flush; /* lowest priority: a pass with nothing else ready */
	char data[PIPE_BUF];
	size_t len;
	long long since_ms; /* when the oldest line waiting was logged */
} batch;
static _Thread_local bool batching;

/* Lines wait no longer than this under a load that never leaves the loop
 * a pass of its own for the flush. */
enum { BATCH_MAX_AGE_MS = 200 };

static void write_all(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDOUT_FILENO, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* nowhere to report it */
		p += w;
		n -= (size_t)w;
	}
}

/* Writes what the batch holds (on the batching thread; no-op elsewhere). */
static void flush_batch(void)
{
	if (!batching || batch.len == 0)
		return;
	write_all(batch.data, batch.len);
	batch.len = 0;
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	flush_batch();
}

int svc_log_batch(struct event_base *base)
{
	if (batching)
		return 0;
	if (batch.flush)
		return -1; /* another thread's batch */
	batch.flush = event_new(base, -1, 0, on_flush, NULL);
	if (!batch.flush || event_priority_set(batch.flush, SVC_LOOP_PRIORITIES - 1) != 0) {
		if (batch.flush)
			event_free(batch.flush);
		batch.flush = NULL;
		return -1;
	}
	batch.len = 0;
	batching = true;
	return 0;
}

void svc_log_batch_end(void)
{
	if (!batching)
		return;
	flush_batch();
	batching = false;
	event_free(batch.flush);
	batch.flush = NULL;
}

/* The loop thread's line joins the batch, which goes out in the loop's next
 * pass with nothing else ready, once full, once its oldest line is
 * BATCH_MAX_AGE_MS old, or at once for a warning or an error. */
static void batch_line(enum svc_log_level level, const char *line, size_t n)
{
	long long now = svc_now_ms();
	if (batch.len > 0 && (batch.len + n > sizeof batch.data ||
			      now - batch.since_ms >= BATCH_MAX_AGE_MS))
		flush_batch();
	if (n > sizeof batch.data) {
		write_all(line, n);
		return;
	}
	if (batch.len == 0)
		batch.since_ms = now;
	memcpy(batch.data + batch.len, line, n);
	batch.len += n;
	if (level >= SVC_LOG_WARN)
		flush_batch();
	else
		event_active(batch.flush, 0, 0);
}

void svc_log(enum svc_log_level level, const char *id, const char *fmt, ...)
{
	if (level < min_level)
		return;
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);

	char ts[40];
	svc_time_now_rfc3339(ts, sizeof ts);
	/* Room for the message and the id at their longest escaped (six bytes
	 * a character) besides the rest: a line is never cut short of its
	 * closing brace. */
	struct svc_buf line;
	svc_buf_init(&line, 6 * (sizeof msg + (id ? strlen(id) : 0)) + 1024);
	svc_buf_printf(&line, "{\"ts\":\"%s\",\"level\":\"%s\",\"service\":",
		       ts, level_names[level]);
	svc_buf_json_string(&line, service_name);
	if (id && *id) {
		svc_buf_append(&line, ",\"id\":", 6);
		svc_buf_json_string(&line, id);
	}
	svc_buf_append(&line, ",\"msg\":", 7);
	svc_buf_json_string(&line, msg);
	svc_buf_append(&line, "}\n", 2);
	/* One write per line (or per batch of whole lines) keeps lines whole
	 * across threads. */
	if (line.data && !line.failed) {
		if (batching)
			batch_line(level, line.data, line.len);
		else
			write_all(line.data, line.len);
	}
	svc_buf_cleanup(&line);
}
