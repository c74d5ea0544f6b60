#include "converse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model.h"
#include "planner.h"
#include "reply.h"
#include "svc/util.h"

/* Tasks of a list kept as the next turn's context ("complete 7"). */
#define LISTED_MAX 50

static const char *str_of(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

size_t agt_context_refs(const cJSON *context, struct agt_task_ref *listed, size_t max,
			struct agt_task_ref *last, bool *has_last)
{
	size_t n = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(context, "listed"))
	{
		if (n == max)
			break;
		const char *id = str_of(it, "id"), *title = str_of(it, "title");
		if (id && title)
			listed[n++] = (struct agt_task_ref){id, title};
	}
	const cJSON *l = cJSON_GetObjectItemCaseSensitive(context, "last");
	*has_last = str_of(l, "id") && str_of(l, "title");
	if (*has_last)
		*last = (struct agt_task_ref){str_of(l, "id"), str_of(l, "title")};
	return n;
}

static cJSON *ref_json(const char *id, const char *title)
{
	cJSON *o = cJSON_CreateObject();
	if (o && (!cJSON_AddStringToObject(o, "id", id) ||
		  !cJSON_AddStringToObject(o, "title", title))) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* Replaces context's "listed" with the tasks of a {"items": [...]}. */
static void set_listed(cJSON *context, const cJSON *page)
{
	struct agt_task_ref refs[LISTED_MAX];
	size_t n = agt_listed_from_result(page, refs, LISTED_MAX);
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; arr && i < n; i++) /* arr takes ownership */
		cJSON_AddItemToArray(arr, ref_json(refs[i].id, refs[i].title));
	if (arr)
		cJSON_ReplaceItemInObjectCaseSensitive(context, "listed", arr);
}

/* What the executor's calls leave for the next turn, as they run. */
struct runner {
	const struct agt_converse_in *in;
	cJSON *context;
};

static void emit(const struct agt_watch *w, const char *name, cJSON *data)
{
	if (w && data)
		w->event(w->arg, name, data);
	cJSON_Delete(data);
}

/* The executor the planners call: the user's own, with the events and the
 * context around each call. */
static enum svc_result run_call(void *ctx, const struct agt_tool *tool, const cJSON *args,
				cJSON **result, struct svc_err *err)
{
	struct runner *rn = ctx;
	const struct agt_converse_in *in = rn->in;
	cJSON *ev = cJSON_CreateObject();
	if (ev) {
		cJSON_AddStringToObject(ev, "name", tool->name);
		cJSON_AddItemToObject(ev, "arguments", cJSON_Duplicate(args, true));
	}
	emit(in->watch, "tool_call", ev);
	enum svc_result r = in->executor.run(in->executor.ctx, tool, args, result, err);
	ev = cJSON_CreateObject();
	if (ev) {
		cJSON_AddStringToObject(ev, "name", tool->name);
		if (r == SVC_OK) {
			cJSON_AddItemToObject(ev, "result", cJSON_Duplicate(*result, true));
		} else {
			cJSON *e = cJSON_AddObjectToObject(ev, "error");
			cJSON_AddStringToObject(e, "code", svc_result_name(r));
			cJSON_AddStringToObject(e, "message", err->message);
		}
	}
	emit(in->watch, "tool_result", ev);
	if (r == SVC_OK) {
		struct agt_task_ref t;
		if (cJSON_GetObjectItemCaseSensitive(*result, "items"))
			set_listed(rn->context, *result);
		if (strcmp(tool->name, "delete_task") == 0)
			cJSON_ReplaceItemInObjectCaseSensitive(rn->context, "last", cJSON_CreateNull());
		else if (agt_touched_from_result(*result, &t))
			cJSON_ReplaceItemInObjectCaseSensitive(rn->context, "last",
							       ref_json(t.id, t.title));
	} else if (r == SVC_ECONFLICT && in->candidates && in->candidates(in->executor.ctx)) {
		/* The question lists them: "complete 2" picks from it. */
		set_listed(rn->context, in->candidates(in->executor.ctx));
	}
	return r;
}

/* A tool call as the chat API lists it. */
static cJSON *call_json(const char *name, const cJSON *args, const cJSON *result,
			enum svc_result r, const struct svc_err *err)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddItemToObject(o, "arguments", cJSON_Duplicate(args, true));
	cJSON_AddItemToObject(o, "result", result ? cJSON_Duplicate(result, true)
						  : cJSON_CreateNull());
	if (r == SVC_OK) {
		cJSON_AddNullToObject(o, "error");
	} else {
		cJSON *e = cJSON_AddObjectToObject(o, "error");
		cJSON_AddStringToObject(e, "code", svc_result_name(r));
		cJSON_AddStringToObject(e, "message", err->message);
	}
	return o;
}

