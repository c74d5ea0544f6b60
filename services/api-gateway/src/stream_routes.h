/* GET /api/notifications/stream: the caller's notifications live, as
 * Server-Sent Events (see sse_hub.h for where they come from). */
#ifndef GW_STREAM_ROUTES_H
#define GW_STREAM_ROUTES_H

#include "routes.h"

struct svc_app;

/* Registers the route and the readiness check of the hub's Redis
 * subscription. ctx (its app and hub) is borrowed for the process's life.
 * Returns 0 or -1. */
int gw_stream_routes_register(struct svc_app *app, struct gw_ctx *ctx);

#endif
