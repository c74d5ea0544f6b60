#ifndef AGT_ROUTES_H
#define AGT_ROUTES_H

#include "converse.h"
#include "svc/dapr.h"
#include "svc/pg.h"

struct svc_app;
struct svc_auth;
struct svc_pool;

struct agt_ctx {
	struct svc_app *app;
	struct svc_auth *auth;
	struct svc_pg_opts pg;
	struct svc_pg_pool *db;
	struct svc_peer tasks;  /* task-service: TASK_SERVICE_URL, or by invocation */
	long task_timeout_ms;   /* each call to it */
	struct svc_pool *chat;  /* POST /api/chat: the planners, the model */
	struct agt_converse_cfg converse;
	size_t history_max;     /* messages read back for the model */
	long mcp_session_ttl;   /* seconds */
};

/* Registers every route; ctx is borrowed for the process's life. */
int agt_routes_register(struct svc_app *app, struct agt_ctx *ctx);

#endif
