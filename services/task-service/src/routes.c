/* decode -> validate -> call -> encode */
#include "routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relay.h"
#include "svc/app.h"
#include "svc/log.h"
#include "task.h"
#include "task_store.h"

/* Replies with the task (its JSON is taken over) and its version as ETag. */
static void reply_task(struct svc_resp *resp, int status, struct tsk_record *rec)
{
	char etag[32];
	snprintf(etag, sizeof etag, "\"%ld\"", rec->version);
	svc_resp_header(resp, "ETag", etag);
	svc_resp_raw(resp, status, "application/json", rec->json, strlen(rec->json));
	rec->json = NULL;
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
	struct tsk_record rec;
	if (tsk_store_create(ctx->conninfo, who.sub, &in, &rec, &err) != SVC_OK) {
		svc_error(req->request_id, "create task: %s", err.message);
		svc_resp_err(resp, &err);
		return;
	}
	tsk_relay_kick(ctx->relay);
	reply_task(resp, 201, &rec);
}

static void h_get(struct svc_req *req, struct svc_resp *resp)
{
	struct tsk_ctx *ctx = req->ctx;
	struct svc_claims who;
	if (!authed(ctx, req, resp, &who))
		return;
	struct tsk_record rec;
	struct svc_err err = {0};
	if (tsk_store_get(ctx->conninfo, who.sub, svc_req_param(req, "id"), &rec, &err) != SVC_OK) {
		svc_resp_err(resp, &err);
		return;
	}
	reply_task(resp, 200, &rec);
}

int tsk_routes_register(struct svc_app *app)
{
	int rc = 0;
	rc |= svc_app_route(app, "POST", "/api/tasks", h_create, NULL, SVC_ROUTE_JSON);
	rc |= svc_app_route(app, "GET", "/api/tasks/{id}", h_get, NULL, 0);
	return rc;
}
