#include "sse_hub.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sse.h"
#include "svc/dapr.h"
#include "svc/log.h"
#include "svc/metrics.h"
#include "svc/redis.h"

#define BUCKETS 256
/* Live messages a client holds while its replay runs; past this some are
 * lost and the stream ends for the client to resume. */
#define MAX_WAITING 1000
/* A replay stops here (the client resumes for the rest), well inside a
 * stream's buffer (SVC_STREAM_MAX_QUEUED). */
#define REPLAY_BYTES ((size_t)512 << 10)

/* A live message that came before the client's stream. */
struct waiting {
	struct waiting *next;
	long long id;
	size_t len;
	char frame[];
};

/* Everything here is under the hub's lock. */
struct gw_sse_client {
	struct gw_sse_client *next; /* in its bucket */
	struct gw_hub *hub;
	char user[64];
	char *token;
	time_t exp;
	struct svc_stream *stream; /* the hub's handle, once attached */
	long long last_id;         /* the highest id sent; -1: none */
	struct waiting *wait_head, *wait_tail;
	size_t nwaiting;
	bool lost;   /* more than MAX_WAITING waited */
	bool linked; /* in its bucket */
	int refs;    /* the registration's, plus a catch-up's while it runs */
};

struct gw_hub {
	struct gw_hub_opts o;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* wakes the heartbeat thread to stop */
	bool stopping;
	struct gw_sse_client *buckets[BUCKETS];
	struct svc_redis_sub *sub;
	pthread_t ticker;
	bool ticker_running;
};

static struct gw_sse_client **bucket_of(struct gw_hub *h, const char *user)
{
	unsigned long x = 2166136261u; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)user; *p; p++)
		x = (x ^ *p) * 16777619u;
	return &h->buckets[x % BUCKETS];
}

/* Drops a reference; the last frees the client. Hub lock held. */
static void unref(struct gw_sse_client *c)
{
	if (--c->refs > 0)
		return;
	for (struct waiting *w = c->wait_head, *next; w; w = next) {
		next = w->next;
		free(w);
	}
	free(c->token);
	free(c);
}

/* Takes c out of its bucket and closes its stream, if it has one. Drops
 * the registration's reference. Hub lock held, c linked. */
static void unregister(struct gw_sse_client *c)
{
	struct gw_sse_client **pp = bucket_of(c->hub, c->user);
	while (*pp != c)
		pp = &(*pp)->next;
	*pp = c->next;
	c->linked = false;
	if (c->stream)
		svc_stream_close(c->stream);
	c->stream = NULL;
	unref(c);
}

/* Sends a frame to an attached client, once and in order. Hub lock held. */
static void deliver(struct gw_sse_client *c, long long id, const char *frame, size_t len)
{
	if (id <= c->last_id)
		return; /* sent already, or older than what was */
	if (svc_stream_send(c->stream, frame, len) == 0) {
		c->last_id = id;
		svc_metrics_inc("gateway_sse_notifications_total",
				"Notifications written to live streams.", "", 1);
	}
}

static void wait_for_stream(struct gw_sse_client *c, long long id, const char *frame, size_t len)
{
	if (c->nwaiting >= MAX_WAITING) {
		c->lost = true;
		return;
	}
	struct waiting *w = malloc(sizeof *w + len);
	if (!w) {
		c->lost = true;
		return;
	}
	w->next = NULL;
	w->id = id;
	w->len = len;
	memcpy(w->frame, frame, len);
	if (c->wait_tail)
		c->wait_tail->next = w;
	else
		c->wait_head = w;
	c->wait_tail = w;
	c->nwaiting++;
}

