#ifndef GW_ROUTES_H
#define GW_ROUTES_H

#include <stddef.h>

#include "svc/redis.h"

struct svc_app;
struct gw_hub;

struct gw_ctx {
	struct svc_app *app;
	const char *task_service_url; /* base URL; method paths are appended */
	const char *notifier_url;     /* NOTIFIER_URL: base URL, as task_service_url */
	struct gw_hub *hub;           /* live notifications (sse_hub.h) */
	long upstream_timeout_ms;
	struct svc_redis_addr redis;
	const char *conninfo; /* DATABASE_URL: the auth schema */
	long access_ttl_s;    /* ACCESS_TOKEN_TTL_S: access-token lifetime */
};

int gw_routes_register(struct svc_app *app, struct gw_ctx *ctx);

#endif
