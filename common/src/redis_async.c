/* The asynchronous Redis client; see redis.h. A command is a pending
 * record: hiredis holds it as privdata until the reply (or the connection's
 * end) comes, our timer may answer the caller first. Whichever comes first
 * answers; the record is freed once both hiredis and the timer are done
 * with it. */
#include "svc/redis.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>

#include "svc/log.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000

struct pending {
	struct svc_redis_async *a;
	svc_redis_reply_fn fn;
	void *arg;
	struct event *timer;
	bool answered; /* the caller heard the end */
};

struct svc_redis_async {
	struct event_base *base;
	char host[64];
	int port;
	long timeout_ms;
	redisAsyncContext *ac; /* NULL while down */
	bool connected;
	long backoff_ms;
	struct event *retry;
	bool freeing;
};

static void answer(struct pending *p, enum svc_result r, const redisReply *reply,
		   const struct svc_err *err)
{
	if (p->answered)
		return;
	p->answered = true;
	if (p->timer)
		evtimer_del(p->timer);
	p->fn(p->arg, r, reply, err);
}

static void pending_free(struct pending *p)
{
	if (p->timer)
		event_free(p->timer);
	free(p);
}

/* hiredis's callback: the reply, or NULL when the connection ended. It is
 * the last word on p. */
static void on_reply(redisAsyncContext *ac, void *r, void *privdata)
{
	(void)ac;
	struct pending *p = privdata;
	const redisReply *reply = r;
	struct svc_err err = {0};
	if (!reply) {
		svc_err_set(&err, SVC_EUNAVAIL, NULL, "redis: connection lost");
		answer(p, SVC_EUNAVAIL, NULL, &err);
	} else if (reply->type == REDIS_REPLY_ERROR) {
		svc_err_set(&err, SVC_EUPSTREAM, NULL, "redis: %.200s", reply->str);
		answer(p, SVC_EUPSTREAM, reply, &err);
	} else {
		answer(p, SVC_OK, reply, NULL);
	}
	pending_free(p);
}

static void schedule_retry(struct svc_redis_async *a);

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct pending *p = arg;
	struct svc_redis_async *a = p->a;
	struct svc_err err = {0};
	svc_err_set(&err, SVC_ETIMEOUT, NULL, "redis: no answer in %ld ms", a->timeout_ms);
	answer(p, SVC_ETIMEOUT, NULL, &err);
	/* A connection that stopped answering is not to be trusted with the
	 * next command: drop it (what is pending fails now, p is freed) and
	 * connect again. */
	if (a->ac) {
		redisAsyncContext *ac = a->ac;
		a->ac = NULL;
		a->connected = false;
		svc_warn(NULL, "redis %s:%d: %s; reconnecting", a->host, a->port, err.message);
		redisAsyncFree(ac);
		if (!evtimer_pending(a->retry, NULL))
			schedule_retry(a);
	}
}

static void connect_now(struct svc_redis_async *a);

static void schedule_retry(struct svc_redis_async *a)
{
	if (a->freeing)
		return;
	struct timeval tv = {a->backoff_ms / 1000, (a->backoff_ms % 1000) * 1000};
	evtimer_add(a->retry, &tv);
	a->backoff_ms = a->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : a->backoff_ms * 2;
}

static void on_connect(const redisAsyncContext *ac, int status)
{
	struct svc_redis_async *a = ac->data;
	if (status != REDIS_OK) {
		/* hiredis frees the context after this. */
		svc_warn(NULL, "redis %s:%d: cannot connect: %s", a->host, a->port,
			 ac->errstr[0] ? ac->errstr : "error");
		a->ac = NULL;
		a->connected = false;
		schedule_retry(a);
		return;
	}
	a->connected = true;
	a->backoff_ms = BACKOFF_MIN_MS;
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	struct svc_redis_async *a = ac->data;
	a->ac = NULL;
	a->connected = false;
	if (a->freeing)
		return;
	if (status != REDIS_OK)
		svc_warn(NULL, "redis %s:%d: connection lost: %s", a->host, a->port,
			 ac->errstr[0] ? ac->errstr : "closed");
	schedule_retry(a);
}

static void connect_now(struct svc_redis_async *a)
{
	redisAsyncContext *ac = redisAsyncConnect(a->host, a->port);
	if (!ac || ac->err) {
		if (ac)
			redisAsyncFree(ac);
		schedule_retry(a);
		return;
	}
	ac->data = a;
	if (redisLibeventAttach(ac, a->base) != REDIS_OK) {
		redisAsyncFree(ac);
		schedule_retry(a);
		return;
	}
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	a->ac = ac;
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	connect_now(arg);
}

struct svc_redis_async *svc_redis_async_new(struct event_base *base, const char *host,
					    int port, long timeout_ms)
{
	struct svc_redis_async *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	a->base = base;
	snprintf(a->host, sizeof a->host, "%s", host);
	a->port = port;
	a->timeout_ms = timeout_ms;
	a->backoff_ms = BACKOFF_MIN_MS;
	a->retry = evtimer_new(base, on_retry, a);
	if (!a->retry) {
		free(a);
		return NULL;
	}
	connect_now(a);
	return a;
}

void svc_redis_async_free(struct svc_redis_async *a)
{
	if (!a)
		return;
	a->freeing = true;
	if (a->ac)
		redisAsyncFree(a->ac); /* runs on_reply(NULL) for what is pending */
	a->ac = NULL;
	event_free(a->retry);
	free(a);
}

int svc_redis_async_argv(struct svc_redis_async *a, int argc, const char **argv,
			 const size_t *argvlen, svc_redis_reply_fn fn, void *arg,
			 struct svc_err *err)
{
	if (!a->ac || !a->connected) {
		svc_err_set(err, SVC_EUNAVAIL, NULL, "redis %s:%d is not connected", a->host,
			    a->port);
		return -1;
	}
	struct pending *p = calloc(1, sizeof *p);
	if (p)
		p->timer = evtimer_new(a->base, on_timeout, p);
	if (!p || !p->timer) {
		if (p)
			pending_free(p);
		svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
		return -1;
	}
	p->a = a;
	p->fn = fn;
	p->arg = arg;
	if (redisAsyncCommandArgv(a->ac, on_reply, p, argc, argv, argvlen) != REDIS_OK) {
		pending_free(p);
		svc_err_set(err, SVC_EUNAVAIL, NULL, "redis %s:%d: cannot send", a->host, a->port);
		return -1;
	}
	struct timeval tv = {a->timeout_ms / 1000, (a->timeout_ms % 1000) * 1000};
	evtimer_add(p->timer, &tv);
	/* Write it now rather than on the next pass of the loop: one loop pass
	 * and two epoll_ctl calls (adding, then dropping, the write interest)
	 * fewer per command. What the socket does not take waits for it. */
	redisAsyncHandleWrite(a->ac);
	return 0;
}

bool svc_redis_async_ready(const struct svc_redis_async *a)
{
	return a && a->connected;
}