/* A message from Redis, on the subscriber's thread. */
static void on_message(void *arg, const char *channel, const char *payload, size_t len)
{
	struct gw_hub *h = arg;
	const char *user = gw_sse_channel_user(channel);
	long long id;
	if (!user)
		return;
	if (gw_sse_notification_id(payload, len, &id) != 0) {
		svc_warn(NULL, "dropping a message on %.100s: not a notification with an id",
			 channel);
		svc_metrics_inc("gateway_sse_dropped_total",
				"Redis messages that were no notification.", "", 1);
		return;
	}
	struct svc_buf f;
	svc_buf_init(&f, 2 * len + 256);
	if (gw_sse_frame(&f, id, payload, len) != 0) {
		svc_buf_cleanup(&f);
		return;
	}
	pthread_mutex_lock(&h->lock);
	for (struct gw_sse_client *c = *bucket_of(h, user); c; c = c->next) {
		if (strcmp(c->user, user) != 0)
			continue;
		if (c->stream)
			deliver(c, id, f.data, f.len);
		else
			wait_for_stream(c, id, f.data, f.len);
	}
	pthread_mutex_unlock(&h->lock);
	svc_buf_cleanup(&f);
}

/* The subscription came back after a break: messages published meanwhile
 * never reached us. Catches each attached stream that has a position up
 * from notifier. Subscriber's thread: live delivery waits meanwhile, so
 * nothing else moves a client's last id. */
static void on_subscribed(void *arg, bool resumed)
{
	struct gw_hub *h = arg;
	if (!resumed)
		return;
	size_t n = 0, cap = 0;
	struct gw_sse_client **list = NULL;
	pthread_mutex_lock(&h->lock);
	for (size_t b = 0; b < BUCKETS; b++)
		for (struct gw_sse_client *c = h->buckets[b]; c; c = c->next) {
			if (!c->stream || c->last_id < 0)
				continue;
			if (n == cap) {
				size_t ncap = cap ? 2 * cap : 16;
				struct gw_sse_client **p = realloc(list, ncap * sizeof *p);
				if (!p)
					continue;
				list = p;
				cap = ncap;
			}
			c->refs++;
			list[n++] = c;
		}
	pthread_mutex_unlock(&h->lock);

	size_t failed = 0;
	for (size_t i = 0; i < n; i++) {
		struct gw_sse_client *c = list[i];
		struct svc_buf b;
		svc_buf_init(&b, 2 * REPLAY_BYTES);
		struct svc_err err = {0};
		bool more = false;
		long long last = c->last_id;
		/* The token outlives no stream: expired ones end at the next
		 * heartbeat. */
		enum svc_result r = gw_hub_replay(h, c->token, &last, &b, &more, NULL, &err);
		pthread_mutex_lock(&h->lock);
		if (r != SVC_OK)
			failed++;
		if (c->linked && c->stream && r == SVC_OK) {
			if (b.len && svc_stream_send(c->stream, b.data, b.len) == 0)
				c->last_id = last;
			if (more)
				unregister(c); /* the client resumes for the rest */
		}
		unref(c);
		pthread_mutex_unlock(&h->lock);
		svc_buf_cleanup(&b);
	}
	free(list);
	if (n)
		svc_info(NULL, "caught %zu live streams up from notifier (%zu failed)", n - failed,
			 failed);
}

