/* Redis through hiredis, for what the Dapr state API cannot express (sorted
 * sets, counters with expiry, pub/sub fan-out). Keys carry the prefix
 * "todo:". A handle is one connection used by one thread at a time. */
#ifndef SVC_REDIS_H
#define SVC_REDIS_H

#include <hiredis/hiredis.h>

#include "svc/result.h"

struct svc_redis;

/* Copies host; connects on first command. Free with svc_redis_free. */
struct svc_redis *svc_redis_new(const char *host, int port, long timeout_ms);
void svc_redis_free(struct svc_redis *r);
/* This thread's handle (one address per process), freed at thread exit. */
struct svc_redis *svc_redis_thread(const char *host, int port, long timeout_ms);

/* Runs one command (hiredis format). *out (may be NULL to discard) holds the
 * reply; caller frees with freeReplyObject. A Redis error reply is
 * SVC_EUPSTREAM; a broken connection SVC_EUNAVAIL (re-made next call). */
enum svc_result svc_redis_cmd(struct svc_redis *r, redisReply **out,
			      struct svc_err *err, const char *fmt, ...);
/* Same with an argument vector (binary-safe). */
enum svc_result svc_redis_argv(struct svc_redis *r, int argc, const char **argv,
			       redisReply **out, struct svc_err *err);

enum svc_result svc_redis_ping(struct svc_redis *r, struct svc_err *err);

struct svc_redis_addr {
	const char *host;
	int port;
};

/* A /readyz check: arg is a struct svc_redis_addr (borrowed for the
 * process's life); pings on this thread's own handle. */
enum svc_result svc_redis_ready_check(void *arg, struct svc_err *err);

#endif
