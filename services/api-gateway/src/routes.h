#ifndef GW_ROUTES_H
#define GW_ROUTES_H

#include <stddef.h>

struct svc_app;

struct gw_ctx {
	struct svc_app *app;
	const char *task_service_url; /* base URL; method paths are appended */
	long upstream_timeout_ms;
	const char *redis_host;
	int redis_port;
};

int gw_routes_register(struct svc_app *app, struct gw_ctx *ctx);

#endif
