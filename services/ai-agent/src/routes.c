/* decode -> validate -> call -> encode, for the chat, conversation and MCP
 * routes. Every route needs a user's access token (a login's, or the one
 * the gateway swapped a personal API token for), checked here as every
 * service does; its scopes, when it has any, must name the route's
 * ("chat", "mcp"). Handlers run on pools: POST /api/chat on the chat pool
 * (a slow model never holds up the other routes), the others on the
 * default one; each blocks on Postgres or task-service with a timeout. */
#include "routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "agent_store.h"
#include "chat.h"
#include "executor.h"
#include "mcp.h"
#include "svc/app.h"
#include "svc/auth.h"
#include "svc/cursor.h"
#include "svc/log.h"
#include "svc/metrics.h"
#include "svc/util.h"

/* A new conversation starts from the user's last one moved this recently. */
#define RECENT_S 1800

#define PAGE_DEFAULT 50
#define PAGE_MAX 200
#define MCP_KEY_PURPOSE "ai-agent: MCP session ids"

/* Answers err, logging it when it is the service's failure. */
static void fail(struct svc_req *req, struct svc_resp *resp, const struct svc_err *err)
{
	if (svc_result_http_status(err->code) >= 500)
		svc_error(req->request_id, "%s %s: %s", req->method, req->path, err->message);
	svc_resp_err(resp, err);
}

/* The caller, whose token must allow scope. Answers resp otherwise. */
static bool caller(struct agt_ctx *ctx, struct svc_req *req, struct svc_resp *resp,
		   const char *scope, struct svc_claims *who)
{
	if (!svc_auth_req(ctx->auth, req, resp, who))
		return false;
	if (!svc_claims_allow(who, scope)) {
		svc_resp_errf(resp, SVC_EFORBIDDEN, NULL, "this token lacks the scope %s", scope);
		return false;
	}
	return true;
}

static long long budget_deadline(const struct agt_ctx *ctx)
{
	return svc_now_ms() + ctx->converse.limits.budget_ms;
}

/* ---- POST /api/chat ------------------------------------------------------ */

/* A turn on its way: what the handler read, for the thread that runs it. */
struct turn_job {
	struct agt_ctx *ctx;
	struct svc_claims who;
	char *bearer;
	char request_id[65];
	char *message;
	char time_zone[65];
	char conv_id[37];
	bool create;
	cJSON *context; /* the conversation's, or NULL */
	cJSON *history;
	struct svc_stream *stream; /* the SSE answer, or NULL for JSON */
};

static void job_free(struct turn_job *j)
{
	if (!j)
		return;
	free(j->bearer);
	free(j->message);
	cJSON_Delete(j->context);
	cJSON_Delete(j->history);
	free(j);
}

/* One SSE event: "event: name" and the data as one line of JSON. */
static void sse_send(struct svc_stream *s, const char *name, const cJSON *data)
{
	char *json = cJSON_PrintUnformatted(data);
	if (!json)
		return;
	struct svc_buf b;
	svc_buf_init(&b, (size_t)16 << 20);
	svc_buf_printf(&b, "event: %s\ndata: %s\n\n", name, json);
	free(json);
	if (!b.failed)
		svc_stream_send(s, b.data, b.len);
	svc_buf_cleanup(&b);
}

static void on_event(void *arg, const char *name, const cJSON *data)
{
	sse_send(arg, name, data);
}

static const cJSON *candidates(void *ctx)
{
	const struct agt_tasks *t = ctx;
	return t->candidates;
}

/* Runs the turn and keeps it: the answer {"conversation_id",
 * "message_id", "reply", "tool_calls", "tasks_changed"} into *answer. */
