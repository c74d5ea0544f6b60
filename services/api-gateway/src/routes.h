#ifndef GW_ROUTES_H
#define GW_ROUTES_H

#include <stddef.h>

#include "svc/dapr.h"
#include "svc/pg.h"
#include "svc/redis.h"

struct svc_app;
struct svc_auth;
struct svc_pool;
struct svc_upstream;
struct gw_hub;
struct gw_pat_cache;

struct gw_ctx {
	struct svc_app *app;
	struct svc_auth *auth;
	struct svc_peer task_service; /* TASK_SERVICE_URL, or through the sidecar */
	struct svc_peer notifier;     /* NOTIFIER_URL, likewise */
	struct svc_upstream *up_tasks;    /* the proxy's pools, on the loop */
	struct svc_upstream *up_notifier;
	struct svc_peer ai_agent;          /* AI_AGENT_URL, or through the sidecar */
	struct svc_upstream *up_agent;     /* chat turns: a longer timeout */
	struct gw_pat_cache *pats;         /* personal API tokens the edge knows */
	struct svc_pool *hash_pool;   /* register and login: Argon2 and Postgres */
	struct gw_hub *hub;           /* live notifications (sse_hub.h) */
	long upstream_timeout_ms;
	struct svc_redis_addr redis;
	struct svc_pg_opts pg;   /* the auth schema: DATABASE_URL, pool size, wait */
	struct svc_pg_pool *db; /* the auth routes' handles; made by gw_auth_routes_register */
	long access_ttl_s;      /* ACCESS_TOKEN_TTL_S: access-token lifetime */
};

int gw_routes_register(struct svc_app *app, struct gw_ctx *ctx);

#endif
