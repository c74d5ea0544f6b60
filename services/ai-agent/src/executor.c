#include "executor.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reply.h"
#include "svc/json.h"
#include "svc/metrics.h"
#include "svc/upstream.h"
#include "svc/util.h"

/* Tasks a title search looks at: one page of task-service's q search. */
#define MATCH_PAGE "200"

struct agt_executor agt_tasks_executor(struct agt_tasks *t)
{
	return (struct agt_executor){agt_tasks_run, t};
}

void agt_tasks_cleanup(struct agt_tasks *t)
{
	cJSON_Delete(t->candidates);
	t->candidates = NULL;
}

static const char *str_of(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ASCII case-insensitive: equal, and contains. */
static bool same(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return false;
	return *a == *b;
}

static bool contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++) {
		size_t i = 0;
		while (i < n && hay[i] &&
		       tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
			i++;
		if (i == n)
			return true;
	}
	return n == 0;
}

/* Appends the items for which keep() holds to out; returns how many. */
static size_t filter(const cJSON *items, cJSON *out, const char *title, bool whole,
		     const char *status)
{
	size_t n = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, items)
	{
		const char *t = str_of(it, "title");
		const char *s = str_of(it, "status");
		if (!t || (whole ? !same(t, title) : !contains(t, title)))
			continue;
		if (status && (!s || strcmp(s, status) != 0))
			continue;
		n++;
		if (out) /* out takes ownership of the copy */
			cJSON_AddItemToArray(out, cJSON_Duplicate(it, true));
	}
	return n;
}

const cJSON *agt_title_match(const cJSON *items, const char *title, const char *prefer,
			     size_t *n, cJSON **matches)
{
	*matches = NULL;
	*n = 0;
	/* Whole titles first; parts only when no title is the whole. */
	bool whole = filter(items, NULL, title, true, NULL) > 0;
	size_t all = filter(items, NULL, title, whole, NULL);
	if (all == 0)
		return NULL;
	const char *status = prefer ? prefer : "pending";
	size_t with = filter(items, NULL, title, whole, status);
	/* Prefer narrows only when it leaves something, unless it was asked
	 * for: completing needs a pending task, reopening a completed one. */
	if (with == 0 && !prefer)
		status = NULL;
	*n = status ? with : all;
	if (*n == 0)
		return NULL;
	cJSON *arr = cJSON_CreateArray();
	if (!arr) {
		*n = 0;
		return NULL;
	}
	filter(items, arr, title, whole, status);
	if (*n > 1) {
		*matches = arr;
		return NULL;
	}
	/* The one match, found again in items (borrowed from there). */
	const char *id = str_of(cJSON_GetArrayItem(arr, 0), "id");
	const cJSON *it, *found = NULL;
	cJSON_ArrayForEach(it, items)
	{
		const char *iid = str_of(it, "id");
		if (id && iid && strcmp(id, iid) == 0)
			found = it;
	}
	cJSON_Delete(arr);
	return found;
}

static void add_param(struct svc_buf *b, const char *name, const char *value)
{
	char *v = svc_url_escape(value);
	if (!v) {
		b->failed = true;
		return;
	}
	svc_buf_printf(b, "%c%s=%s", b->len ? '&' : '?', name, v);
	free(v);
}

char *agt_list_query(const cJSON *args)
{
	struct svc_buf b;
	svc_buf_init(&b, 16384);
	const cJSON *v;
	cJSON_ArrayForEach(v, args)
	{
		if (cJSON_IsString(v)) {
			add_param(&b, v->string, v->valuestring);
		} else if (cJSON_IsBool(v)) {
			add_param(&b, v->string, cJSON_IsTrue(v) ? "true" : "false");
		} else if (cJSON_IsNumber(v)) {
			char n[32];
			snprintf(n, sizeof n, "%.0f", v->valuedouble);
			add_param(&b, v->string, n);
		} else if (cJSON_IsArray(v)) {
			const cJSON *e;
			cJSON_ArrayForEach(e, v) if (cJSON_IsString(e))
				add_param(&b, v->string, e->valuestring);
		}
	}
	if (b.len == 0 && !b.failed) {
		svc_buf_cleanup(&b);
		return strdup("");
	}
	return svc_buf_take(&b, NULL);
}

