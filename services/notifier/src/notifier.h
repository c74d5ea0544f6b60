/* What every notifier handler shares (req->ctx, and the event handlers'
 * argument). */
#ifndef NTF_NOTIFIER_H
#define NTF_NOTIFIER_H

#include "deliver.h"
#include "svc/pg.h"
#include "svc/redis.h"

struct svc_app;
struct svc_auth;

struct ntf_ctx {
	struct svc_app *app;
	struct svc_auth *auth;
	struct svc_pg_opts pg;          /* DATABASE_URL, pool size, wait */
	struct svc_pg_pool *db;         /* handlers acquire a handle here, once each */
	struct svc_redis_addr redis;   /* live push */
	struct ntf_deliver_cfg deliver; /* webhooks, e-mail, retries */
	struct ntf_deliver *workers;    /* NULL until started */
};

#endif
