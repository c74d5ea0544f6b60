/* decode -> validate -> call -> encode */
#include "routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relay.h"
#include "svc/app.h"
#include "svc/json.h"
#include "svc/log.h"
#include "task.h"
#include "task_store.h"

/* Replies with the task JSON text (taken) and its version as ETag. */
static void reply_task(struct svc_resp *resp, int status, char *snapshot)
{
	cJSON *t = NULL;
	struct svc_err err = {0};
	if (svc_json_parse(snapshot, strlen(snapshot), &t, &err) != SVC_OK) {
		free(snapshot);
		svc_resp_errf(resp, SVC_EINTERNAL, NULL, "bad task record");
		return;
	}
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, "version");
	if (cJSON_IsNumber(v)) {
		char etag[32];
		snprintf(etag, sizeof etag, "\"%d\"", v->valueint);
		svc_resp_header(resp, "ETag", etag);
	}
	cJSON_Delete(t);
	svc_resp_raw(resp, status, "application/json", snapshot, strlen(snapshot));
}

static bool authed(struct tsk_ctx *ctx, struct svc_req *req, struct svc_resp *resp,
		   struct svc_claims *who)
{
	struct svc_err err = {0};
	if (svc_app_auth(ctx->app, req, "access", who, &err) != SVC_OK) {
		svc_resp_err(resp, &err);
		return false;
	}
	return true;
}

static void h_create(struct svc_req *req, struct svc_resp *resp)
{
	struct tsk_ctx *ctx = req->ctx;
	struct svc_claims who;
	if (!authed(ctx, req, resp, &who))
		return;
	struct tsk_new in;
	struct svc_err err = {0};
	if (tsk_validate_new(req->json, &in, &err) != SVC_OK) {
		svc_resp_err(resp, &err);
		return;
	}
	char *snap = NULL;
	if (tsk_store_create(ctx->conninfo, who.sub, &in, &snap, &err) != SVC_OK) {
		svc_error(req->request_id, "create task: %s", err.message);
		svc_resp_err(resp, &err);
		return;
	}
	tsk_relay_kick(ctx->relay);
	reply_task(resp, 201, snap);
}

static void h_get(struct svc_req *req, struct svc_resp *resp)
{
	struct tsk_ctx *ctx = req->ctx;
	struct svc_claims who;
	if (!authed(ctx, req, resp, &who))
		return;
	char *snap = NULL;
	struct svc_err err = {0};
	if (tsk_store_get(ctx->conninfo, who.sub, svc_req_param(req, "id"), &snap, &err) != SVC_OK) {
		svc_resp_err(resp, &err);
		return;
	}
	reply_task(resp, 200, snap);
}

int tsk_routes_register(struct svc_app *app, struct tsk_ctx *ctx)
{
	(void)ctx;
	int rc = 0;
	rc |= svc_app_route(app, "POST", "/api/tasks", h_create, NULL, SVC_ROUTE_JSON);
	rc |= svc_app_route(app, "GET", "/api/tasks/{id}", h_get, NULL, 0);
	return rc;
}