static enum svc_result builtin(const struct agt_converse_cfg *cfg, struct runner *rn,
			       const struct agt_plan_context *pc, struct agt_converse_out *out,
			       struct svc_err *err)
{
	struct agt_plan plan;
	enum svc_result r = agt_plan_make(rn->in->message, pc, &plan, err);
	if (r != SVC_OK) {
		agt_plan_cleanup(&plan);
		return r;
	}
	struct agt_now now;
	agt_now_init(&now, pc->now, pc->time_zone);
	struct svc_buf reply;
	svc_buf_init(&reply, 65536);
	if (plan.kind != AGT_PLAN_CALLS)
		svc_buf_puts(&reply, plan.reply);
	struct agt_executor ex = {run_call, rn};
	for (size_t i = 0; i < plan.n_calls; i++) {
		const struct agt_call *c = &plan.calls[i];
		const struct agt_tool *tool = agt_catalogue_find(cfg->catalogue, c->tool);
		cJSON *result = NULL;
		struct svc_err cerr = {0};
		enum svc_result cr = tool ? agt_tool_check_args(tool, c->arguments, &cerr)
					  : svc_err_set(&cerr, SVC_EINTERNAL, NULL, "no such tool");
		if (cr == SVC_OK)
			cr = ex.run(ex.ctx, tool, c->arguments, &result, &cerr);
		if (cr == SVC_OK && tool && !tool->read_only)
			out->tasks_changed = true;
		/* out->tool_calls takes ownership */
		cJSON_AddItemToArray(out->tool_calls,
				     call_json(c->tool, c->arguments, result, cr, &cerr));
		char *line = cr == SVC_ECONFLICT ? strdup(cerr.message)
						 : agt_call_reply(c->tool, c->arguments, result, cr,
								  &cerr, &now);
		if (reply.len)
			svc_buf_puts(&reply, "\n");
		svc_buf_puts(&reply, line ? line : "");
		free(line);
		cJSON_Delete(result);
	}
	agt_plan_cleanup(&plan);
	out->reply = svc_buf_take(&reply, NULL);
	return out->reply ? SVC_OK : svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
}

static long long clock_now(void *ctx)
{
	(void)ctx;
	return svc_now_ms();
}

static void clock_sleep(void *ctx, long ms)
{
	(void)ctx;
	/* A retry's backoff, bounded by the turn's budget. */
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

static enum svc_result with_model(const struct agt_converse_cfg *cfg, struct runner *rn,
				  const struct agt_plan_context *pc, struct agt_converse_out *out,
				  struct svc_err *err)
{
	const cJSON *history = rn->in->history;
	size_t n = (size_t)cJSON_GetArraySize(history);
	struct agt_history_msg *h = n ? calloc(n, sizeof *h) : NULL;
	if (n && !h)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	size_t k = 0;
	const cJSON *m;
	cJSON_ArrayForEach(m, history)
	{
		const char *role = str_of(m, "role"), *content = str_of(m, "content");
		if (role && content)
			h[k++] = (struct agt_history_msg){role, content};
	}
	struct agt_turn *t = agt_turn_new(&cfg->llm, &cfg->limits, cfg->catalogue, pc, h, k,
					  rn->in->message, svc_now_ms());
	free(h);
	if (!t)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	struct agt_transport tr = agt_model_transport(cfg->model);
	struct agt_executor ex = {run_call, rn};
	struct agt_clock clk = {clock_now, clock_sleep, NULL};
	enum svc_result r = agt_turn_run(t, &tr, &ex, &clk);
	if (r == SVC_OK) {
		out->reply = strdup(agt_turn_reply(t));
		cJSON_Delete(out->tool_calls);
		out->tool_calls = cJSON_Duplicate(agt_turn_calls(t), true);
		out->tasks_changed = agt_turn_tasks_changed(t);
		out->failed = agt_turn_failed(t);
		if (!out->reply || !out->tool_calls)
			r = SVC_ENOMEM;
	}
	agt_turn_free(t);
	return r == SVC_OK ? SVC_OK : svc_err_set(err, r, NULL, "out of memory");
}

/* Sends the reply as delta events, a line at a time. */
static void deltas(const struct agt_watch *w, const char *reply)
{
	if (!w)
		return;
	for (const char *p = reply; *p;) {
		size_t len = strcspn(p, "\n");
		if (p[len] == '\n')
			len++;
		char *piece = strndup(p, len);
		cJSON *ev = cJSON_CreateObject();
		if (piece && ev)
			cJSON_AddStringToObject(ev, "text", piece);
		free(piece);
		emit(w, "delta", ev);
		p += len;
	}
}

enum svc_result agt_converse(const struct agt_converse_cfg *cfg, const struct agt_converse_in *in,
			     struct agt_converse_out *out, struct svc_err *err)
{
	memset(out, 0, sizeof *out);
	out->tool_calls = cJSON_CreateArray();
	out->context = in->context ? cJSON_Duplicate(in->context, true) : cJSON_CreateObject();
	if (!out->tool_calls || !out->context) {
		agt_converse_out_cleanup(out);
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	}
	if (!cJSON_GetObjectItemCaseSensitive(out->context, "listed"))
		cJSON_AddArrayToObject(out->context, "listed");
	if (!cJSON_GetObjectItemCaseSensitive(out->context, "last"))
		cJSON_AddNullToObject(out->context, "last");
	struct agt_task_ref listed[LISTED_MAX], last;
	bool has_last = false;
	/* The refs borrow from in->context, which outlives the turn. */
	size_t n = agt_context_refs(in->context, listed, LISTED_MAX, &last, &has_last);
	struct agt_plan_context pc = {
		.now = (long long)time(NULL),
		.time_zone = in->time_zone,
		.listed = listed,
		.n_listed = n,
		.last = has_last ? &last : NULL,
	};
	struct runner rn = {in, out->context};
	enum svc_result r = cfg->model ? with_model(cfg, &rn, &pc, out, err)
				       : builtin(cfg, &rn, &pc, out, err);
	if (r != SVC_OK) {
		agt_converse_out_cleanup(out);
		return r;
	}
	deltas(in->watch, out->reply);
	return SVC_OK;
}

void agt_converse_out_cleanup(struct agt_converse_out *out)
{
	free(out->reply);
	cJSON_Delete(out->tool_calls);
	cJSON_Delete(out->context);
	memset(out, 0, sizeof *out);
}