static enum svc_result run_turn(struct turn_job *j, cJSON **answer, struct svc_err *err)
{
	struct agt_ctx *ctx = j->ctx;
	*answer = NULL;
	struct agt_tasks tasks = {
		.peer = &ctx->tasks,
		.bearer = j->bearer,
		.who = &j->who,
		.request_id = j->request_id,
		.time_zone = j->time_zone,
		.timeout_ms = ctx->task_timeout_ms,
		.deadline_ms = budget_deadline(ctx),
	};
	struct agt_watch watch = {on_event, j->stream};
	struct agt_converse_in in = {
		.message = j->message,
		.time_zone = j->time_zone,
		.context = j->context,
		.history = j->history,
		.executor = agt_tasks_executor(&tasks),
		.candidates = candidates,
		.watch = j->stream ? &watch : NULL,
	};
	struct agt_converse_out out;
	enum svc_result r = agt_converse(&ctx->converse, &in, &out, err);
	agt_tasks_cleanup(&tasks);
	if (r != SVC_OK)
		return r;
	char *calls = cJSON_PrintUnformatted(out.tool_calls);
	char *context = cJSON_PrintUnformatted(out.context);
	struct agt_turn_rows rows = {
		.user = j->who.sub,
		.conv_id = j->conv_id,
		.create = j->create,
		.time_zone = j->time_zone,
		.context = context,
		.message = j->message,
		.reply = out.reply,
		.tool_calls = calls,
	};
	struct svc_pg *pg = NULL;
	if (!calls || !context)
		r = svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	else if ((pg = svc_pg_acquire(ctx->db, ctx->pg.wait_ms, err)))
		r = agt_store_save_turn(pg, &rows, err);
	else
		r = err->code;
	svc_pg_release(ctx->db, pg);
	free(calls);
	free(context);
	if (r == SVC_OK) {
		cJSON *a = cJSON_CreateObject();
		if (a && cJSON_AddStringToObject(a, "conversation_id", j->conv_id) &&
		    cJSON_AddStringToObject(a, "message_id", rows.reply_msg_id) &&
		    cJSON_AddStringToObject(a, "reply", out.reply) &&
		    cJSON_AddItemToObject(a, "tool_calls", out.tool_calls) && /* takes it */
		    cJSON_AddBoolToObject(a, "tasks_changed", out.tasks_changed)) {
			out.tool_calls = NULL;
			*answer = a;
		} else {
			if (a && cJSON_GetObjectItemCaseSensitive(a, "tool_calls"))
				out.tool_calls = NULL;
			cJSON_Delete(a);
			r = svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
		}
	}
	char labels[64];
	snprintf(labels, sizeof labels, "planner=\"%s\",outcome=\"%s\"",
		 ctx->converse.model ? "model" : "builtin",
		 r != SVC_OK ? "error" : out.failed ? "model_failed" : "ok");
	svc_metrics_inc("agent_turns_total", "Chat turns, by planner and outcome.", labels, 1);
	if (r == SVC_OK)
		svc_info(j->request_id, "chat turn in conversation %s: %d tool call(s)%s%s",
			 j->conv_id, cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(*answer,
											 "tool_calls")),
			 out.tasks_changed ? ", tasks changed" : "",
			 out.failed ? ", the model failed" : "");
	agt_converse_out_cleanup(&out);
	return r;
}

/* The SSE answer's turn, on a chat worker after the handler returned (so
 * the stream's head is out and each event goes as it happens). */
static void stream_turn(void *arg)
{
	struct turn_job *j = arg;
	struct svc_err err = {0};
	cJSON *answer = NULL;
	if (run_turn(j, &answer, &err) == SVC_OK) {
		sse_send(j->stream, "done", answer);
	} else {
		if (svc_result_http_status(err.code) >= 500)
			svc_error(j->request_id, "chat turn: %s", err.message);
		cJSON *e = cJSON_CreateObject();
		cJSON *in = cJSON_AddObjectToObject(e, "error");
		cJSON_AddStringToObject(in, "code", svc_result_name(err.code));
		cJSON_AddStringToObject(in, "message", err.message);
		if (err.field[0])
			cJSON_AddStringToObject(in, "field", err.field);
		sse_send(j->stream, "error", e);
		cJSON_Delete(e);
	}
	cJSON_Delete(answer);
	svc_stream_close(j->stream);
	j->stream = NULL;
}

static void stream_done(void *arg)
{
	job_free(arg);
}

static bool wants_stream(const struct svc_req *req)
{
	const char *a = svc_req_header(req, "Accept");
	return a && strcasestr(a, "text/event-stream");
}

/* Reads what the turn needs from the request and the store into a job.
 * Answers resp and returns NULL on any problem. */