/* One call to task-service: method path with body (JSON text or NULL).
 * SVC_OK with *out the answer's JSON (NULL for an empty one); otherwise
 * the code and message of task-service's answer, or of the failure. */
static enum svc_result call(struct agt_tasks *t, const char *method, const char *path,
			    const char *body, cJSON **out, struct svc_err *err)
{
	*out = NULL;
	long timeout = t->timeout_ms;
	if (t->deadline_ms) {
		long long left = t->deadline_ms - svc_now_ms();
		if (left <= 0)
			return svc_err_set(err, SVC_ETIMEOUT, NULL,
					   "there was no time left in this turn");
		if (left < timeout)
			timeout = (long)left;
	}
	char auth[4200];
	snprintf(auth, sizeof auth, "Bearer %s", t->bearer);
	struct svc_kv h[3] = {
		{"Authorization", auth},
		{"Content-Type", "application/json"},
		{"X-Request-Id", (char *)(t->request_id ? t->request_id : "")},
	};
	size_t nh = t->request_id && t->request_id[0] ? 3 : 2;
	struct svc_up_resp r = {0};
	enum svc_result rc = svc_dapr_invoke(t->peer, method, path, h, nh, body,
					     body ? strlen(body) : 0, timeout, &r, err);
	if (rc != SVC_OK) {
		/* The words for the user; the cause stays in err's place in
		 * the log of the caller. */
		return svc_err_set(err, rc, NULL, "the task service could not be reached (%s)",
				   svc_result_name(rc));
	}
	rc = svc_dapr_answer(r.status, r.body, r.body_len, "task-service", err);
	if (rc == SVC_OK && r.body && r.body_len) {
		if (svc_json_parse(r.body, r.body_len, out, err) != SVC_OK)
			rc = svc_err_set(err, SVC_EUPSTREAM, NULL,
					 "the task service answered something unreadable");
	}
	svc_up_resp_cleanup(&r);
	return rc;
}

/* {"task": task}, taking task over. */
static cJSON *task_result(cJSON *task)
{
	cJSON *o = cJSON_CreateObject();
	if (!o || !cJSON_AddItemToObject(o, "task", task)) { /* takes ownership */
		cJSON_Delete(o);
		cJSON_Delete(task);
		return NULL;
	}
	return o;
}

/* The question for several matches, listing them as the user will pick
 * from ("complete 2"), each with its due time, which tells apart tasks
 * of the same title. */
static void ambiguous(const struct agt_tasks *t, const char *title, const cJSON *matches,
		      struct svc_err *err)
{
	struct agt_now now;
	bool words = agt_now_init(&now, (long long)time(NULL),
				  t->time_zone ? t->time_zone : "UTC") == SVC_OK;
	struct svc_buf b;
	svc_buf_init(&b, 4096);
	svc_buf_printf(&b, "%d tasks match \u201c%s\u201d:", cJSON_GetArraySize(matches), title);
	int i = 0, total = cJSON_GetArraySize(matches);
	const cJSON *m;
	cJSON_ArrayForEach(m, matches)
	{
		/* The question must fit an error message whole. */
		if (i == AGT_CANDIDATES_MAX || b.len > sizeof err->message - 90) {
			svc_buf_printf(&b, "; and %d more", total - i);
			break;
		}
		const char *s = str_of(m, "status");
		char due[256] = "";
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(m, "due_at");
		cJSON *only = cJSON_IsString(d) ? cJSON_CreateObject() : NULL;
		if (words && only && cJSON_AddStringToObject(only, "due_at", d->valuestring))
			agt_fields_words(only, true, &now, due, sizeof due);
		cJSON_Delete(only);
		svc_buf_printf(&b, "%s %d. \u201c%s\u201d%s%s", i ? ";" : "", i + 1,
			       str_of(m, "title"), due, s && strcmp(s, "completed") == 0 ? " (done)" : "");
		i++;
	}
	svc_buf_puts(&b, ". Which one do you mean?");
	svc_err_set(err, SVC_ECONFLICT, "title", "%s",
		    b.data ? b.data : "several tasks match; which one do you mean?");
	svc_buf_cleanup(&b);
}

