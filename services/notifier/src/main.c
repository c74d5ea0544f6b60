/* notifier: wiring only. */
#include "events.h"
#include "notifier_store.h"
#include "svc/app.h"
#include "svc/log.h"
#include "svc/pg.h"

int main(void)
{
	struct svc_config cfg;
	svc_config_init(&cfg);
	struct ntf_ctx ctx = {0};
	struct svc_app *app = svc_app_new("notifier", &cfg, &ctx);
	if (!app)
		return 1;
	ctx.app = app;
	ctx.conninfo = svc_config_str(&cfg, "DATABASE_URL", NULL);
	if (svc_config_check(&cfg, "notifier") != 0) {
		svc_app_free(app);
		return 2;
	}
	struct svc_err err = {0};
	if (ntf_store_migrate(ctx.conninfo, &err) != SVC_OK) {
		svc_error(NULL, "migrations failed: %s", err.message);
		svc_app_free(app);
		return 1;
	}
	svc_app_ready_check(app, "postgres", svc_pg_ready_check, (void *)ctx.conninfo);
	for (const char *const *t = ntf_topics; *t; t++)
		if (svc_app_subscribe(app, *t, ntf_on_event, &ctx) != 0) {
			svc_app_free(app);
			return 1;
		}
	int rc = svc_app_run(app);
	svc_app_free(app);
	return rc;
}
