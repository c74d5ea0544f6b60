/* api-gateway: wiring only. */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "edge.h"
#include "openapi.h"
#include "routes.h"
#include "sse_hub.h"
#include "svc/app.h"
#include "svc/log.h"

int main(void)
{
	struct svc_config cfg;
	svc_config_init(&cfg);
	struct gw_ctx ctx = {0};
	struct svc_app *app = svc_app_new("api-gateway", &cfg, &ctx);
	if (!app)
		return 1;
	ctx.app = app;
	static char task_default[300];
	snprintf(task_default, sizeof task_default, "%s/v1.0/invoke/task-service/method",
		 svc_app_dapr(app)->base);
	ctx.task_service_url = svc_config_str(&cfg, "TASK_SERVICE_URL", task_default);
	static char notifier_default[300];
	snprintf(notifier_default, sizeof notifier_default, "%s/v1.0/invoke/notifier/method",
		 svc_app_dapr(app)->base);
	ctx.notifier_url = svc_config_str(&cfg, "NOTIFIER_URL", notifier_default);
	ctx.upstream_timeout_ms = svc_config_long(&cfg, "UPSTREAM_TIMEOUT_MS", "10000", 100, 120000);
	long heartbeat_ms = svc_config_long(&cfg, "SSE_HEARTBEAT_MS", "15000", 100, 3600000);
	ctx.redis.host = svc_config_str(&cfg, "REDIS_HOST", "127.0.0.1");
	ctx.redis.port = (int)svc_config_long(&cfg, "REDIS_PORT", "6379", 1, 65535);
	ctx.conninfo = svc_config_str(&cfg, "DATABASE_URL", NULL);
	ctx.access_ttl_s = gw_access_ttl(&cfg);
	struct gw_edge edge;
	gw_edge_init(&edge, &cfg, app, &ctx.redis);
	int rc = 1;
	if (svc_config_check(&cfg, "api-gateway") != 0) {
		rc = 2;
		goto out;
	}
	const struct gw_hub_opts hub = {ctx.redis.host, ctx.redis.port, ctx.notifier_url,
					ctx.upstream_timeout_ms, heartbeat_ms};
	if (!(ctx.hub = gw_hub_new(&hub)))
		goto out;
	svc_app_use_jwt(app);
	svc_app_filter(app, gw_edge_filter, &edge);
	if (gw_routes_register(app, &ctx) != 0 || gw_openapi_register(app) != 0)
		goto out;
	rc = svc_app_run(app);
out:
	/* The hub's threads stop before the server (and every stream) goes;
	 * the hub itself after. */
	gw_hub_stop(ctx.hub);
	svc_app_free(app);
	gw_hub_free(ctx.hub);
	gw_edge_cleanup(&edge);
	return rc;
}