/* The id of the task args name (task_id, or a title matched among the
 * user's tasks) into id. */
static enum svc_result resolve(struct agt_tasks *t, const char *tool, const cJSON *args,
			       char id[37], struct svc_err *err)
{
	const char *tid = str_of(args, "task_id");
	if (tid) {
		snprintf(id, 37, "%s", tid);
		return SVC_OK;
	}
	const char *title = str_of(args, "title");
	if (!title)
		return svc_err_set(err, SVC_EINVAL, "task_id", "name the task by task_id or title");
	char *q = svc_url_escape(title);
	if (!q)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	char path[2200];
	snprintf(path, sizeof path, "/api/tasks?q=%s&limit=" MATCH_PAGE, q);
	free(q);
	cJSON *page = NULL;
	enum svc_result r = call(t, "GET", path, NULL, &page, err);
	if (r != SVC_OK)
		return r;
	const char *prefer = strcmp(tool, "complete_task") == 0 ? "pending"
			     : strcmp(tool, "reopen_task") == 0 ? "completed"
								 : NULL;
	size_t n = 0;
	cJSON *matches = NULL;
	const cJSON *one = agt_title_match(cJSON_GetObjectItemCaseSensitive(page, "items"), title,
					   prefer, &n, &matches);
	if (one) {
		snprintf(id, 37, "%s", str_of(one, "id"));
		r = SVC_OK;
	} else if (n == 0) {
		r = svc_err_set(err, SVC_ENOTFOUND, "title", "you have no %stask called \u201c%s\u201d",
				prefer ? (strcmp(prefer, "pending") == 0 ? "open " : "completed ")
				       : "",
				title);
	} else {
		ambiguous(t, title, matches, err);
		cJSON_Delete(t->candidates);
		t->candidates = cJSON_CreateObject();
		if (t->candidates)
			cJSON_AddItemToObject(t->candidates, "items", matches); /* takes it */
		else
			cJSON_Delete(matches);
		matches = NULL;
		r = SVC_ECONFLICT;
	}
	cJSON_Delete(matches);
	cJSON_Delete(page);
	return r;
}

/* A task's tags with add added and remove taken off (lowercased, as
 * task-service keeps them), as a new array. */
static cJSON *merged_tags(const cJSON *task, const cJSON *add, const cJSON *remove)
{
	cJSON *out = cJSON_CreateArray();
	if (!out)
		return NULL;
	const cJSON *lists[2] = {cJSON_GetObjectItemCaseSensitive(task, "tags"), add};
	for (int l = 0; l < 2; l++) {
		const cJSON *e;
		cJSON_ArrayForEach(e, lists[l])
		{
			if (!cJSON_IsString(e))
				continue;
			bool drop = false;
			const cJSON *x;
			cJSON_ArrayForEach(x, remove) if (cJSON_IsString(x) &&
							   same(x->valuestring, e->valuestring))
				drop = true;
			cJSON_ArrayForEach(x, out) if (same(x->valuestring, e->valuestring))
				drop = true;
			if (!drop) /* out takes ownership */
				cJSON_AddItemToArray(out, cJSON_CreateString(e->valuestring));
		}
	}
	return out;
}

static enum svc_result update(struct agt_tasks *t, const char *id, const cJSON *args,
			      cJSON **result, struct svc_err *err)
{
	char path[128];
	snprintf(path, sizeof path, "/api/tasks/%s", id);
	const cJSON *add = cJSON_GetObjectItemCaseSensitive(args, "add_tags");
	const cJSON *remove = cJSON_GetObjectItemCaseSensitive(args, "remove_tags");
	const cJSON *changes = cJSON_GetObjectItemCaseSensitive(args, "changes");
	cJSON *patch = changes ? cJSON_Duplicate(changes, true) : cJSON_CreateObject();
	if (!patch)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	enum svc_result r = SVC_OK;
	if ((add || remove) && !cJSON_GetObjectItemCaseSensitive(patch, "tags")) {
		cJSON *task = NULL;
		r = call(t, "GET", path, NULL, &task, err);
		if (r == SVC_OK) /* patch takes ownership */
			cJSON_AddItemToObject(patch, "tags", merged_tags(task, add, remove));
		cJSON_Delete(task);
	}
	char *body = r == SVC_OK ? cJSON_PrintUnformatted(patch) : NULL;
	cJSON_Delete(patch);
	if (r != SVC_OK)
		return r;
	if (!body)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	cJSON *task = NULL;
	r = call(t, "PATCH", path, body, &task, err);
	free(body);
	if (r == SVC_OK && !(*result = task_result(task)))
		r = svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	return r;
}

