/* The gateway's edge duties on every /api request, run as the HTTP
 * server's filter on the loop thread, before the handler: CORS (preflights
 * answered here, allow headers added to every answer), the caller's token
 * checked once (the handlers read the result, gw_caller), and rate limits
 * (429 with Retry-After), counted in Redis without holding a thread: a
 * request whose windows the gateway knows is decided at once, and the
 * counts go to Redis in batches (ratecount.h). */
#ifndef GW_EDGE_H
#define GW_EDGE_H

#include <stdbool.h>

#include "cors.h"
#include "ratecount.h"
#include "ratelimit.h"
#include "static_files.h"
#include "svc/app.h"
#include "svc/auth.h"
#include "svc/redis.h"

struct event_base;
struct event;
struct gw_pat_cache;
struct svc_pg_pool;
struct svc_pool;

struct gw_edge {
	struct svc_auth *auth;          /* borrowed */
	struct svc_redis_async *redis;  /* borrowed; NULL: limits unchecked */
	struct gw_rl_table *table;      /* the windows known here */
	struct event *flush;            /* sends the table's counts */
	long long swept_ms;
	struct gw_rl_limits limits;
	struct svc_nets trusted;
	struct gw_cors cors;
	struct gw_static web; /* WEB_ROOT: the web app's files at / */
	/* After a Redis failure, requests pass unchecked until then (ms). */
	long long unchecked_until;
	/* Personal API tokens: looked up on a pool (never on the loop), the
	 * answers cached. All borrowed; NULL pool: personal tokens refused. */
	struct svc_pool *lookup_pool;
	struct svc_pg_pool *const *db; /* made after the edge: read at use */
	long db_wait_ms;
	struct gw_pat_cache *pats;
};

/* Reads RATE_LIMIT_ADDR_PER_MIN, RATE_LIMIT_AUTH_PER_MIN,
 * RATE_LIMIT_USER_PER_MIN, TRUSTED_PROXIES, CORS_ALLOWED_ORIGINS and
 * WEB_ROOT into e; problems are recorded in cfg. Free with gw_edge_cleanup. */
void gw_edge_init(struct gw_edge *e, struct svc_config *cfg);
/* What the filter checks tokens with and counts in; both borrowed for e's
 * life (auth may be NULL: tokens unchecked here, the handlers check), and
 * the loop the counts are sent from. Returns 0, or -1 on OOM. */
int gw_edge_attach(struct gw_edge *e, struct svc_auth *auth, struct svc_redis_async *redis,
		   struct event_base *base);
void gw_edge_cleanup(struct gw_edge *e);
/* Where personal API tokens are looked up: Postgres handles from *db
 * (waiting at most wait_ms) on pool, remembered in pats. */
void gw_edge_tokens(struct gw_edge *e, struct svc_pool *pool, struct svc_pg_pool *const *db,
		    long wait_ms, struct gw_pat_cache *pats);

/* The filter (svc_filter_fn); arg is the struct gw_edge. GET and HEAD
 * outside /api are answered from WEB_ROOT when it is set (static_files.h);
 * other requests outside /api pass untouched. When Redis is down or slow,
 * requests pass unchecked (fail open) for 2 s, logged and counted in
 * gateway_rate_limit_unchecked_total. */
enum svc_filter_result gw_edge_filter(void *arg, struct svc_req *req, struct svc_resp *resp);

/* What the edge found of the request's token (req->local). */
struct gw_who {
	bool present;           /* the request carried a token */
	bool personal;          /* a personal API token, swapped for upstream */
	char *upstream;         /* the access JWT it was swapped for, or NULL */
	enum svc_result result; /* SVC_OK, or why the token was refused */
	struct svc_err err;
	struct svc_claims claims;
};

/* The caller of req: the claims of its access token into *out, as the edge
 * checked them (checked here with auth when the edge did not run). On a
 * missing or bad token answers resp (401) and returns false. */
bool gw_caller(struct svc_auth *auth, struct svc_req *req, struct svc_resp *resp,
	       struct svc_claims *out);

/* True when req came with a personal API token (its claims carry scopes). */
bool gw_caller_personal(const struct svc_req *req);

/* The token to send upstream for req: the access JWT a personal token was
 * swapped for, else the request's own (gw_request_token). Borrowed from
 * req; NULL when there is none. */
const char *gw_upstream_token(const struct svc_req *req);

#endif
