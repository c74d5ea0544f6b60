/* decode -> validate -> call -> encode */
#include "routes.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notifier.h"
#include "notifier_store.h"
#include "notify.h"
#include "svc/app.h"
#include "svc/auth.h"
#include "svc/log.h"
#include "svc/util.h"
#include "webhook.h"

/* Answers json (taken over) or the error. */
static void reply(struct svc_req *req, struct svc_resp *resp, enum svc_result r,
		  const struct svc_err *err, char *json)
{
	if (r == SVC_OK && json) {
		svc_resp_raw(resp, 200, "application/json", json, strlen(json));
		return;
	}
	free(json);
	if (svc_result_http_status(err->code) >= 500)
		svc_error(req->request_id, "%s %s: %s", req->method, req->route, err->message);
	svc_resp_err(resp, err);
}

static void h_list(struct svc_req *req, struct svc_resp *resp)
{
	struct ntf_ctx *ctx = req->ctx;
	struct svc_claims who;
	if (!svc_auth_req(ctx->auth, req, resp, &who))
		return;
	struct ntf_query q;
	struct svc_err err = {0};
	char *json = NULL;
	struct svc_pg *pg = NULL;
	enum svc_result r = ntf_query_parse(req->query, req->nquery, &q, &err);
	if (r == SVC_OK)
		r = (pg = svc_pg_acquire(ctx->db, ctx->pg.wait_ms, &err))
			    ? ntf_store_list(pg, who.sub, &q, &json, &err)
			    : err.code;
	svc_pg_release(ctx->db, pg);
	reply(req, resp, r, &err, json);
}

static void h_read(struct svc_req *req, struct svc_resp *resp)
{
	struct ntf_ctx *ctx = req->ctx;
	struct svc_claims who;
	if (!svc_auth_req(ctx->auth, req, resp, &who))
		return;
	long id;
	struct svc_err err = {0};
	char *json = NULL;
	struct svc_pg *pg = NULL;
	enum svc_result r;
	/* An id that cannot be one is as missing as an id that is not there. */
	if (svc_parse_long(svc_req_param(req, "id"), 1, LONG_MAX, &id) != 0)
		r = svc_err_set(&err, SVC_ENOTFOUND, NULL, "notification not found");
	else
		r = (pg = svc_pg_acquire(ctx->db, ctx->pg.wait_ms, &err))
			    ? ntf_store_mark_read(pg, who.sub, id, &json, &err)
			    : err.code;
	svc_pg_release(ctx->db, pg);
	reply(req, resp, r, &err, json);
}

static void h_read_all(struct svc_req *req, struct svc_resp *resp)
{
	struct ntf_ctx *ctx = req->ctx;
	struct svc_claims who;
	if (!svc_auth_req(ctx->auth, req, resp, &who))
		return;
	long n = 0;
	struct svc_err err = {0};
	char *json = NULL;
	struct svc_pg *pg = svc_pg_acquire(ctx->db, ctx->pg.wait_ms, &err);
	enum svc_result r = pg ? ntf_store_read_all(pg, who.sub, &n, &err) : err.code;
	svc_pg_release(ctx->db, pg);
	if (r == SVC_OK) {
		cJSON *b = cJSON_CreateObject();
		cJSON_AddNumberToObject(b, "updated", (double)n);
		svc_resp_json(resp, 200, b); /* takes b */
		return;
	}
	reply(req, resp, r, &err, json);
}

static void h_settings_get(struct svc_req *req, struct svc_resp *resp)
{
	struct ntf_ctx *ctx = req->ctx;
	struct svc_claims who;
	if (!svc_auth_req(ctx->auth, req, resp, &who))
		return;
	struct svc_err err = {0};
	char *json = NULL;
	struct svc_pg *pg = svc_pg_acquire(ctx->db, ctx->pg.wait_ms, &err);
	enum svc_result r = pg ? ntf_store_settings_get(pg, who.sub, &json, &err) : err.code;
	svc_pg_release(ctx->db, pg);
	reply(req, resp, r, &err, json);
}

static void h_settings_put(struct svc_req *req, struct svc_resp *resp)
{
	struct ntf_ctx *ctx = req->ctx;
	struct svc_claims who;
	if (!svc_auth_req(ctx->auth, req, resp, &who))
		return;
	struct ntf_settings_patch *p = malloc(sizeof *p);
	struct svc_err err = {0};
	char *json = NULL;
	enum svc_result r = p ? ntf_settings_parse(req->json, p, &err)
			      : svc_err_set(&err, SVC_ENOMEM, NULL, "out of memory");
	/* The target is checked before anything is saved, and again on every
	 * delivery. */
	if (r == SVC_OK && p->webhook_url)
		r = ntf_webhook_check_target(&ctx->deliver.webhook, p->webhook_url, &err);
	struct svc_pg *pg = NULL;
	if (r == SVC_OK)
		r = (pg = svc_pg_acquire(ctx->db, ctx->pg.wait_ms, &err))
			    ? ntf_store_settings_put(pg, who.sub, p, &json, &err)
			    : err.code;
	svc_pg_release(ctx->db, pg);
	free(p);
	reply(req, resp, r, &err, json);
}

int ntf_routes_register(struct svc_app *app)
{
	int rc = 0;
	rc |= svc_app_route(app, "GET", "/api/notifications", h_list, NULL, 0);
	rc |= svc_app_route(app, "POST", "/api/notifications/{id}/read", h_read, NULL, 0);
	rc |= svc_app_route(app, "POST", "/api/notifications/read-all", h_read_all, NULL, 0);
	rc |= svc_app_route(app, "GET", "/api/me/notification-settings", h_settings_get, NULL, 0);
	rc |= svc_app_route(app, "PUT", "/api/me/notification-settings", h_settings_put, NULL,
			    SVC_ROUTE_JSON);
	return rc;
}
