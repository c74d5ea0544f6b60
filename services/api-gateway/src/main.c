/* api-gateway: wiring only. */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "edge.h"
#include "openapi.h"
#include "pat.h"
#include "routes.h"
#include "sse_hub.h"
#include "svc/app.h"
#include "svc/auth.h"
#include "svc/log.h"
#include "svc/redis.h"

int main(void)
{
	struct svc_config cfg;
	svc_config_init(&cfg);
	struct gw_ctx ctx = {0};
	struct svc_app *app = svc_app_new("api-gateway", &cfg, &ctx);
	if (!app)
		return 1;
	ctx.app = app;
	ctx.auth = svc_auth_new(app, &cfg);
	const struct svc_dapr *dapr = svc_app_dapr(app);
	struct svc_err err = {0};
	if (svc_peer_init(&ctx.task_service, dapr, "task-service",
			  svc_config_str(&cfg, "TASK_SERVICE_URL", ""), &err) != SVC_OK)
		svc_config_fail(&cfg, "TASK_SERVICE_URL: %s", err.message);
	if (svc_peer_init(&ctx.notifier, dapr, "notifier", svc_config_str(&cfg, "NOTIFIER_URL", ""),
			  &err) != SVC_OK)
		svc_config_fail(&cfg, "NOTIFIER_URL: %s", err.message);
	if (svc_peer_init(&ctx.ai_agent, dapr, "ai-agent", svc_config_str(&cfg, "AI_AGENT_URL", ""),
			  &err) != SVC_OK)
		svc_config_fail(&cfg, "AI_AGENT_URL: %s", err.message);
	ctx.upstream_timeout_ms = svc_config_long(&cfg, "UPSTREAM_TIMEOUT_MS", "10000", 100, 120000);
	/* A chat turn may think (a model, its retries) for up to ai-agent's
	 * TURN_BUDGET_MS before its first byte: a longer silence is allowed. */
	long agent_timeout_ms = svc_config_long(&cfg, "AI_AGENT_TIMEOUT_MS", "120000", 100, 900000);
	long pat_cache_ms = svc_config_long(&cfg, "API_TOKEN_CACHE_MS", "30000", 0, 3600000);
	struct svc_upstream_opts up = {
		.max_conns = (int)svc_config_long(&cfg, "UPSTREAM_MAX_CONNS", "64", 1, 10000),
		.max_queued = (size_t)svc_config_long(&cfg, "UPSTREAM_MAX_QUEUED", "1024", 0, 1000000),
		.timeout_ms = ctx.upstream_timeout_ms,
	};
	long heartbeat_ms = svc_config_long(&cfg, "SSE_HEARTBEAT_MS", "15000", 100, 3600000);
	long redis_timeout_ms = svc_config_long(&cfg, "RATE_LIMIT_REDIS_TIMEOUT_MS", "250", 10, 60000);
	int hash_workers = (int)svc_config_long(&cfg, "AUTH_HASH_WORKERS", "2", 1, 16);
	size_t hash_queue = (size_t)svc_config_long(&cfg, "AUTH_QUEUE_MAX", "64", 1, 100000);
	ctx.redis.host = svc_config_str(&cfg, "REDIS_HOST", "127.0.0.1");
	ctx.redis.port = (int)svc_config_long(&cfg, "REDIS_PORT", "6379", 1, 65535);
	svc_pg_opts_read(&cfg, &ctx.pg);
	ctx.access_ttl_s = gw_access_ttl(&cfg);
	struct gw_edge edge;
	gw_edge_init(&edge, &cfg);
	struct svc_redis_async *limits = NULL;
	int rc = 1;
	if (!ctx.auth || svc_config_check(&cfg, "api-gateway") != 0) {
		rc = 2;
		goto out;
	}
	struct event_base *base = svc_app_base(app);
	ctx.up_tasks = svc_peer_upstream(&ctx.task_service, base, &up, &err);
	ctx.up_notifier = svc_peer_upstream(&ctx.notifier, base, &up, &err);
	struct svc_upstream_opts up_agent = up;
	up_agent.timeout_ms = agent_timeout_ms;
	ctx.up_agent = svc_peer_upstream(&ctx.ai_agent, base, &up_agent, &err);
	ctx.pats = gw_pat_cache_new(pat_cache_ms);
	limits = svc_redis_async_new(base, ctx.redis.host, ctx.redis.port, redis_timeout_ms);
	ctx.hash_pool = svc_app_pool(app, "auth", hash_workers, hash_queue);
	if (!ctx.up_tasks || !ctx.up_notifier || !ctx.up_agent || !ctx.pats || !limits ||
	    !ctx.hash_pool) {
		svc_error(NULL, "cannot set up: %s", err.message[0] ? err.message : "out of memory");
		goto out;
	}
	if (gw_edge_attach(&edge, ctx.auth, limits, base) != 0)
		goto out;
	/* Personal API tokens are looked up on the auth pool, in the auth
	 * schema's pool of handles (made when the routes register). */
	gw_edge_tokens(&edge, ctx.hash_pool, &ctx.db, ctx.pg.wait_ms, ctx.pats);
	const struct gw_hub_opts hub = {ctx.redis.host, ctx.redis.port, &ctx.notifier,
					ctx.upstream_timeout_ms, heartbeat_ms};
	if (!(ctx.hub = gw_hub_new(&hub)))
		goto out;
	svc_app_filter(app, gw_edge_filter, &edge);
	if (gw_routes_register(app, &ctx) != 0 || gw_openapi_register(app) != 0)
		goto out;
	rc = svc_app_run(app);
out:
	/* What waits on Redis or a peer ends now (its requests are answered
	 * or dropped), then the hub's threads, then the server and every
	 * stream with it; the hub itself last. */
	svc_redis_async_free(limits);
	svc_upstream_free(ctx.up_tasks);
	svc_upstream_free(ctx.up_notifier);
	svc_upstream_free(ctx.up_agent);
	gw_edge_cleanup(&edge);
	gw_hub_stop(ctx.hub);
	svc_app_free(app);
	gw_hub_free(ctx.hub);
	svc_pg_pool_free(ctx.db);
	svc_auth_free(ctx.auth);
	gw_pat_cache_free(ctx.pats);
	return rc;
}