static struct turn_job *prepare(struct agt_ctx *ctx, struct svc_req *req, struct svc_resp *resp,
				const struct svc_claims *who)
{
	struct svc_err err = {0};
	struct agt_chat_request body = {0};
	if (agt_chat_request_read(req->body, req->body_len, &body, &err) != SVC_OK) {
		agt_chat_request_cleanup(&body);
		svc_resp_err(resp, &err);
		return NULL;
	}
	struct turn_job *j = calloc(1, sizeof *j);
	if (!j || !(j->bearer = strdup(svc_req_bearer(req))) ||
	    !(j->message = strdup(body.message))) {
		agt_chat_request_cleanup(&body);
		job_free(j);
		svc_resp_errf(resp, SVC_ENOMEM, NULL, "out of memory");
		return NULL;
	}
	j->ctx = ctx;
	j->who = *who;
	snprintf(j->request_id, sizeof j->request_id, "%s", req->request_id);
	enum svc_result r = SVC_OK;
	struct agt_conv conv = {0};
	if (body.conversation_id) {
		struct svc_pg *pg = svc_pg_acquire(ctx->db, ctx->pg.wait_ms, &err);
		r = pg ? agt_store_conv_get(pg, who->sub, body.conversation_id, &conv, &err)
		       : err.code;
		if (r == SVC_OK && ctx->converse.model)
			r = agt_store_history(pg, conv.id, ctx->history_max, &j->history, &err);
		svc_pg_release(ctx->db, pg);
		snprintf(j->conv_id, sizeof j->conv_id, "%s", body.conversation_id);
		j->context = conv.context;
		conv.context = NULL;
	} else if (svc_uuid_v4(j->conv_id) != 0) {
		r = svc_err_set(&err, SVC_EINTERNAL, NULL, "no random bytes");
	} else {
		j->create = true;
		/* A new conversation starts from what the user's last one, if
		 * recent, showed and touched (and its time zone): references
		 * like "complete 1" work across requests made one by one. */
		struct svc_err e = {0};
		struct svc_pg *pg = svc_pg_acquire(ctx->db, ctx->pg.wait_ms, &e);
		if (pg && agt_store_conv_recent(pg, who->sub, RECENT_S, &conv, &e) == SVC_OK) {
			j->context = conv.context;
			conv.context = NULL;
		}
		svc_pg_release(ctx->db, pg);
	}
	snprintf(j->time_zone, sizeof j->time_zone, "%s",
		 body.time_zone ? body.time_zone : conv.time_zone[0] ? conv.time_zone : "UTC");
	agt_conv_cleanup(&conv);
	agt_chat_request_cleanup(&body);
	if (r != SVC_OK) {
		job_free(j);
		fail(req, resp, &err);
		return NULL;
	}
	return j;
}

static void h_chat(struct svc_req *req, struct svc_resp *resp)
{
	struct agt_ctx *ctx = req->ctx;
	struct svc_claims who;
	if (!caller(ctx, req, resp, "chat", &who))
		return;
	struct turn_job *j = prepare(ctx, req, resp, &who);
	if (!j)
		return;
	if (wants_stream(req)) {
		svc_resp_header(resp, "Cache-Control", "no-store");
		svc_resp_header(resp, "X-Accel-Buffering", "no");
		j->stream = svc_stream_open(req, resp, "text/event-stream", NULL, NULL);
		if (!j->stream) {
			job_free(j);
			svc_resp_busy(resp, 1, "too many streams open");
			return;
		}
		if (svc_pool_submit(ctx->chat, stream_turn, stream_done, j) != 0) {
			cJSON *e = cJSON_Parse("{\"error\":{\"code\":\"unavailable\","
					       "\"message\":\"the chat is busy; try again\"}}");
			sse_send(j->stream, "error", e);
			cJSON_Delete(e);
			svc_stream_close(j->stream);
			j->stream = NULL;
			job_free(j);
		}
		return;
	}
	struct svc_err err = {0};
	cJSON *answer = NULL;
	if (run_turn(j, &answer, &err) != SVC_OK)
		fail(req, resp, &err);
	else
		svc_resp_json(resp, 200, answer);
	job_free(j);
}

/* ---- POST /api/chat/parse ------------------------------------------------ */

