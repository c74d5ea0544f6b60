#include "svc/redis.h"

#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct svc_redis {
	char *host;
	int port;
	long timeout_ms;
	redisContext *ctx;
};

static pthread_key_t thread_key;
static pthread_once_t thread_once = PTHREAD_ONCE_INIT;

static void thread_free(void *p)
{
	svc_redis_free(p);
}

static void make_key(void)
{
	pthread_key_create(&thread_key, thread_free);
}

struct svc_redis *svc_redis_new(const char *host, int port, long timeout_ms)
{
	struct svc_redis *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->host = strdup(host);
	if (!r->host) {
		free(r);
		return NULL;
	}
	r->port = port;
	r->timeout_ms = timeout_ms;
	return r;
}

void svc_redis_free(struct svc_redis *r)
{
	if (!r)
		return;
	if (r->ctx)
		redisFree(r->ctx);
	free(r->host);
	free(r);
}

struct svc_redis *svc_redis_thread(const char *host, int port, long timeout_ms)
{
	pthread_once(&thread_once, make_key);
	struct svc_redis *r = pthread_getspecific(thread_key);
	if (!r) {
		r = svc_redis_new(host, port, timeout_ms);
		if (r)
			pthread_setspecific(thread_key, r);
	}
	return r;
}

/* Whether Redis closed an idle connection (it restarted, or its idle
 * timeout ended it): nothing arrives on one unasked, so anything to read
 * is the end. Checked before each command, so that the command goes out on
 * a fresh connection instead of failing on the dead one; a command never
 * runs twice. */
static bool closed_by_peer(const redisContext *c)
{
	struct pollfd p = {.fd = c->fd, .events = POLLIN};
	return poll(&p, 1, 0) != 0;
}

static enum svc_result ensure(struct svc_redis *r, struct svc_err *err)
{
	if (r->ctx && !r->ctx->err && !closed_by_peer(r->ctx))
		return SVC_OK;
	if (r->ctx) {
		redisFree(r->ctx);
		r->ctx = NULL;
	}
	struct timeval tv = {r->timeout_ms / 1000, (r->timeout_ms % 1000) * 1000};
	r->ctx = redisConnectWithTimeout(r->host, r->port, tv);
	if (!r->ctx)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	if (r->ctx->err) {
		svc_err_set(err, SVC_EUNAVAIL, NULL, "redis unavailable: %s", r->ctx->errstr);
		redisFree(r->ctx);
		r->ctx = NULL;
		return SVC_EUNAVAIL;
	}
	redisSetTimeout(r->ctx, tv);
	return SVC_OK;
}

static enum svc_result check(struct svc_redis *r, redisReply *rep, redisReply **out,
			     struct svc_err *err)
{
	if (!rep) {
		enum svc_result code = svc_err_set(err, SVC_EUNAVAIL, NULL, "redis: %s",
						   r->ctx->errstr);
		redisFree(r->ctx);
		r->ctx = NULL;
		return code;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		svc_err_set(err, SVC_EUPSTREAM, NULL, "redis: %.200s", rep->str);
		freeReplyObject(rep);
		return SVC_EUPSTREAM;
	}
	if (out)
		*out = rep;
	else
		freeReplyObject(rep);
	return SVC_OK;
}

enum svc_result svc_redis_cmd(struct svc_redis *r, redisReply **out,
			      struct svc_err *err, const char *fmt, ...)
{
	if (out)
		*out = NULL;
	enum svc_result rc = ensure(r, err);
	if (rc != SVC_OK)
		return rc;
	va_list ap;
	va_start(ap, fmt);
	redisReply *rep = redisvCommand(r->ctx, fmt, ap);
	va_end(ap);
	return check(r, rep, out, err);
}

enum svc_result svc_redis_argv(struct svc_redis *r, int argc, const char **argv,
			       redisReply **out, struct svc_err *err)
{
	if (out)
		*out = NULL;
	enum svc_result rc = ensure(r, err);
	if (rc != SVC_OK)
		return rc;
	redisReply *rep = redisCommandArgv(r->ctx, argc, argv, NULL);
	return check(r, rep, out, err);
}

enum svc_result svc_redis_ping(struct svc_redis *r, struct svc_err *err)
{
	return svc_redis_cmd(r, NULL, err, "PING");
}

enum svc_result svc_redis_ready_check(void *arg, struct svc_err *err)
{
	const struct svc_redis_addr *a = arg;
	struct svc_redis *r = svc_redis_thread(a->host, a->port, 1000);
	if (!r)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	return svc_redis_ping(r, err);
}
