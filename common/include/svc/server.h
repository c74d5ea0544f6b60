/* The HTTP server every service runs: evhttp on the loop thread for I/O,
 * routing with path parameters (router.h), a body size limit, strict JSON
 * bodies, request ids, metrics and an access log. Handlers run where their
 * route says:
 *
 *   - on a pool (pool.h), the default: the handler may block (Postgres,
 *     Argon2, the sidecar), each with a timeout. The pool's queue is
 *     bounded; a full queue answers 503 with Retry-After at once. A request
 *     whose client went away while it waited is dropped unrun.
 *   - SVC_ROUTE_INLINE: on the loop thread, answered when the handler
 *     returns; it must never block (probes, metrics).
 *   - SVC_ROUTE_ASYNC: on the loop thread, and it may answer later
 *     (svc_req_defer): it starts non-blocking work (an upstream call) and
 *     returns; the answer goes out when the work calls back. Nothing waits
 *     on a thread.
 *
 * Request bodies: up to opts.max_body bytes reach the handler; a larger one
 * up to SVC_HTTP_HARD_BODY is read whole and refused with our JSON 413.
 * libevent 2.1 has no hook between reading a request's headers and its body
 * (2.2 adds evhttp_set_newreqcb), and past its own limit it answers with an
 * HTML page of its own, so that limit sits at this fixed, generous bound.
 * The cost: a refused body below it is held in memory while it arrives.
 * Past it libevent answers its own 413 page: for a Content-Length body after
 * reading and dropping it (lingering close), so the client sees the 413 and
 * not a reset connection; for a chunked one at once. */
#ifndef SVC_SERVER_H
#define SVC_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "svc/result.h"
#include "svc/router.h"

struct event_base;
struct evbuffer;
struct svc_pool;
struct svc_server;

/* Bodies up to this size get our JSON 413; see the comment above. */
#define SVC_HTTP_HARD_BODY ((size_t)32 << 20)

/* A request as a handler sees it. Everything is owned by the server and
 * valid until the answer is sent. */
struct svc_req {
	const char *method;
	const char *path;  /* decoded, without the query */
	size_t path_len;   /* decoded bytes: past strlen(path) when it held %00 */
	const char *raw_path; /* as the client sent it, still percent-encoded */
	const char *route; /* the matched pattern; NULL when none matched */
	struct svc_kv *params;
	size_t nparams;
	struct svc_kv *query;
	size_t nquery;
	struct svc_kv *headers;
	size_t nheaders;
	const char *body; /* NUL-terminated; NULL when empty */
	size_t body_len;
	cJSON *json;      /* the parsed body for SVC_ROUTE_JSON routes */
	char request_id[65];
	char peer[64]; /* the connection's peer address, e.g. "127.0.0.1" */
	void *ctx; /* the service's context, from svc_server_opts */
	void *arg; /* the route's argument */
	/* The service's own per-request data (the filter's findings, say):
	 * local_free(local) runs when the request is freed. */
	void *local;
	void (*local_free)(void *local);
};

#define SVC_RESP_MAX_HEADERS 16

/* What a handler fills in. Start: status 500, no body. */
struct svc_resp {
	int status;
	char *body; /* owned; freed by the server */
	size_t body_len;
	char content_type[64];
	struct svc_kv headers[SVC_RESP_MAX_HEADERS];
	size_t nheaders;
};

typedef void (*svc_handler)(struct svc_req *req, struct svc_resp *resp);

enum {
	SVC_ROUTE_JSON = 1,   /* body must be a JSON object (415/400 otherwise) */
	SVC_ROUTE_INLINE = 2, /* run on the loop thread: must never block */
	SVC_ROUTE_QUIET = 4,  /* access log at debug level (probes, metrics) */
	SVC_ROUTE_ASYNC = 8,  /* run on the loop thread, may answer later */
	/* With SVC_ROUTE_JSON: a body labelled application/x-www-form-urlencoded
	 * (what `curl -d` sends unless told otherwise) is read as JSON too;
	 * anything but a JSON object is still a 400. For the routes people type
	 * by hand (the chat). */
	SVC_ROUTE_JSON_CURL = 16,
};

struct svc_server_opts {
	const char *host;
	int port;
	size_t max_body;    /* bytes; larger bodies get 413 */
	size_t max_streams; /* streams open at once (svc_stream_open); 0: none */
	void *ctx;          /* handed to every handler as req->ctx */
};

/* Creates the server; routes may be added until svc_server_listen. base
 * must have been created after evthread_use_pthreads(). pool (borrowed for
 * the server's life) runs the handlers of routes that name no pool of
 * their own. NULL on OOM. */
struct svc_server *svc_server_new(struct event_base *base, const struct svc_server_opts *o,
				  struct svc_pool *pool);
/* Binds host:port. Returns 0, or -1 after logging why. */
int svc_server_listen(struct svc_server *s);
/* Frees the server; call after the pools stopped (their last answers are
 * sent or dropped then) and after svc_server_end_streams. */
void svc_server_free(struct svc_server *s);

/* Registers a route. pattern segments like {id} capture path parameters.
 * method "*" matches any. pool (NULL: the server's) runs the handler
 * unless flags say INLINE or ASYNC. Copies pattern. Returns 0 or -1. */
