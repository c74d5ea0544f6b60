/* ai-agent: wiring only. Chat, conversation history and the MCP server
 * arrive with their issue; until then the service runs with health,
 * readiness and metrics and answers 404 for any other route. */
#include "svc/app.h"
#include "svc/auth.h"
#include "svc/log.h"
#include "svc/pg.h"

int main(void)
{
	struct svc_config cfg;
	svc_config_init(&cfg);
	struct svc_app *app = svc_app_new("ai-agent", &cfg, NULL);
	if (!app)
		return 1;
	struct svc_auth *auth = svc_auth_new(app, &cfg);
	struct svc_pg_opts pg;
	svc_pg_opts_read(&cfg, &pg);
	if (!auth || svc_config_check(&cfg, "ai-agent") != 0) {
		svc_app_free(app);
		svc_auth_free(auth);
		return 2;
	}
	struct svc_pg_pool *db = svc_pg_pool_new(pg.conninfo, pg.pool_size);
	int rc = 1;
	if (db) {
		svc_app_ready_check(app, "postgres", svc_pg_ready_check, db);
		rc = svc_app_run(app);
	}
	svc_app_free(app);
	svc_pg_pool_free(db);
	svc_auth_free(auth);
	return rc;
}