static void h_parse(struct svc_req *req, struct svc_resp *resp)
{
	struct agt_ctx *ctx = req->ctx;
	struct svc_claims who;
	if (!caller(ctx, req, resp, "chat", &who))
		return;
	struct svc_err err = {0};
	struct agt_chat_request body = {0};
	struct agt_plan plan = {0};
	if (agt_parse_request_read(req->body, req->body_len, &body, &err) == SVC_OK) {
		struct agt_plan_context pc = {
			.now = (long long)time(NULL),
			.time_zone = body.time_zone ? body.time_zone : "UTC",
			.quick_add = true,
		};
		if (agt_plan_make(body.message, &pc, &plan, &err) == SVC_OK) {
			cJSON *a = agt_parse_answer(&plan);
			if (a)
				svc_resp_json(resp, 200, a);
			else
				svc_resp_errf(resp, SVC_ENOMEM, NULL, "out of memory");
		} else {
			fail(req, resp, &err);
		}
	} else {
		svc_resp_err(resp, &err);
	}
	agt_plan_cleanup(&plan);
	agt_chat_request_cleanup(&body);
}

/* ---- conversations ------------------------------------------------------- */

/* ?cursor=&limit= of a page. Answers resp and returns false when bad. */
static bool page_query(struct svc_req *req, struct svc_resp *resp, const char **cursor,
		       long *limit)
{
	static const char *const names[] = {"cursor", "limit", NULL};
	struct svc_err err = {0};
	if (svc_query_known(req->query, req->nquery, names, NULL, &err) != SVC_OK) {
		svc_resp_err(resp, &err);
		return false;
	}
	*cursor = svc_req_query(req, "cursor");
	if (*cursor && !**cursor)
		*cursor = NULL;
	const char *l = svc_req_query(req, "limit");
	*limit = PAGE_DEFAULT;
	if (l && svc_parse_long(l, 1, PAGE_MAX, limit) != 0) {
		svc_resp_errf(resp, SVC_EINVAL, "limit", "limit must be an integer from 1 to %d",
			      PAGE_MAX);
		return false;
	}
	return true;
}

/* What a page route reads: the user's conversations, or one of them. */
typedef enum svc_result (*page_fn)(struct svc_pg *pg, const char *user, const char *id,
				   const char *cursor, long limit, char **out,
				   struct svc_err *err);

static enum svc_result conv_page(struct svc_pg *pg, const char *user, const char *id,
				 const char *cursor, long limit, char **out, struct svc_err *err)
{
	(void)id;
	return agt_store_conv_page(pg, user, cursor, limit, out, err);
}

/* GET /api/conversations and GET /api/conversations/{id}: route->arg is
 * the page_fn. */
static void h_page(struct svc_req *req, struct svc_resp *resp)
{
	struct agt_ctx *ctx = req->ctx;
	page_fn fetch = *(page_fn const *)req->arg;
	struct svc_claims who;
	const char *cursor;
	long limit;
	if (!caller(ctx, req, resp, "chat", &who) || !page_query(req, resp, &cursor, &limit))
		return;
	struct svc_err err = {0};
	char *json = NULL;
	struct svc_pg *pg = svc_pg_acquire(ctx->db, ctx->pg.wait_ms, &err);
	enum svc_result r = pg ? fetch(pg, who.sub, svc_req_param(req, "id"), cursor, limit, &json,
				       &err)
			       : err.code;
	svc_pg_release(ctx->db, pg);
	if (r != SVC_OK) {
		fail(req, resp, &err);
		return;
	}
	svc_resp_raw(resp, 200, "application/json", json, strlen(json));
}

static void h_delete(struct svc_req *req, struct svc_resp *resp)
{
	struct agt_ctx *ctx = req->ctx;
	struct svc_claims who;
	if (!caller(ctx, req, resp, "chat", &who))
		return;
	struct svc_err err = {0};
	struct svc_pg *pg = svc_pg_acquire(ctx->db, ctx->pg.wait_ms, &err);
	enum svc_result r =
		pg ? agt_store_conv_delete(pg, who.sub, svc_req_param(req, "id"), &err) : err.code;
	svc_pg_release(ctx->db, pg);
	if (r != SVC_OK) {
		fail(req, resp, &err);
		return;
	}
	svc_info(req->request_id, "deleted conversation %s", svc_req_param(req, "id"));
	svc_resp_raw(resp, 204, NULL, NULL, 0);
}