int svc_server_route(struct svc_server *s, const char *method, const char *pattern,
		     svc_handler fn, void *arg, int flags, struct svc_pool *pool);

/* The port bound by svc_server_listen (useful when opts.port was 0), or 0. */
int svc_server_port(const struct svc_server *s);

/* ---- the filter ---------------------------------------------------------
 *
 * The service's own step before the handler, on the lines of nginx's access
 * phase. It runs once per request on the loop thread and must not block,
 * after routing decided and before anything is answered: req->route is the
 * matched pattern, or NULL when no route matched, and the router's 404/405,
 * the body limit's 413, the Content-Type check's 415 and a bad query's 400
 * all come after it. Requests of SVC_ROUTE_INLINE routes (probes, metrics)
 * skip it. req->json is not parsed yet.
 *
 * It may add headers with svc_resp_header: they stay on whatever answer
 * follows, error answers included. It returns SVC_FILTER_NEXT to go on,
 * SVC_FILTER_DONE after filling resp to answer the request itself (the
 * handler never runs), or SVC_FILTER_PENDING when it waits for something
 * (a Redis reply): it then calls svc_filter_resume exactly once, later, on
 * the loop thread. */
enum svc_filter_result { SVC_FILTER_NEXT, SVC_FILTER_DONE, SVC_FILTER_PENDING };
typedef enum svc_filter_result (*svc_filter_fn)(void *arg, struct svc_req *req,
						struct svc_resp *resp);
/* One filter per server; set it before svc_server_listen. arg is borrowed
 * for the server's life. */
void svc_server_set_filter(struct svc_server *s, svc_filter_fn fn, void *arg);
/* The verdict of a filter that answered PENDING (NEXT or DONE). */
void svc_filter_resume(struct svc_req *req, enum svc_filter_result r);

/* Calls fn once per registered route, in registration order. */
void svc_server_routes(const struct svc_server *s, svc_route_visit_fn fn, void *arg);

/* Closes the listening socket; in-flight requests still complete. */
void svc_server_stop_accepting(struct svc_server *s);
/* Requests accepted and not yet answered, open streams included. Loop
 * thread. */
size_t svc_server_inflight(struct svc_server *s);

/* ---- answers that come later (SVC_ROUTE_ASYNC) --------------------------
 *
 * All of these run on the loop thread only. A deferred request is answered
 * exactly once: by svc_pending_done (resp as a whole), or by
 * svc_pending_start + svc_pending_write... + svc_pending_end (a body that
 * goes out as it arrives). If the client goes away first, on_gone runs
 * (once, on the loop thread): the owner stops its work and still ends the
 * request with svc_pending_done or svc_pending_end, which then only frees
 * it. */
struct svc_pending;
typedef void (*svc_gone_fn)(void *arg);

/* From an SVC_ROUTE_ASYNC handler: the answer comes later. on_gone (may be
 * NULL) and arg are borrowed until the request ends. NULL when the route
 * is not ASYNC or the request was deferred already. */
struct svc_pending *svc_req_defer(struct svc_req *req, svc_gone_fn on_gone, void *arg);
struct svc_req *svc_pending_req(struct svc_pending *p);
struct svc_resp *svc_pending_resp(struct svc_pending *p);
/* True once the client went away. */
bool svc_pending_gone(const struct svc_pending *p);
/* Sends resp and ends the request; p is invalid after. */
void svc_pending_done(struct svc_pending *p);
/* Sends the status line and resp's headers (resp->body, if any, first).
 * With a Content-Length among resp's headers the body is sent as is,
 * otherwise chunked. Returns 0, or -1 when the client went away. */
int svc_pending_start(struct svc_pending *p);
/* Moves data's bytes to the client after svc_pending_start. Returns 0, or
 * -1 when the client went away (data is drained either way). */
int svc_pending_write(struct svc_pending *p, struct evbuffer *data);
/* Ends the answer begun with svc_pending_start; p is invalid after. */
void svc_pending_end(struct svc_pending *p);

const char *svc_req_param(const struct svc_req *r, const char *name);
/* Case-insensitive header lookup; NULL when absent. */
const char *svc_req_header(const struct svc_req *r, const char *name);
/* First decoded query value for name; NULL when absent. */
const char *svc_req_query(const struct svc_req *r, const char *name);
/* The token of "Authorization: Bearer <token>"; NULL when there is none. */
const char *svc_req_bearer(const struct svc_req *r);

/* True when the Content-Type ct (may be NULL) names type, parameters
 * aside. */
bool svc_media_type_is(const char *ct, const char *type);

/* Takes ownership of body (may be NULL for no body) and renders it. */
void svc_resp_json(struct svc_resp *resp, int status, cJSON *body);
/* Takes ownership of body (malloc'd, may be NULL). */
void svc_resp_raw(struct svc_resp *resp, int status, const char *content_type,
		  char *body, size_t len);
void svc_resp_err(struct svc_resp *resp, const struct svc_err *err);
void svc_resp_errf(struct svc_resp *resp, enum svc_result code, const char *field,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Copies name and value; at most SVC_RESP_MAX_HEADERS (more are dropped). */
void svc_resp_header(struct svc_resp *resp, const char *name, const char *value);
/* A 503 that says when to come back: Retry-After: retry_s. */
void svc_resp_busy(struct svc_resp *resp, long retry_s, const char *what);

#endif
