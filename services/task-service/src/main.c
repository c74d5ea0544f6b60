/* task-service: wiring only. */
#include <stdio.h>
#include <stdlib.h>

#include "relay.h"
#include "routes.h"
#include "svc/app.h"
#include "svc/auth.h"
#include "svc/log.h"
#include "svc/pg.h"
#include "task_store.h"

int main(void)
{
	struct svc_config cfg;
	svc_config_init(&cfg);
	struct tsk_ctx ctx = {0};
	struct svc_app *app = svc_app_new("task-service", &cfg, &ctx);
	if (!app)
		return 1;
	ctx.app = app;
	ctx.auth = svc_auth_new(app, &cfg);
	svc_pg_opts_read(&cfg, &ctx.pg);
	long retention_s = svc_config_long(&cfg, "OUTBOX_RETENTION_SECONDS", "604800", 0,
					   100L * 365 * 86400);
	if (!ctx.auth || svc_config_check(&cfg, "task-service") != 0) {
		svc_app_free(app);
		svc_auth_free(ctx.auth);
		return 2;
	}
	struct svc_err err = {0};
	int rc = 1;
	if (tsk_store_migrate(ctx.pg.conninfo, &err) != SVC_OK) {
		svc_error(NULL, "migrations failed: %s", err.message);
		goto out;
	}
	if (!(ctx.db = svc_pg_pool_new(ctx.pg.conninfo, ctx.pg.pool_size)))
		goto out;
	svc_app_ready_check(app, "postgres", svc_pg_ready_check, ctx.db);
	if (tsk_routes_register(app) != 0)
		goto out;
	/* Printing the routes publishes nothing. */
	if (!svc_app_print_only(app) &&
	    !(ctx.relay = tsk_relay_start(ctx.pg.conninfo, svc_app_dapr(app), svc_app_pubsub(app),
					  retention_s)))
		goto out;
	rc = svc_app_run(app);
out:
	/* Requests have drained; the relay finishes its batch and stops. */
	tsk_relay_stop(ctx.relay);
	svc_app_free(app);
	svc_pg_pool_free(ctx.db);
	svc_auth_free(ctx.auth);
	return rc;
}
