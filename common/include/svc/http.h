/* The HTTP server every service runs: evhttp on the loop thread for I/O,
 * a pool of worker threads for handlers (which may block on Postgres, Redis
 * or the sidecar, each with a timeout), routing with path parameters, a body
 * size limit, strict JSON bodies, request ids, metrics and an access log.
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
#ifndef SVC_HTTP_H
#define SVC_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "svc/result.h"

struct event_base;
struct svc_http;

/* Bodies up to this size get our JSON 413; see the comment above. */
#define SVC_HTTP_HARD_BODY ((size_t)32 << 20)

struct svc_kv {
	char *name;
	char *value;
};

/* A request as a handler sees it. Everything is owned by the server and
 * valid until the handler returns. */
struct svc_req {
	const char *method;
	const char *path;  /* decoded, without the query */
	size_t path_len;   /* decoded bytes: past strlen(path) when it held %00 */
	const char *route; /* the matched pattern */
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
	void *ctx; /* the service's context, from svc_http_opts */
	void *arg; /* the route's argument */
};

/* What a handler fills in. Start: status 500, no body. */
struct svc_resp {
	int status;
	char *body; /* owned; freed by the server */
	size_t body_len;
	char content_type[64];
	struct svc_kv headers[12];
	size_t nheaders;
};

typedef void (*svc_handler)(struct svc_req *req, struct svc_resp *resp);

enum {
	SVC_ROUTE_JSON = 1,   /* body must be a JSON object (415/400 otherwise) */
	SVC_ROUTE_INLINE = 2, /* run on the loop thread: must never block */
	SVC_ROUTE_QUIET = 4,  /* access log at debug level (probes, metrics) */
};

struct svc_http_opts {
	const char *host;
	int port;
	size_t max_body;   /* bytes; larger bodies get 413 */
	int workers;       /* handler threads */
	size_t max_streams; /* streams open at once (svc_stream_open); 0: none */
	void *ctx;         /* handed to every handler as req->ctx */
};

/* Creates the server; routes may be added until svc_http_listen. base must
 * have been created after evthread_use_pthreads(). NULL on OOM. */
struct svc_http *svc_http_new(struct event_base *base, const struct svc_http_opts *o);
/* Binds host:port and starts the workers. Returns 0, or -1 after logging
 * why. */
int svc_http_listen(struct svc_http *h);
/* Stops accepting, waits for the workers to finish what they hold, frees. */
void svc_http_free(struct svc_http *h);

/* Registers a route. pattern segments like {id} capture path parameters.
 * method "*" matches any. Copies pattern. Returns 0 or -1. */
int svc_http_route(struct svc_http *h, const char *method, const char *pattern,
		   svc_handler fn, void *arg, int flags);

/* The port bound by svc_http_listen (useful when opts.port was 0), or 0. */
int svc_http_port(const struct svc_http *h);

/* The filter: the service's own code before routing, on the lines of
 * nginx's access phase. It runs once per request on a worker thread (so it
 * may block, bounded by a timeout), after routing decided and before
 * anything is answered: req->route is the matched pattern, or NULL when no
 * route matched, and the router's 404/405, the body limit's 413, the
 * Content-Type check's 415 and a bad query's 400 all come after it. Requests
 * matched by SVC_ROUTE_INLINE routes (probes, metrics) never leave the loop
 * thread and skip it. req->json is not parsed yet.
 *
 * It may add headers with svc_resp_header: they stay on whatever answer
 * follows, error answers included. It returns SVC_FILTER_NEXT to go on, or
 * SVC_FILTER_DONE after filling resp (svc_resp_err, svc_resp_raw, ...) to
 * answer the request itself; the handler then never runs. */
enum svc_filter_result { SVC_FILTER_NEXT, SVC_FILTER_DONE };
typedef enum svc_filter_result (*svc_filter_fn)(void *arg, struct svc_req *req,
						struct svc_resp *resp);
/* One filter per server (a second call replaces the first); set it before
 * svc_http_listen. arg is borrowed for the server's life. */
void svc_http_set_filter(struct svc_http *h, svc_filter_fn fn, void *arg);

/* Calls fn once per registered route, in registration order. */
typedef void (*svc_route_visit_fn)(void *arg, const char *method, const char *pattern);
void svc_http_routes(const struct svc_http *h, svc_route_visit_fn fn, void *arg);

/* Closes the listening socket; in-flight requests still complete. */
void svc_http_stop_accepting(struct svc_http *h);
/* Requests accepted and not yet answered, open streams included. */
size_t svc_http_inflight(struct svc_http *h);