/* Heartbeats, and the end of streams whose token expired. */
static void *ticker(void *arg)
{
	struct gw_hub *h = arg;
	pthread_mutex_lock(&h->lock);
	while (!h->stopping) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += h->o.heartbeat_ms / 1000;
		until.tv_nsec += (h->o.heartbeat_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!h->stopping &&
		       pthread_cond_timedwait(&h->cond, &h->lock, &until) != ETIMEDOUT)
			;
		if (h->stopping)
			break;
		time_t now = time(NULL);
		for (size_t b = 0; b < BUCKETS; b++) {
			struct gw_sse_client *c = h->buckets[b];
			while (c) {
				struct gw_sse_client *next = c->next;
				if (c->stream && c->exp <= now)
					unregister(c); /* it reconnects with a fresh token */
				else if (c->stream)
					svc_stream_send(c->stream, GW_SSE_HEARTBEAT,
							sizeof GW_SSE_HEARTBEAT - 1);
				c = next;
			}
		}
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

struct gw_hub *gw_hub_new(const struct gw_hub_opts *o)
{
	struct gw_hub *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->o = *o;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	if (pthread_create(&h->ticker, NULL, ticker, h) != 0) {
		gw_hub_free(h);
		return NULL;
	}
	h->ticker_running = true;
	h->sub = svc_redis_sub_start(o->redis_host, o->redis_port, GW_SSE_PATTERN, on_message,
				     on_subscribed, h);
	if (!h->sub) {
		gw_hub_stop(h);
		gw_hub_free(h);
		return NULL;
	}
	return h;
}

void gw_hub_stop(struct gw_hub *h)
{
	if (!h)
		return;
	svc_redis_sub_stop(h->sub);
	h->sub = NULL;
	if (h->ticker_running) {
		pthread_mutex_lock(&h->lock);
		h->stopping = true;
		pthread_cond_broadcast(&h->cond);
		pthread_mutex_unlock(&h->lock);
		pthread_join(h->ticker, NULL);
		h->ticker_running = false;
	}
}

void gw_hub_free(struct gw_hub *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	for (size_t b = 0; b < BUCKETS; b++)
		while (h->buckets[b])
			unregister(h->buckets[b]);
	pthread_mutex_unlock(&h->lock);
	pthread_mutex_destroy(&h->lock);
	pthread_cond_destroy(&h->cond);
	free(h);
}

enum svc_result gw_hub_ready_check(void *arg, struct svc_err *err)
{
	struct gw_hub *h = arg;
	return svc_redis_sub_ready_check(h ? h->sub : NULL, err);
}

struct gw_sse_client *gw_hub_join(struct gw_hub *h, const char *user, const char *token,
				  time_t exp)
{
	struct gw_sse_client *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->token = strdup(token);
	if (!c->token) {
		free(c);
		return NULL;
	}
	c->hub = h;
	snprintf(c->user, sizeof c->user, "%s", user);
	c->exp = exp;
	c->last_id = -1;
	c->refs = 1;
	c->linked = true;
	pthread_mutex_lock(&h->lock);
	struct gw_sse_client **b = bucket_of(h, c->user);
	c->next = *b;
	*b = c;
	pthread_mutex_unlock(&h->lock);
	return c;
}

int gw_hub_attach(struct gw_sse_client *c, struct svc_stream *s, long long last,
		  long long floor)
{
	struct gw_hub *h = c->hub;
	pthread_mutex_lock(&h->lock);
	int rc = c->lost ? -1 : 0;
	if (rc == 0) {
		c->stream = s;
		c->last_id = last;
		for (struct waiting *w = c->wait_head; w; w = w->next)
			deliver(c, w->id, w->frame, w->len);
		/* Older ones came before the stream: it was not meant to get
		 * them, but a catch-up after a break starts from here. */
		if (c->last_id < floor)
			c->last_id = floor;
	}
	for (struct waiting *w = c->wait_head, *next; w; w = next) {
		next = w->next;
		free(w);
	}
	c->wait_head = c->wait_tail = NULL;
	c->nwaiting = 0;
	pthread_mutex_unlock(&h->lock);
	return rc;
}

void gw_hub_leave(struct gw_sse_client *c)
{
	struct gw_hub *h = c->hub;
	pthread_mutex_lock(&h->lock);
	if (c->linked)
		unregister(c);
	pthread_mutex_unlock(&h->lock);
}

void gw_hub_stream_ended(void *arg, struct svc_stream *s)
{
	(void)s;
	struct gw_sse_client *c = arg;
	struct gw_hub *h = c->hub;
	pthread_mutex_lock(&h->lock);
	/* Not linked: the hub ended it first (its token expired). */
	if (c->linked)
		unregister(c);
	pthread_mutex_unlock(&h->lock);
}

/* notifier's refusal as our error; its words go to the log. */
static enum svc_result refused(const struct svc_up_resp *up, const char *what,
			       const char *request_id, struct svc_err *err)
{
	svc_log(up->status >= 500 ? SVC_LOG_ERROR : SVC_LOG_WARN, request_id,
		"notifier (%s) answered %ld: %.300s", what, up->status, up->body ? up->body : "");
	enum svc_result r = svc_dapr_answer(up->status, up->body, up->body_len, "notifier", err);
	if (r == SVC_EAUTH)
		return svc_err_set(err, SVC_EAUTH, NULL, "notifier refused the token");
	return svc_err_set(err, SVC_EUPSTREAM, NULL, "cannot read notifications (notifier answered %ld)",
			   up->status);
}

/* GET notifier's /api/notifications?<query> as the token's user; *up holds
 * the answer, whatever its status, when SVC_OK. */
static enum svc_result notifier_get(struct gw_hub *h, const char *token, const char *query,
				    const char *request_id, struct svc_up_resp *up,
				    struct svc_err *err)
{
	size_t alen = strlen(token) + 16;
	char *bearer = malloc(alen);
	if (!bearer)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	snprintf(bearer, alen, "Bearer %s", token);
	const struct svc_kv hdrs[] = {
		{"Authorization", bearer},
		{"Accept", "application/json"},
		{"X-Request-Id", (char *)(request_id ? request_id : "")},
	};
	char path[256];
	snprintf(path, sizeof path, "/api/notifications?%s", query);
	enum svc_result r = svc_dapr_invoke(h->o.notifier, "GET", path, hdrs, request_id ? 3 : 2,
					    NULL, 0, h->o.timeout_ms, up, err);
	if (r != SVC_OK)
		svc_error(request_id, "notifier (%s): %s", query, err->message);
	free(bearer);
	return r;
}

enum svc_result gw_hub_replay(struct gw_hub *h, const char *token, long long *last,
			      struct svc_buf *b, bool *more, const char *request_id,
			      struct svc_err *err)
{
	*more = false;
	enum svc_result r = SVC_OK;
	for (;;) {
		char query[64];
		snprintf(query, sizeof query, "after_id=%lld&limit=%d", *last, GW_SSE_PAGE);
		struct svc_up_resp up;
		r = notifier_get(h, token, query, request_id, &up, err);
		if (r != SVC_OK)
			break;
		if (up.status != 200) {
			r = refused(&up, query, request_id, err);
			svc_up_resp_cleanup(&up);
			break;
		}
		long long before = *last;
		size_t items = 0;
		int rc = gw_sse_page(up.body, up.body_len, b, REPLAY_BYTES, last, &items, more);
		svc_up_resp_cleanup(&up);
		if (rc != 0) {
			r = svc_err_set(err, SVC_EUPSTREAM, NULL,
					"notifier answered an unreadable page of notifications");
			svc_error(request_id, "%s", err->message);
			break;
		}
		/* A short page is the last; so is a full one with nothing newer
		 * (rather than asking for it again and again). */
		if (*more || items < GW_SSE_PAGE || *last == before)
			break;
	}
	return r;
}

enum svc_result gw_hub_latest(struct gw_hub *h, const char *token, long long *top,
			      const char *request_id, struct svc_err *err)
{
	struct svc_up_resp up;
	enum svc_result r = notifier_get(h, token, "limit=1", request_id, &up, err);
	if (r != SVC_OK)
		return r;
	if (up.status != 200)
		r = refused(&up, "limit=1", request_id, err);
	else if (gw_sse_top_id(up.body, up.body_len, top) != 0)
		r = svc_err_set(err, SVC_EUPSTREAM, NULL,
				"notifier answered an unreadable page of notifications");
	svc_up_resp_cleanup(&up);
	return r;
}
