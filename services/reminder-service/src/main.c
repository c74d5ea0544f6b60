/* reminder-service: wiring only. Scheduling and firing reminders arrive
 * with their issue; until then the service runs with health, readiness
 * (sidecar and Redis) and metrics and answers 404 for any other route. */
#include "svc/app.h"
#include "svc/log.h"
#include "svc/redis.h"

struct rem_ctx {
	const char *redis_host;
	int redis_port;
};

static enum svc_result redis_ready(void *arg, struct svc_err *err)
{
	struct rem_ctx *ctx = arg;
	struct svc_redis *r = svc_redis_thread(ctx->redis_host, ctx->redis_port, 1000);
	if (!r)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	return svc_redis_ping(r, err);
}

int main(void)
{
	struct svc_config cfg;
	svc_config_init(&cfg);
	struct rem_ctx ctx = {0};
	struct svc_app *app = svc_app_new("reminder-service", &cfg, &ctx);
	if (!app)
		return 1;
	ctx.redis_host = svc_config_str(&cfg, "REDIS_HOST", "127.0.0.1");
	ctx.redis_port = (int)svc_config_long(&cfg, "REDIS_PORT", "6379", 1, 65535);
	if (svc_config_check(&cfg, "reminder-service") != 0) {
		svc_app_free(app);
		return 2;
	}
	svc_app_ready_check(app, "redis", redis_ready, &ctx);
	int rc = svc_app_run(app);
	svc_app_free(app);
	return rc;
}
