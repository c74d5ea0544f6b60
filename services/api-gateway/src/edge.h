/* The gateway's edge duties on every /api request, run as the HTTP
 * server's filter before routing: CORS (preflights answered here, allow
 * headers added to every answer) and rate limits (429 with Retry-After). */
#ifndef GW_EDGE_H
#define GW_EDGE_H

#include <stdatomic.h>

#include "cors.h"
#include "ratelimit.h"
#include "static_files.h"
#include "svc/app.h"
#include "svc/redis.h"

struct gw_edge {
	struct svc_app *app;
	const struct svc_redis_addr *redis; /* borrowed */
	struct gw_rl_limits limits;
	struct svc_nets trusted;
	struct gw_cors cors;
	struct gw_static web; /* WEB_ROOT: the web app's files at / */
	/* After a Redis failure, requests pass unchecked until then (ms). */
	_Atomic long long unchecked_until;
};

/* Reads RATE_LIMIT_ADDR_PER_MIN, RATE_LIMIT_AUTH_PER_MIN,
 * RATE_LIMIT_USER_PER_MIN, TRUSTED_PROXIES, CORS_ALLOWED_ORIGINS and
 * WEB_ROOT into e;
 * problems are recorded in cfg. app and redis are borrowed for e's life.
 * Free with gw_edge_cleanup. */
void gw_edge_init(struct gw_edge *e, struct svc_config *cfg, struct svc_app *app,
		  const struct svc_redis_addr *redis);
void gw_edge_cleanup(struct gw_edge *e);

/* The filter (svc_filter_fn); arg is the struct gw_edge. GET and HEAD
 * outside /api are answered from WEB_ROOT when it is set (static_files.h);
 * other requests outside /api pass untouched. When Redis is down requests pass unchecked (fail
 * open), logged and counted in gateway_rate_limit_unchecked_total. */
enum svc_filter_result gw_edge_filter(void *arg, struct svc_req *req, struct svc_resp *resp);

#endif
