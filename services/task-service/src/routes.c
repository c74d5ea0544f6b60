/* decode -> validate -> call -> encode */
#include "routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relay.h"
#include "svc/app.h"
#include "svc/auth.h"
#include "svc/json.h"
#include "svc/log.h"
#include "svc/util.h"
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

/* Answers err, logging it when it is the service's failure, not the
 * caller's. */
static void fail(struct svc_req *req, struct svc_resp *resp, const char *what,
		 const struct svc_err *err)
{
	if (svc_result_http_status(err->code) >= 500)
		svc_error(req->request_id, "%s: %s", what, err->message);
	svc_resp_err(resp, err);
}

static void h_create(struct svc_req *req, struct svc_resp *resp)
{
	struct tsk_ctx *ctx = req->ctx;
	struct svc_claims who;
	if (!svc_auth_req(ctx->auth, req, resp, &who))
		return;
	cJSON *fields = NULL;
	struct svc_err err = {0};
	struct tsk_record rec = {0};
	struct svc_pg *pg = NULL;
	enum svc_result r = tsk_merge(NULL, req->json, &fields, &err);
	if (r == SVC_OK)
		r = (pg = svc_pg_acquire(ctx->db, ctx->pg.wait_ms, &err))
			    ? tsk_store_create(pg, who.sub, fields, &rec, &err)
			    : err.code;
	svc_pg_release(ctx->db, pg);
	cJSON_Delete(fields);
	if (r != SVC_OK) {
		fail(req, resp, "create task", &err);
		return;
	}
	tsk_relay_kick(ctx->relay);
	reply_task(resp, 201, &rec);
}

static void h_get(struct svc_req *req, struct svc_resp *resp)
{
	struct tsk_ctx *ctx = req->ctx;
	struct svc_claims who;
	if (!svc_auth_req(ctx->auth, req, resp, &who))
		return;
	struct tsk_record rec;
	struct svc_err err = {0};
	struct svc_pg *pg = svc_pg_acquire(ctx->db, ctx->pg.wait_ms, &err);
	enum svc_result r =
		pg ? tsk_store_get(pg, who.sub, svc_req_param(req, "id"), &rec, &err) : err.code;
	svc_pg_release(ctx->db, pg);
	if (r != SVC_OK) {
		svc_resp_err(resp, &err);
		return;
	}
	reply_task(resp, 200, &rec);
}

/* PATCH, DELETE, complete and reopen: route arg is the enum tsk_op. */
static void h_change(struct svc_req *req, struct svc_resp *resp)
{
	struct tsk_ctx *ctx = req->ctx;
	struct svc_claims who;
	if (!svc_auth_req(ctx->auth, req, resp, &who))
		return;
	struct tsk_change c = {
		.op = (enum tsk_op)(long)req->arg,
		.body = req->json,
		.if_match = svc_req_header(req, "If-Match"),
	};
	struct svc_err bad = {0};
	if (tsk_if_match_check(c.if_match, &bad) != SVC_OK) {
		svc_resp_err(resp, &bad);
		return;
	}
	for (size_t i = 0; i < req->nquery; i++) {
		/* ?series=all on DELETE ends the task's recurring series. */
		if (c.op == TSK_OP_DELETE && strcmp(req->query[i].name, "series") == 0 &&
		    strcmp(req->query[i].value, "all") == 0 && !c.all_series) {
			c.all_series = true;
			continue;
		}
		svc_resp_errf(resp, SVC_EINVAL, req->query[i].name,
			      "unknown query parameter '%.40s'%s", req->query[i].name,
			      c.op == TSK_OP_DELETE ? " (DELETE takes series=all)" : "");
		return;
	}
	struct tsk_record rec;
	bool changed = false;
	struct svc_err err = {0};
	struct svc_pg *pg = svc_pg_acquire(ctx->db, ctx->pg.wait_ms, &err);
	enum svc_result r = pg ? tsk_store_change(pg, who.sub, svc_req_param(req, "id"), &c,
						  &rec, &changed, &err)
			       : err.code;
	svc_pg_release(ctx->db, pg);
	if (r != SVC_OK) {
		fail(req, resp, "change task", &err);
		return;
	}
	if (changed)
		tsk_relay_kick(ctx->relay);
	if (c.op == TSK_OP_DELETE) {
		tsk_record_cleanup(&rec);
		svc_resp_raw(resp, 204, NULL, NULL, 0);
		return;
	}
	reply_task(resp, 200, &rec);
}

static void reply_text(struct svc_resp *resp, enum svc_result r, const struct svc_err *err,
		       char *json)
{
	if (r != SVC_OK || !json)
		svc_resp_err(resp, err);
	else
		svc_resp_raw(resp, 200, "application/json", json, strlen(json));
}

static void h_list(struct svc_req *req, struct svc_resp *resp)
{
	struct tsk_ctx *ctx = req->ctx;
	struct svc_claims who;
	if (!svc_auth_req(ctx->auth, req, resp, &who))
		return;
	struct svc_err err = {0};
	struct tsk_query *q = malloc(sizeof *q);
	if (!q) {
		svc_resp_errf(resp, SVC_ENOMEM, NULL, "out of memory");
		return;
	}
	char *json = NULL;
	struct svc_pg *pg = NULL;
	enum svc_result r = tsk_query_parse(req->query, req->nquery, q, &err);
	if (r == SVC_OK)
		r = (pg = svc_pg_acquire(ctx->db, ctx->pg.wait_ms, &err))
			    ? tsk_store_list(pg, who.sub, q, &json, &err)
			    : err.code;
	svc_pg_release(ctx->db, pg);
	free(q);
	reply_text(resp, r, &err, json);
}

