/* reminder-service: wiring only. Scheduling and firing reminders arrive
 * with their issue; until then the service runs with health, readiness
 * (sidecar and Redis) and metrics and answers 404 for any other route. */
#include "svc/app.h"
#include "svc/log.h"
#include "svc/redis.h"

int main(void)
{
	struct svc_config cfg;
	svc_config_init(&cfg);
	struct svc_app *app = svc_app_new("reminder-service", &cfg, NULL);
	if (!app)
		return 1;
	struct svc_redis_addr redis = {
		.host = svc_config_str(&cfg, "REDIS_HOST", "127.0.0.1"),
		.port = (int)svc_config_long(&cfg, "REDIS_PORT", "6379", 1, 65535),
	};
	if (svc_config_check(&cfg, "reminder-service") != 0) {
		svc_app_free(app);
		return 2;
	}
	svc_app_ready_check(app, "redis", svc_redis_ready_check, &redis);
	int rc = svc_app_run(app);
	svc_app_free(app);
	return rc;
}
