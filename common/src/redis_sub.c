/* A Redis pattern subscriber on a thread of its own: blocking hiredis I/O
 * driven by poll(2), so that a stop request and the keep-alive timer can
 * interrupt the wait without a read timeout tearing the connection down. */
#include "svc/redis.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "svc/log.h"

#define CONNECT_TIMEOUT_MS 2000
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
/* A quiet connection is pinged this often; no answer by the next ping
 * means the peer is gone. */
#define PING_MS 10000

struct svc_redis_sub {
	char *host;
	int port;
	char *pattern;
	svc_redis_msg_fn on_msg;
	svc_redis_up_fn on_up;
	void *arg;
	int wake[2]; /* written once to stop the thread */
	pthread_t thread;
	atomic_bool up;
};

/* Connects and subscribes. Returns the context, or NULL with why in err. */
static redisContext *subscribe(struct svc_redis_sub *s, struct svc_err *err)
{
	struct timeval tv = {CONNECT_TIMEOUT_MS / 1000, (CONNECT_TIMEOUT_MS % 1000) * 1000};
	redisContext *c = redisConnectWithTimeout(s->host, s->port, tv);
	if (!c) {
		svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
		return NULL;
	}
	if (c->err) {
		svc_err_set(err, SVC_EUNAVAIL, NULL, "%s", c->errstr);
		redisFree(c);
		return NULL;
	}
	/* The timeout bounds the subscription's round trip and later writes;
	 * reads only follow poll(2) saying there is something to read. */
	redisSetTimeout(c, tv);
	redisEnableKeepAlive(c);
	redisReply *r = redisCommand(c, "PSUBSCRIBE %s", s->pattern);
	bool ok = r && r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
		  r->element[0]->type == REDIS_REPLY_STRING &&
		  strcasecmp(r->element[0]->str, "psubscribe") == 0;
	if (!ok)
		svc_err_set(err, SVC_EUNAVAIL, NULL, "PSUBSCRIBE failed: %s",
			    !r ? c->errstr : r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
	if (r)
		freeReplyObject(r);
	if (!ok) {
		redisFree(c);
		return NULL;
	}
	return c;
}

/* Hands one reply to the owner. Returns true for a message or a pong:
 * the connection is alive. */
static bool dispatch(struct svc_redis_sub *s, redisReply *r)
{
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    r->element[0]->type != REDIS_REPLY_STRING)
		return false;
	const char *kind = r->element[0]->str;
	if (strcasecmp(kind, "pmessage") == 0 && r->elements == 4 &&
	    r->element[2]->type == REDIS_REPLY_STRING &&
	    r->element[3]->type == REDIS_REPLY_STRING) {
		s->on_msg(s->arg, r->element[2]->str, r->element[3]->str, r->element[3]->len);
		return true;
	}
	return strcasecmp(kind, "pong") == 0;
}

/* Sends PING (allowed while subscribed). Returns 0 or -1. */
static int ping(redisContext *c)
{
	if (redisAppendCommand(c, "PING") != REDIS_OK)
		return -1;
	int done = 0;
	while (!done)
		if (redisBufferWrite(c, &done) != REDIS_OK)
			return -1;
	return 0;
}

/* Reads messages until the connection breaks (returns false, why in err)
 * or a stop is asked for (returns true). */
static bool listen_on(struct svc_redis_sub *s, redisContext *c, struct svc_err *err)
{
	bool awaiting_pong = false;
	for (;;) {
		/* Replies already read (the subscription's round trip may have
		 * read a message too) come first. */
		void *reply = NULL;
		int rc;
		while ((rc = redisGetReplyFromReader(c, &reply)) == REDIS_OK && reply) {
			if (dispatch(s, reply))
				awaiting_pong = false;
			freeReplyObject(reply);
			reply = NULL;
		}
		if (rc != REDIS_OK) {
			svc_err_set(err, SVC_EUPSTREAM, NULL, "protocol error: %s", c->errstr);
			return false;
		}
		struct pollfd p[2] = {{.fd = c->fd, .events = POLLIN}, {.fd = s->wake[0], .events = POLLIN}};
		int n = poll(p, 2, PING_MS);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			svc_err_set(err, SVC_EINTERNAL, NULL, "poll: %s", strerror(errno));
			return false;
		}
		if (p[1].revents)
			return true;
		if (n == 0) {
			if (awaiting_pong) {
				svc_err_set(err, SVC_ETIMEOUT, NULL, "no answer to PING in %d ms", PING_MS);
				return false;
			}
			if (ping(c) != 0) {
				svc_err_set(err, SVC_EUNAVAIL, NULL, "%s", c->errstr);
				return false;
			}
			awaiting_pong = true;
			continue;
		}
		if (redisBufferRead(c) != REDIS_OK) {
			svc_err_set(err, SVC_EUNAVAIL, NULL, "%s", c->errstr);
			return false;
		}
	}
}