static void h_tags(struct svc_req *req, struct svc_resp *resp)
{
	struct tsk_ctx *ctx = req->ctx;
	struct svc_claims who;
	if (!svc_auth_req(ctx->auth, req, resp, &who))
		return;
	struct svc_err err = {0};
	char *json = NULL;
	struct svc_pg *pg = svc_pg_acquire(ctx->db, ctx->pg.wait_ms, &err);
	enum svc_result r = pg ? tsk_store_tags(pg, who.sub, &json, &err) : err.code;
	svc_pg_release(ctx->db, pg);
	reply_text(resp, r, &err, json);
}

/* The services allowed to create occurrences for a user. */
static bool may_make_occurrences(const struct svc_claims *who)
{
	return strcmp(who->sub, "recurrence-service") == 0;
}

/* An occurrence made before whose task has been deleted since: 410, so
 * that the caller moves on instead of asking again. */
static void reply_gone(struct svc_resp *resp, const char *series, const char *at)
{
	cJSON *body = cJSON_CreateObject();
	cJSON *e = cJSON_AddObjectToObject(body, "error");
	char msg[160];
	snprintf(msg, sizeof msg, "occurrence %s of series %s was made and has been deleted", at,
		 series);
	if (!e || !cJSON_AddStringToObject(e, "code", "gone") ||
	    !cJSON_AddStringToObject(e, "message", msg)) {
		cJSON_Delete(body);
		svc_resp_errf(resp, SVC_ENOMEM, NULL, "out of memory");
		return;
	}
	svc_resp_json(resp, 410, body); /* takes body */
}

/* POST /internal/series/{series_id}/occurrences, service token only:
 * {"user_id", "occurrence_at", "task": {fields as for create}}. 201 with
 * the new task, 200 with the one made before for that occurrence, 410 when
 * that one has been deleted since. */
static void h_occurrence(struct svc_req *req, struct svc_resp *resp)
{
	static const char *const keys[] = {"user_id", "occurrence_at", "task", NULL};
	struct tsk_ctx *ctx = req->ctx;
	struct svc_claims who;
	struct svc_err err = {0};
	if (svc_auth_check(ctx->auth, req, "service", &who, &err) != SVC_OK) {
		svc_resp_err(resp, &err);
		return;
	}
	if (!may_make_occurrences(&who)) {
		svc_resp_errf(resp, SVC_EFORBIDDEN, NULL, "%s may not create occurrences", who.sub);
		return;
	}
	const char *series = svc_req_param(req, "series_id");
	const char *user = NULL, *at = NULL;
	const cJSON *task = cJSON_GetObjectItemCaseSensitive(req->json, "task");
	cJSON *fields = NULL;
	struct tsk_record rec = {0};
	enum tsk_made made = TSK_MADE_BEFORE;
	struct svc_pg *pg = NULL;
	if (!svc_uuid_valid(series)) {
		svc_err_set(&err, SVC_ENOTFOUND, NULL, "series not found");
	} else if (svc_json_only_keys(req->json, keys, &err) == SVC_OK &&
		   svc_json_string(req->json, "user_id", true, 1, 63, &user, &err) == SVC_OK &&
		   svc_json_string(req->json, "occurrence_at", true, 20, 40, &at, &err) == SVC_OK) {
		if (svc_time_parse_rfc3339(at, NULL) != 0)
			svc_err_set(&err, SVC_EINVAL, "occurrence_at",
				    "occurrence_at must be an RFC 3339 date-time");
		else if (!cJSON_IsObject(task))
			svc_err_set(&err, SVC_EINVAL, "task", "task must be an object");
		else if (tsk_merge(NULL, task, &fields, &err) == SVC_OK &&
			 (pg = svc_pg_acquire(ctx->db, ctx->pg.wait_ms, &err)))
			tsk_store_occurrence(pg, user, series, at, fields, &rec, &made, &err);
	}
	svc_pg_release(ctx->db, pg);
	cJSON_Delete(fields);
	if (made == TSK_MADE_GONE) {
		reply_gone(resp, series, at);
		return;
	}
	if (!rec.json) {
		fail(req, resp, "occurrence", &err);
		return;
	}
	if (made == TSK_MADE_NEW)
		tsk_relay_kick(ctx->relay);
	reply_task(resp, made == TSK_MADE_NEW ? 201 : 200, &rec);
}

int tsk_routes_register(struct svc_app *app)
{
	int rc = 0;
	rc |= svc_app_route(app, "GET", "/api/tasks", h_list, NULL, 0);
	rc |= svc_app_route(app, "POST", "/api/tasks", h_create, NULL, SVC_ROUTE_JSON);
	rc |= svc_app_route(app, "GET", "/api/tasks/{id}", h_get, NULL, 0);
	rc |= svc_app_route(app, "PATCH", "/api/tasks/{id}", h_change, (void *)(long)TSK_OP_PATCH,
			    SVC_ROUTE_JSON);
	rc |= svc_app_route(app, "DELETE", "/api/tasks/{id}", h_change,
			    (void *)(long)TSK_OP_DELETE, 0);
	rc |= svc_app_route(app, "POST", "/api/tasks/{id}/complete", h_change,
			    (void *)(long)TSK_OP_COMPLETE, 0);
	rc |= svc_app_route(app, "POST", "/api/tasks/{id}/reopen", h_change,
			    (void *)(long)TSK_OP_REOPEN, 0);
	rc |= svc_app_route(app, "GET", "/api/tags", h_tags, NULL, 0);
	rc |= svc_app_route(app, "POST", "/internal/series/{series_id}/occurrences", h_occurrence,
			    NULL, SVC_ROUTE_JSON);
	return rc;
}
