#ifndef TSK_ROUTES_H
#define TSK_ROUTES_H

#include "svc/pg.h"

struct svc_app;
struct svc_auth;
struct tsk_relay;

/* Shared by every handler (req->ctx). */
struct tsk_ctx {
	struct svc_app *app;
	struct svc_auth *auth;
	struct svc_pg_opts pg;   /* DATABASE_URL, pool size, wait */
	struct svc_pg_pool *db;  /* handlers acquire a handle here, once each */
	struct tsk_relay *relay;
};

/* Registers the task routes on app; handlers find their struct tsk_ctx in
 * req->ctx. */
int tsk_routes_register(struct svc_app *app);

#endif