static enum svc_result delete(struct agt_tasks *t, const char *id, const cJSON *args,
			      cJSON **result, struct svc_err *err)
{
	char path[160];
	snprintf(path, sizeof path, "/api/tasks/%s", id);
	cJSON *task = NULL;
	/* The task as it was, for the answer: read first, then deleted. */
	enum svc_result r = call(t, "GET", path, NULL, &task, err);
	if (r != SVC_OK)
		return r;
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(args, "end_series")))
		snprintf(path, sizeof path, "/api/tasks/%s?series=all", id);
	cJSON *none = NULL;
	r = call(t, "DELETE", path, NULL, &none, err);
	cJSON_Delete(none);
	cJSON *o = r == SVC_OK ? task_result(task) : NULL;
	if (r != SVC_OK)
		cJSON_Delete(task);
	else if (!o || !cJSON_AddTrueToObject(o, "deleted"))
		r = svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	if (r == SVC_OK)
		*result = o;
	else
		cJSON_Delete(o);
	return r;
}

static enum svc_result run_tool(struct agt_tasks *t, const struct agt_tool *tool,
				const cJSON *args, cJSON **result, struct svc_err *err)
{
	*result = NULL;
	const char *scope = tool->read_only ? "tasks:read" : "tasks:write";
	if (t->who && !svc_claims_allow(t->who, scope))
		return svc_err_set(err, SVC_EFORBIDDEN, NULL,
				   "this token may not %s tasks (it lacks the scope %s)",
				   tool->read_only ? "read" : "change", scope);
	const char *name = tool->name;
	enum svc_result r;
	cJSON *out = NULL;
	if (strcmp(name, "add_task") == 0) {
		char *body = cJSON_PrintUnformatted(args);
		if (!body)
			return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
		r = call(t, "POST", "/api/tasks", body, &out, err);
		free(body);
		if (r == SVC_OK && !(*result = task_result(out)))
			r = svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
		return r;
	}
	if (strcmp(name, "list_tasks") == 0 || strcmp(name, "search_tasks") == 0) {
		char *q = agt_list_query(args);
		if (!q)
			return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
		char *path = malloc(strlen(q) + 16);
		if (path)
			snprintf(path, strlen(q) + 16, "/api/tasks%s", q);
		free(q);
		if (!path)
			return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
		r = call(t, "GET", path, NULL, &out, err);
		free(path);
		if (r == SVC_OK)
			*result = out;
		return r;
	}
	char id[37];
	r = resolve(t, name, args, id, err);
	if (r != SVC_OK)
		return r;
	if (strcmp(name, "update_task") == 0)
		return update(t, id, args, result, err);
	if (strcmp(name, "delete_task") == 0)
		return delete(t, id, args, result, err);
	char path[128];
	snprintf(path, sizeof path, "/api/tasks/%s/%s", id,
		 strcmp(name, "complete_task") == 0 ? "complete" : "reopen");
	r = call(t, "POST", path, NULL, &out, err);
	if (r == SVC_OK && !(*result = task_result(out)))
		r = svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	return r;
}

enum svc_result agt_tasks_run(void *ctx, const struct agt_tool *tool, const cJSON *args,
			      cJSON **result, struct svc_err *err)
{
	enum svc_result r = run_tool(ctx, tool, args, result, err);
	/* Only catalogue tools get here: the label set stays small. */
	char labels[96];
	snprintf(labels, sizeof labels, "tool=\"%s\",result=\"%s\"", tool->name,
		 svc_result_name(r));
	svc_metrics_inc("agent_tool_calls_total",
			"Tool calls run against task-service (chat and MCP), by outcome.", labels, 1);
	return r;
}
