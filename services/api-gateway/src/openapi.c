#include "openapi.h"

#include <stdlib.h>
#include <string.h>

#include "svc/app.h"

static void h_openapi(struct svc_req *req, struct svc_resp *resp)
{
	(void)req;
	char *body = malloc(gw_openapi_yaml_len);
	if (!body) {
		svc_resp_errf(resp, SVC_ENOMEM, NULL, "out of memory");
		return;
	}
	memcpy(body, gw_openapi_yaml, gw_openapi_yaml_len);
	svc_resp_raw(resp, 200, "application/yaml", body, gw_openapi_yaml_len);
}

int gw_openapi_register(struct svc_app *app)
{
	/* Memory only: answered on the loop, after the edge. */
	return svc_app_route(app, "GET", "/api/openapi.yaml", h_openapi, NULL, SVC_ROUTE_ASYNC);
}
