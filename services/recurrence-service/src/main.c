/* recurrence-service: wiring only. */
#include <stdio.h>

#include "routes.h"
#include "series.h"
#include "series_store.h"
#include "svc/app.h"
#include "svc/auth.h"
#include "svc/log.h"
#include "svc/pubsub.h"

int main(void)
{
	struct svc_config cfg;
	svc_config_init(&cfg);
	struct rec_ctx ctx = {0};
	struct svc_app *app = svc_app_new("recurrence-service", &cfg, &ctx);
	if (!app)
		return 1;
	ctx.app = app;
	ctx.auth = svc_auth_new(app, &cfg);
	svc_pg_opts_read(&cfg, &ctx.pg);
	struct svc_err err = {0};
	if (svc_peer_init(&ctx.task_service, svc_app_dapr(app), "task-service",
			  svc_config_str(&cfg, "TASK_SERVICE_URL", ""), &err) != SVC_OK)
		svc_config_fail(&cfg, "TASK_SERVICE_URL: %s", err.message);
	ctx.timeout_ms = svc_config_long(&cfg, "UPSTREAM_TIMEOUT_MS", "10000", 100, 120000);
	struct svc_pubsub *ps = NULL;
	int rc = 2;
	if (!ctx.auth || svc_config_check(&cfg, "recurrence-service") != 0)
		goto out;
	rc = 1;
	if (rec_store_migrate(ctx.pg.conninfo, &err) != SVC_OK) {
		svc_error(NULL, "migrations failed: %s", err.message);
		goto out;
	}
	if (rec_ctx_open(&ctx) != 0)
		goto out;
	svc_app_ready_check(app, "postgres", svc_pg_ready_check, ctx.db);
	if ((ps = svc_pubsub_new(app)) && rec_routes_register(ps, &ctx) == 0)
		rc = svc_app_run(app);
out:
	svc_app_free(app);
	svc_pubsub_free(ps);
	rec_ctx_close(&ctx);
	svc_auth_free(ctx.auth);
	return rc;
}
