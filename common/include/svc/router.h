/* Routing, no I/O: a table of method + path patterns with {param}
 * segments, matched in registration order, and the query-string reader.
 * A router is filled before the server starts and only read after. */
#ifndef SVC_ROUTER_H
#define SVC_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

struct svc_kv {
	char *name;
	char *value;
};

void svc_kv_free_all(struct svc_kv *kv, size_t n);

/* Matches path against pattern; on success fills params (caller frees with
 * svc_kv_free_all) and returns true. */
bool svc_route_match(const char *pattern, const char *path, struct svc_kv **params,
		     size_t *nparams);

/* Decodes a query string ("a=1&b=x%20y", without the '?') into name/value
 * pairs in order. Returns 0 with *kv (caller frees with svc_kv_free_all)
 * and *n set, or -1 (nothing to free) when it is malformed or memory ran
 * out. */
int svc_query_parse(const char *q, struct svc_kv **kv, size_t *n);

struct svc_router;

/* A handler of any type: the owner casts it back to its own. */
typedef void (*svc_route_fn)(void);

struct svc_route {
	char method[16]; /* "*" matches any */
	char *pattern;
	svc_route_fn fn; /* the owner's handler */
	void *arg;
	int flags;
	void *pool;      /* where the handler runs; the owner's choice */
};

/* An empty table; NULL on OOM. */
struct svc_router *svc_router_new(void);
void svc_router_free(struct svc_router *r);
/* Appends a route (copies method and pattern). Returns 0 or -1. */
int svc_router_add(struct svc_router *r, const struct svc_route *route);

enum svc_route_found { SVC_ROUTE_FOUND, SVC_ROUTE_NO_PATH, SVC_ROUTE_NO_METHOD };
/* The first route matching method and path: *out is borrowed from the
 * table, *params as svc_route_match. NO_METHOD when the path matches some
 * route under another method (405), NO_PATH when none (404). */
enum svc_route_found svc_router_find(const struct svc_router *r, const char *method,
				     const char *path, const struct svc_route **out,
				     struct svc_kv **params, size_t *nparams);

/* Calls fn once per route, in registration order. */
typedef void (*svc_route_visit_fn)(void *arg, const char *method, const char *pattern);
void svc_router_visit(const struct svc_router *r, svc_route_visit_fn fn, void *arg);

#endif