/* ---- streaming responses ----------------------------------------------
 *
 * A handler may turn its answer into a stream: a response whose body goes
 * on after the handler returned (Server-Sent Events), without holding a
 * worker. Its owner then sends bytes from any thread; the loop thread
 * writes them. The access log line and the request metrics are written
 * when the stream ends.
 *
 *     s = svc_stream_open(req, resp, "text/event-stream", on_end, me);
 *     if (!s) { svc_resp_errf(resp, SVC_EUNAVAIL, ...); return; }
 *     ...return from the handler; later, on any thread:
 *     svc_stream_send(s, "data: x\n\n", 9);
 *     svc_stream_close(s);      (once, also after on_end ran)
 *
 * A stream ends when its owner closes it, when the client goes away, when
 * the client falls more than SVC_STREAM_MAX_QUEUED bytes behind (or reads
 * nothing for the server's write timeout), or when the server stops
 * (svc_http_end_streams, svc_http_free). The connection's read timeout does
 * not apply to a stream: the client sends nothing while it listens. */
struct svc_stream;

/* Bytes a stream may have waiting for a slow client (queued plus in the
 * connection's buffer) before the server ends it. */
#define SVC_STREAM_MAX_QUEUED ((size_t)1 << 20)

/* Called once, on the loop thread, when the server ends a stream that its
 * owner has not closed: the client went away, fell behind, or the server
 * is stopping. Never before the handler that opened the stream returned.
 * Must not block. The owner still calls svc_stream_close(s), here or
 * later; until then s stays valid (svc_stream_send answers -1). */
typedef void (*svc_stream_end_fn)(void *arg, struct svc_stream *s);

/* From a handler: makes the answer a stream. When the handler returns, the
 * server sends the status line (resp->status, set to 200 here), the
 * headers (resp's, the filter's included; Content-Type content_type), then
 * resp->body if the handler left one, then whatever svc_stream_send queued,
 * until the stream ends. on_end (may be NULL) and arg are borrowed until
 * svc_stream_close.
 * Returns the caller's handle, which it releases with svc_stream_close; or
 * NULL, leaving resp unchanged, when max_streams streams are open, the
 * server is stopping, or memory ran out: answer 503 then. */
struct svc_stream *svc_stream_open(struct svc_req *req, struct svc_resp *resp,
				   const char *content_type, svc_stream_end_fn on_end,
				   void *arg);
/* Queues a copy of data[0..len) for the client, from any thread; never
 * waits for the client. Returns 0, or -1 when the stream has ended or is
 * ending (closed, client gone, or this send would pass
 * SVC_STREAM_MAX_QUEUED: the server then ends it). */
int svc_stream_send(struct svc_stream *s, const void *data, size_t len);
/* Ends the stream once what was queued is written, and releases the
 * caller's handle: s is invalid after. From any thread, on_end included;
 * exactly once per svc_stream_open. */
void svc_stream_close(struct svc_stream *s);

/* On the loop thread: ends every open stream (each owner's on_end runs)
 * and refuses new ones. A stream whose handler still runs ends as soon as
 * that returns. Graceful shutdown calls it first, since streams never end
 * by themselves and would hold the drain for its whole grace. */
void svc_http_end_streams(struct svc_http *h);
/* Streams open now. */
size_t svc_http_streams(struct svc_http *h);

const char *svc_req_param(const struct svc_req *r, const char *name);
/* Case-insensitive header lookup; NULL when absent. */
const char *svc_req_header(const struct svc_req *r, const char *name);
/* First decoded query value for name; NULL when absent. */
const char *svc_req_query(const struct svc_req *r, const char *name);
/* The token of "Authorization: Bearer <token>"; NULL when there is none. */
const char *svc_req_bearer(const struct svc_req *r);

/* Takes ownership of body (may be NULL for no body) and renders it. */
void svc_resp_json(struct svc_resp *resp, int status, cJSON *body);
/* Takes ownership of body (malloc'd, may be NULL). */
void svc_resp_raw(struct svc_resp *resp, int status, const char *content_type,
		  char *body, size_t len);
void svc_resp_err(struct svc_resp *resp, const struct svc_err *err);
void svc_resp_errf(struct svc_resp *resp, enum svc_result code, const char *field,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Copies name and value; at most 12 headers (more are dropped). */
void svc_resp_header(struct svc_resp *resp, const char *name, const char *value);

/* Matches path against pattern; on success fills params (caller frees with
 * svc_kv_free_all) and returns true. Exposed for tests. */
bool svc_route_match(const char *pattern, const char *path, struct svc_kv **params,
		     size_t *nparams);
void svc_kv_free_all(struct svc_kv *kv, size_t n);

/* Decodes a query string ("a=1&b=x%20y", without the '?') into name/value
 * pairs in order, as handlers see them in req->query. Returns 0 with *kv
 * (caller frees with svc_kv_free_all) and *n set, or -1 (nothing to free)
 * when it is malformed or memory ran out. */
int svc_http_query_parse(const char *q, struct svc_kv **kv, size_t *n);

#endif
