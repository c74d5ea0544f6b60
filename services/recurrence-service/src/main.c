/* recurrence-service: wiring only. */
#include <stdio.h>

#include "routes.h"
#include "series.h"
#include "series_store.h"
#include "svc/app.h"
#include "svc/log.h"

int main(void)
{
	struct svc_config cfg;
	svc_config_init(&cfg);
	struct rec_ctx ctx = {0};
	struct svc_app *app = svc_app_new("recurrence-service", &cfg, &ctx);
	if (!app)
		return 1;
	ctx.app = app;
	svc_pg_opts_read(&cfg, &ctx.pg);
	static char task_default[300];
	snprintf(task_default, sizeof task_default, "%s/v1.0/invoke/task-service/method",
		 svc_app_dapr(app)->base);
	ctx.task_service_url = svc_config_str(&cfg, "TASK_SERVICE_URL", task_default);
	ctx.timeout_ms = svc_config_long(&cfg, "UPSTREAM_TIMEOUT_MS", "10000", 100, 120000);
	if (svc_config_check(&cfg, "recurrence-service") != 0) {
		svc_app_free(app);
		return 2;
	}
	struct svc_err err = {0};
	int rc = 1;
	if (rec_store_migrate(ctx.pg.conninfo, &err) != SVC_OK) {
		svc_error(NULL, "migrations failed: %s", err.message);
		goto out;
	}
	if (rec_ctx_open(&ctx) != 0)
		goto out;
	svc_app_use_jwt(app);
	svc_app_ready_check(app, "postgres", svc_pg_ready_check, ctx.db);
	if (rec_routes_register(app, &ctx) == 0)
		rc = svc_app_run(app);
out:
	svc_app_free(app);
	rec_ctx_close(&ctx);
	return rc;
}
