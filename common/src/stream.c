/* Streaming responses; see stream.h. Lock order: a stream's lock, then the
 * server's. */
#include "svc/stream.h"

#include <stdio.h>
#include <stdlib.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "server_int.h"
#include "svc/log.h"
#include "svc/metrics.h"

/* Seconds a stream's client may read nothing while we have bytes for it. */
#define WRITE_TIMEOUT_S 60

struct svc_stream {
	pthread_mutex_t lock;
	int refs;               /* the owner's, the server's, one while dirty */
	struct svc_server *srv; /* never touched once ended */
	struct job *job;        /* the request; NULL once ended */
	struct evbuffer *queue; /* sent, not yet written; under lock */
	size_t written;         /* bytes handed to the connection */
	bool dirty;             /* on srv->dirty; under lock */
	bool closed;            /* the owner called svc_stream_close; under lock */
	bool too_slow;          /* a send would pass the cap; under lock */
	bool ended;             /* the response is over; under lock */
	bool started;           /* the status line went out */
	svc_stream_end_fn on_end;
	void *arg;
	struct svc_stream *next_dirty;  /* under srv->lock */
	struct svc_stream *prev, *next; /* srv->streams; under srv->lock */
};

static void stream_release(struct svc_stream *s)
{
	pthread_mutex_lock(&s->lock);
	bool last = --s->refs == 0;
	pthread_mutex_unlock(&s->lock);
	if (!last)
		return;
	evbuffer_free(s->queue);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* Hands s to the loop thread. Call with s->lock held, s not ended. */
static void stream_wake(struct svc_stream *s)
{
	if (s->dirty)
		return;
	s->dirty = true;
	s->refs++;
	struct svc_server *srv = s->srv;
	pthread_mutex_lock(&srv->lock);
	s->next_dirty = srv->dirty;
	srv->dirty = s;
	pthread_mutex_unlock(&srv->lock);
	event_active(srv->stream_ev, EV_READ, 0);
}

static void streams_gauge(struct svc_server *srv)
{
	pthread_mutex_lock(&srv->lock);
	size_t n = srv->nstreams;
	pthread_mutex_unlock(&srv->lock);
	svc_metrics_set("http_streams_open", "Streaming responses open now.", "", (double)n);
}

/* Ends the answer (after what was written), tells the owner unless it
 * closed the stream itself, and writes the access log line. why says why
 * the server ended it, or NULL. Loop thread. */
static void stream_end(struct svc_stream *s, const char *why)
{
	struct job *j = s->job;
	struct svc_server *srv = j->srv;
	if (j->evreq) {
		struct evhttp_connection *evcon = evhttp_request_get_connection(j->evreq);
		if (evcon) {
			evhttp_connection_set_closecb(evcon, NULL, NULL);
			/* Back to the usual timeouts for the connection's next
			 * request. */
			evhttp_connection_set_timeout(evcon, SVC_SERVER_CONN_TIMEOUT_S);
		}
		/* Frees a request whose client left without writing. */
		evhttp_send_reply_end(j->evreq);
		j->evreq = NULL;
	}
	pthread_mutex_lock(&s->lock);
	s->ended = true;
	bool tell = !s->closed;
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_lock(&srv->lock);
	if (s->prev)
		s->prev->next = s->next;
	else
		srv->streams = s->next;
	if (s->next)
		s->next->prev = s->prev;
	srv->nstreams--;
	pthread_mutex_unlock(&srv->lock);
	streams_gauge(srv);
	if (tell && s->on_end)
		s->on_end(s->arg, s);
	srv->inflight--;
	srv_account(j, s->written, why);
	srv_job_free(j);
	s->job = NULL;
	stream_release(s); /* the server's */
}

/* Writes what was queued, and ends the stream when it is closed, its
 * client is gone or too slow, or the server stops. Loop thread, started
 * streams only. */
static void stream_flush(struct svc_stream *s)
{
	struct job *j = s->job;
	struct evhttp_connection *evcon = j->evreq ? evhttp_request_get_connection(j->evreq) : NULL;
	struct evbuffer *out = evbuffer_new();
	pthread_mutex_lock(&s->lock);
	if (out)
		evbuffer_add_buffer(out, s->queue);
	bool closed = s->closed, too_slow = s->too_slow;
	pthread_mutex_unlock(&s->lock);
	const char *why = NULL;
	if (!evcon) {
		why = "client gone";
	} else if (!out) {
		why = "out of memory";
	} else {
		size_t waiting = evbuffer_get_length(
			bufferevent_get_output(evhttp_connection_get_bufferevent(evcon)));
		size_t len = evbuffer_get_length(out);
		if (too_slow || waiting + len > SVC_STREAM_MAX_QUEUED) {
			why = "client too slow";
		} else if (len) {
			evhttp_send_reply_chunk(j->evreq, out);
			s->written += len;
		}
	}
	if (out)
		evbuffer_free(out);
	if (why)
		stream_end(s, why);
	else if (closed)
		stream_end(s, NULL);
	else if (j->srv->streams_closing)
		stream_end(s, "server stopping");
}

/* The client went away (or the server is being freed) mid-stream. */
static void on_stream_gone(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	struct svc_stream *s = arg;
	if (evhttp_request_get_connection(s->job->evreq) != NULL)
		s->job->evreq = NULL; /* libevent frees it next */
	stream_end(s, "client gone");
}

void srv_stream_begin(struct job *j)
{
	struct svc_stream *s = j->stream;
	s->started = true;
	struct evhttp_connection *evcon = j->evreq ? evhttp_request_get_connection(j->evreq) : NULL;
	if (evcon) {
		srv_add_headers(j);
		evhttp_connection_set_closecb(evcon, on_stream_gone, s);
		evhttp_send_reply_start(j->evreq, j->resp.status, NULL);
		/* The client says nothing while it listens: no read timeout.
		 * Writes keep theirs, so a client that stops reading ends it. */
		struct timeval wt = {WRITE_TIMEOUT_S, 0};
		bufferevent_set_timeouts(evhttp_connection_get_bufferevent(evcon), NULL, &wt);
		struct evbuffer *buf = j->resp.body_len ? evbuffer_new() : NULL;
		if (buf && evbuffer_add(buf, j->resp.body, j->resp.body_len) == 0) {
			evhttp_send_reply_chunk(j->evreq, buf);
			s->written += j->resp.body_len;
		}
		if (buf)
			evbuffer_free(buf);
		svc_debug(j->req.request_id, "%s %s %d stream open", j->method, j->path,
			  j->resp.status);
	}
	stream_flush(s);
}

static void on_streams(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct svc_server *srv = arg;
	pthread_mutex_lock(&srv->lock);
	struct svc_stream *list = srv->dirty;
	srv->dirty = NULL;
	pthread_mutex_unlock(&srv->lock);
	while (list) {
		struct svc_stream *s = list;
		list = s->next_dirty;
		pthread_mutex_lock(&s->lock);
		s->dirty = false;
		bool ended = s->ended;
		pthread_mutex_unlock(&s->lock);
		/* One not started yet is flushed when its handler returns. */
		if (!ended && s->started)
			stream_flush(s);
		stream_release(s);
	}
}

void srv_streams_init(struct svc_server *srv)
{
	srv->stream_ev = event_new(srv->base, -1, 0, on_streams, srv);
}

void srv_streams_cleanup(struct svc_server *srv)
{
	on_streams(-1, 0, srv);
	if (srv->stream_ev)
		event_free(srv->stream_ev);
	srv->stream_ev = NULL;
}

struct svc_stream *svc_stream_open(struct svc_req *req, struct svc_resp *resp,
				   const char *content_type, svc_stream_end_fn on_end,
				   void *arg)
{
	struct job *j = job_of(req);
	struct svc_server *srv = j->srv;
	if (j->stream || j->deferred)
		return NULL;
	struct svc_stream *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->queue = evbuffer_new();
	if (!s->queue) {
		free(s);
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	s->refs = 2;
	s->srv = srv;
	s->job = j;
	s->on_end = on_end;
	s->arg = arg;
	pthread_mutex_lock(&srv->lock);
	bool room = !srv->streams_closing && srv->nstreams < srv->opts.max_streams;
	if (room) {
		s->next = srv->streams;
		if (srv->streams)
			srv->streams->prev = s;
		srv->streams = s;
		srv->nstreams++;
	}
	pthread_mutex_unlock(&srv->lock);
	if (!room) {
		evbuffer_free(s->queue);
		pthread_mutex_destroy(&s->lock);
		free(s);
		return NULL;
	}
	j->stream = s;
	resp->status = 200;
	snprintf(resp->content_type, sizeof resp->content_type, "%s", content_type);
	return s;
}

int svc_stream_send(struct svc_stream *s, const void *data, size_t len)
{
	int rc = -1;
	pthread_mutex_lock(&s->lock);
	if (!s->ended && !s->closed && !s->too_slow) {
		if (evbuffer_get_length(s->queue) + len > SVC_STREAM_MAX_QUEUED)
			s->too_slow = true;
		else if (evbuffer_add(s->queue, data, len) == 0)
			rc = 0;
		stream_wake(s);
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

void svc_stream_close(struct svc_stream *s)
{
	pthread_mutex_lock(&s->lock);
	s->closed = true;
	if (!s->ended)
		stream_wake(s);
	pthread_mutex_unlock(&s->lock);
	stream_release(s); /* the owner's */
}

void svc_server_end_streams(struct svc_server *srv)
{
	pthread_mutex_lock(&srv->lock);
	srv->streams_closing = true;
	struct svc_stream *s = srv->streams;
	pthread_mutex_unlock(&srv->lock);
	/* Only this thread unlinks, and nothing links any more. */
	while (s) {
		pthread_mutex_lock(&srv->lock);
		struct svc_stream *next = s->next;
		pthread_mutex_unlock(&srv->lock);
		if (s->started)
			stream_flush(s);
		s = next;
	}
}

size_t svc_server_streams(struct svc_server *srv)
{
	pthread_mutex_lock(&srv->lock);
	size_t n = srv->nstreams;
	pthread_mutex_unlock(&srv->lock);
	return n;
}
