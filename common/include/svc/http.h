/* The HTTP server every service runs: evhttp on the loop thread for I/O,
 * a pool of worker threads for handlers (which may block on Postgres, Redis
 * or the sidecar, each with a timeout), routing with path parameters, a body
 * size limit, strict JSON bodies, request ids, metrics and an access log. */
#ifndef SVC_HTTP_H
#define SVC_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "svc/result.h"

struct event_base;
struct svc_http;

struct svc_kv {
	char *name;
	char *value;
};

/* A request as a handler sees it. Everything is owned by the server and
 * valid until the handler returns. */
struct svc_req {
	const char *method;
	const char *path;  /* decoded, without the query */
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
	void *ctx; /* the service's context, from svc_http_opts */
	void *arg; /* the route's argument */
};

/* What a handler fills in. Start: status 500, no body. */
struct svc_resp {
	int status;
	char *body; /* owned; freed by the server */
	size_t body_len;
	char content_type[64];
	struct svc_kv headers[8];
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

/* Closes the listening socket; in-flight requests still complete. */
void svc_http_stop_accepting(struct svc_http *h);
/* Requests accepted and not yet answered. */
size_t svc_http_inflight(struct svc_http *h);

const char *svc_req_param(const struct svc_req *r, const char *name);
/* Case-insensitive header lookup; NULL when absent. */
const char *svc_req_header(const struct svc_req *r, const char *name);
/* First decoded query value for name; NULL when absent. */
const char *svc_req_query(const struct svc_req *r, const char *name);

/* Takes ownership of body (may be NULL for no body) and renders it. */
void svc_resp_json(struct svc_resp *resp, int status, cJSON *body);
/* Takes ownership of body (malloc'd, may be NULL). */
void svc_resp_raw(struct svc_resp *resp, int status, const char *content_type,
		  char *body, size_t len);
void svc_resp_err(struct svc_resp *resp, const struct svc_err *err);
void svc_resp_errf(struct svc_resp *resp, enum svc_result code, const char *field,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Copies name and value; at most 8 headers. */
void svc_resp_header(struct svc_resp *resp, const char *name, const char *value);

/* Matches path against pattern; on success fills params (caller frees with
 * svc_kv_free_all) and returns true. Exposed for tests. */
bool svc_route_match(const char *pattern, const char *path, struct svc_kv **params,
		     size_t *nparams);
void svc_kv_free_all(struct svc_kv *kv, size_t n);

#endif
