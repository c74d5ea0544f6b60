/* The account routes under /api/auth: register, login, refresh, logout, me. */
#ifndef GW_AUTH_ROUTES_H
#define GW_AUTH_ROUTES_H

#include "routes.h"

struct svc_app;

/* Prepares password hashing, applies the auth schema's migrations (waiting
 * for Postgres up to a minute), adds the Postgres readiness check and
 * registers the routes. ctx (its app and pg options) is borrowed for the
 * process's life; ctx->db receives the routes' pool of Postgres handles
 * (the caller frees it with svc_pg_pool_free after the server has
 * stopped). Returns 0, or -1 after logging why. */
int gw_auth_routes_register(struct svc_app *app, struct gw_ctx *ctx);

#endif
