/* recurrence-service: wiring only. Materializing recurring series arrives
 * with its issue; until then the service runs with health, readiness and
 * metrics and answers 404 for any other route. */
#include "svc/app.h"
#include "svc/log.h"

int main(void)
{
	struct svc_config cfg;
	svc_config_init(&cfg);
	struct svc_app *app = svc_app_new("recurrence-service", &cfg, NULL);
	if (!app)
		return 1;
	if (svc_config_check(&cfg, "recurrence-service") != 0) {
		svc_app_free(app);
		return 2;
	}
	int rc = svc_app_run(app);
	svc_app_free(app);
	return rc;
}