/* Waits ms or until a stop is asked for; returns true on a stop. */
static bool pause_ms(struct svc_redis_sub *s, long ms)
{
	struct pollfd p = {.fd = s->wake[0], .events = POLLIN};
	int n;
	while ((n = poll(&p, 1, (int)ms)) < 0 && errno == EINTR)
		;
	return n > 0;
}

static void *run(void *arg)
{
	struct svc_redis_sub *s = arg;
	long backoff = BACKOFF_MIN_MS;
	bool subscribed_before = false;
	unsigned failures = 0;
	for (;;) {
		struct svc_err err = {0};
		redisContext *c = subscribe(s, &err);
		if (!c) {
			/* One line when it starts failing, then about one a minute. */
			if (failures++ % 12 == 0)
				svc_warn(NULL, "redis pub/sub %s:%d: %s; retrying (backoff up to %d ms)",
					 s->host, s->port, err.message, BACKOFF_MAX_MS);
			if (pause_ms(s, backoff))
				return NULL;
			backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
			continue;
		}
		svc_info(NULL, "redis pub/sub %s:%d: subscribed to %s", s->host, s->port,
			 s->pattern);
		failures = 0;
		backoff = BACKOFF_MIN_MS;
		atomic_store(&s->up, true);
		if (s->on_up)
			s->on_up(s->arg, subscribed_before);
		subscribed_before = true;
		bool stop = listen_on(s, c, &err);
		atomic_store(&s->up, false);
		redisFree(c);
		if (stop)
			return NULL;
		svc_warn(NULL, "redis pub/sub %s:%d: connection lost (%s); resubscribing", s->host,
			 s->port, err.message);
	}
}

struct svc_redis_sub *svc_redis_sub_start(const char *host, int port, const char *pattern,
					  svc_redis_msg_fn on_msg, svc_redis_up_fn on_up,
					  void *arg)
{
	struct svc_redis_sub *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->wake[0] = s->wake[1] = -1;
	s->host = strdup(host);
	s->pattern = strdup(pattern);
	s->port = port;
	s->on_msg = on_msg;
	s->on_up = on_up;
	s->arg = arg;
	atomic_init(&s->up, false);
	if (!s->host || !s->pattern || pipe2(s->wake, O_CLOEXEC) != 0 ||
	    pthread_create(&s->thread, NULL, run, s) != 0) {
		if (s->wake[0] >= 0) {
			close(s->wake[0]);
			close(s->wake[1]);
		}
		free(s->host);
		free(s->pattern);
		free(s);
		return NULL;
	}
	return s;
}

bool svc_redis_sub_ready(struct svc_redis_sub *s)
{
	return atomic_load(&s->up);
}

enum svc_result svc_redis_sub_ready_check(void *arg, struct svc_err *err)
{
	if (arg && svc_redis_sub_ready(arg))
		return SVC_OK;
	return svc_err_set(err, SVC_EUNAVAIL, NULL, "not subscribed (redis unreachable)");
}

void svc_redis_sub_stop(struct svc_redis_sub *s)
{
	if (!s)
		return;
	ssize_t n = write(s->wake[1], "x", 1);
	(void)n; /* a pipe with room: the thread sees it */
	pthread_join(s->thread, NULL);
	close(s->wake[0]);
	close(s->wake[1]);
	free(s->host);
	free(s->pattern);
	free(s);
}