/* ---- /api/mcp ------------------------------------------------------------ */

static void h_mcp(struct svc_req *req, struct svc_resp *resp)
{
	struct agt_ctx *ctx = req->ctx;
	struct svc_claims who;
	if (!caller(ctx, req, resp, "mcp", &who))
		return;
	struct svc_err err = {0};
	unsigned char key[32];
	if (svc_auth_derive(ctx->auth, MCP_KEY_PURPOSE, key, sizeof key, &err) != SVC_OK) {
		fail(req, resp, &err);
		return;
	}
	struct agt_tasks tasks = {
		.peer = &ctx->tasks,
		.bearer = svc_req_bearer(req),
		.who = &who,
		.request_id = req->request_id,
		.timeout_ms = ctx->task_timeout_ms,
		.deadline_ms = budget_deadline(ctx),
	};
	const struct agt_mcp_config cfg = {
		.session_key = key,
		.session_key_len = sizeof key,
		.session_ttl = ctx->mcp_session_ttl,
		.server_name = "todo-ai-agent",
		.server_version = "1.0.0",
		.catalogue = ctx->converse.catalogue,
		.executor = agt_tasks_executor(&tasks),
	};
	const struct agt_mcp_request mreq = {
		.method = req->method,
		.body = req->body,
		.len = req->body_len,
		.content_type = svc_req_header(req, "Content-Type"),
		.accept = svc_req_header(req, "Accept"),
		.session_id = svc_req_header(req, "Mcp-Session-Id"),
		.protocol_version = svc_req_header(req, "MCP-Protocol-Version"),
		.user_id = who.sub,
		.now = (long long)time(NULL),
	};
	struct agt_mcp_response mres = {0};
	agt_mcp_handle(&cfg, &mreq, &mres);
	sodium_memzero(key, sizeof key);
	agt_tasks_cleanup(&tasks);
	if (mres.session_id[0])
		svc_resp_header(resp, "Mcp-Session-Id", mres.session_id);
	if (mres.allow)
		svc_resp_header(resp, "Allow", mres.allow);
	if (mres.tasks_changed)
		svc_info(req->request_id, "MCP tool call changed tasks of user %s", who.sub);
	if (mres.status == 405 && !mres.body) {
		/* Said in words too: an empty answer to a GET does not make it
		 * through the Dapr sidecars. */
		cJSON *e = agt_rpc_error(NULL, AGT_RPC_INVALID_REQUEST,
					 "Method Not Allowed: this server offers no stream; POST "
					 "JSON-RPC messages instead",
					 NULL);
		mres.body = e ? cJSON_PrintUnformatted(e) : NULL;
		cJSON_Delete(e);
	}
	svc_resp_raw(resp, mres.status, mres.body ? "application/json" : NULL, mres.body,
		     mres.body ? strlen(mres.body) : 0);
}

int agt_routes_register(struct svc_app *app, struct agt_ctx *ctx)
{
	int rc = 0;
	rc |= svc_app_route_on(app, ctx->chat, "POST", "/api/chat", h_chat, NULL,
			       SVC_ROUTE_JSON | SVC_ROUTE_JSON_CURL);
	rc |= svc_app_route(app, "POST", "/api/chat/parse", h_parse, NULL, SVC_ROUTE_JSON);
	static const page_fn list = conv_page, show = agt_store_conv_show;
	rc |= svc_app_route(app, "GET", "/api/conversations", h_page, (void *)&list, 0);
	rc |= svc_app_route(app, "GET", "/api/conversations/{id}", h_page, (void *)&show, 0);
	rc |= svc_app_route(app, "DELETE", "/api/conversations/{id}", h_delete, NULL, 0);
	/* The transport's own checks (content type, Accept, sessions) are
	 * agt_mcp_handle's: no JSON flag here. */
	rc |= svc_app_route(app, "POST", "/api/mcp", h_mcp, NULL, 0);
	rc |= svc_app_route(app, "GET", "/api/mcp", h_mcp, NULL, 0);
	return rc;
}
