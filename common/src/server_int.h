/* What server.c and stream.c share of a request's life; private to
 * common. See the "who touches what" block in server.c. */
#ifndef SVC_SERVER_INT_H
#define SVC_SERVER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <event2/event.h>
#include <event2/http.h>

#include "svc/pool.h"
#include "svc/router.h"
#include "svc/server.h"
#include "svc/stream.h"

/* Seconds a connection may stay silent: idle between requests, while it
 * reads a request, or while its answer cannot be written (evhttp has one
 * timeout for all three). It must be longer than the idle time of the
 * sidecar's keep-alive connections to us (daprd's app channel is Go's
 * transport: 90 s), so that an idle connection is always closed by the
 * client: closed by us, it may already carry the sidecar's next request,
 * which Go does not retry when it is a POST and the caller gets a 500.
 * At 60 s, 6 of 200 POSTs sent within 20 ms either side of the mark by
 * Go's transport failed with EOF; at 120 s, none. */
#define SVC_SERVER_CONN_TIMEOUT_S 120

/* One request, from its headers to the end of its answer. */
struct job {
	struct svc_server *srv;
	struct evhttp_request *evreq; /* NULL once the client went away */
	const struct svc_route *route;
	struct svc_req req;
	struct svc_resp resp;
	long long start_ms;
	char method[16];
	char *path;
	char *body;
	struct svc_err pre; /* an error found before the handler ran */
	bool has_pre;
	atomic_bool gone;   /* the client went away; read by workers */
	struct event *watch; /* notices the client leaving while we work */
	/* SVC_ROUTE_ASYNC answers */
	bool deferred;       /* svc_req_defer called; the owner answers */
	bool started;        /* svc_pending_start sent the status line */
	svc_gone_fn on_gone;
	void *gone_arg;
	bool filter_pending;
	struct svc_stream *stream; /* set by svc_stream_open */
};

struct svc_server {
	struct event_base *base;
	struct evhttp *evhttp;
	struct evhttp_bound_socket *sock;
	struct svc_server_opts opts;
	struct svc_router *router;
	struct svc_pool *pool; /* the default for routes that name none; borrowed */
	svc_filter_fn filter;
	void *filter_arg;
	size_t inflight; /* loop thread only */

	pthread_mutex_t lock;
	struct event *stream_ev;    /* the loop's wake-up for dirty streams */
	struct svc_stream *dirty;   /* streams with bytes or a close; under lock */
	struct svc_stream *streams; /* open ones; under lock */
	size_t nstreams;            /* under lock */
	bool streams_closing;       /* written on the loop thread, under lock */
};

/* The job a request belongs to. */
static inline struct job *job_of(struct svc_req *req)
{
	return (struct job *)(void *)((char *)req - offsetof(struct job, req));
}

void srv_job_free(struct job *j);
/* Metrics and the access log line once an answer is over; stream_bytes and
 * why (may be NULL) for streams. */
void srv_account(struct job *j, size_t stream_bytes, const char *why);
/* resp's headers onto the answer; takes the connection's close callback
 * back from the job. */
void srv_add_headers(struct job *j);
/* Stops watching the client's connection. */
void srv_unwatch(struct job *j);

/* stream.c */
void srv_stream_begin(struct job *j);
void srv_streams_init(struct svc_server *s);
/* Drops the loop's hold on streams with news; frees the wake-up event. */
void srv_streams_cleanup(struct svc_server *s);

#endif
