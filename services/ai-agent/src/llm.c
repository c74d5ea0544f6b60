#include "llm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phrase.h"
#include "svc/json.h"
#include "svc/util.h"
#include "when.h"

#define PROMPT_MAX (64 * 1024)
#define PROMPT_LISTED_MAX 50 /* tasks of the last list named in the prompt */
#define CALLS_MAX 32         /* tool calls read from one answer */
#define ARGUMENTS_MAX (64 * 1024)

static const char *const weekdays[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
				       "Thursday", "Friday", "Saturday"};

char *agt_llm_system_prompt(const struct agt_plan_context *ctx)
{
	const char *zone = ctx->time_zone ? ctx->time_zone : "UTC";
	struct agt_civil c;
	int off = 0;
	if (agt_local(zone, ctx->now, &c, &off) != SVC_OK)
		return NULL;
	struct svc_buf b;
	svc_buf_init(&b, PROMPT_MAX);
	int a = off < 0 ? -off : off;
	svc_buf_printf(&b,
		       "You are the assistant of a task manager. You act on the user's tasks "
		       "only through the tools you are given, and only as the user asks.\n"
		       "Now it is %s, %04d-%02d-%02d %02d:%02d in the user's time zone %s "
		       "(UTC%c%02d:%02d).\n",
		       weekdays[c.wday], c.year, c.month, c.day, c.hour, c.minute, zone,
		       off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
	svc_buf_printf(
		&b,
		"Rules:\n"
		"- Give times as RFC 3339 with the user's UTC offset at that date, e.g. "
		"%04d-%02d-%02dT17:00:00%c%02d:%02d. A day without a time means %02d:00.\n"
		"- A recurring task needs rrule (RFC 5545, e.g. FREQ=WEEKLY;BYDAY=MO), due_at "
		"for its first occurrence and time_zone \"%s\".\n"
		"- Name a task by task_id when you know it, else by title. Never guess which "
		"task the user means: when a reference could mean several tasks, ask.\n"
		"- When a tool answers with an error, tell the user plainly or fix the call; "
		"do not pretend it worked.\n"
		"- Answer in one or two plain sentences that say what you did.\n",
		c.year, c.month, c.day, off < 0 ? '-' : '+', a / 3600, a / 60 % 60,
		AGT_DEFAULT_HOUR, zone);
	if (ctx->n_listed) {
		svc_buf_puts(&b, "The last list shown to the user, in order (the user may say "
				 "\"complete 2\" for the second):\n");
		for (size_t i = 0; i < ctx->n_listed && i < PROMPT_LISTED_MAX; i++)
			svc_buf_printf(&b, "%zu. %s (task_id %s)\n", i + 1,
				       ctx->listed[i].title ? ctx->listed[i].title : "",
				       ctx->listed[i].id ? ctx->listed[i].id : "");
	}
	if (ctx->last && ctx->last->id)
		svc_buf_printf(&b,
			       "The task the conversation last touched (\"it\"): %s (task_id %s)\n",
			       ctx->last->title ? ctx->last->title : "", ctx->last->id);
	return svc_buf_take(&b, NULL);
}

static bool add_message(cJSON *arr, const char *role, const char *content)
{
	cJSON *m = cJSON_CreateObject();
	/* arr takes ownership of m */
	if (!m || !cJSON_AddItemToArray(arr, m)) {
		cJSON_Delete(m);
		return false;
	}
	return cJSON_AddStringToObject(m, "role", role) &&
	       cJSON_AddStringToObject(m, "content", content ? content : "");
}

cJSON *agt_llm_messages(const struct agt_llm_settings *s, const struct agt_plan_context *ctx,
			const struct agt_history_msg *history, size_t n, const char *message)
{
	char *prompt = agt_llm_system_prompt(ctx);
	cJSON *arr = cJSON_CreateArray();
	bool ok = prompt && arr && add_message(arr, "system", prompt);
	free(prompt);
	/* The newest messages that fit, oldest dropped first. */
	size_t first = n, chars = 0;
	while (first > 0 && n - first < s->history_max) {
		const struct agt_history_msg *h = &history[first - 1];
		size_t len = h->content ? strlen(h->content) : 0;
		size_t cp = h->content && svc_utf8_valid(h->content, len) ? svc_utf8_len(h->content)
									  : len;
		if (chars + cp > s->history_chars)
			break;
		chars += cp;
		first--;
	}
	/* A window starts with what the user said. */
	while (first < n && (!history[first].role || strcmp(history[first].role, "user") != 0))
		first++;
	for (size_t i = first; ok && i < n; i++) {
		const char *role = history[i].role;
		if (!role || (strcmp(role, "user") != 0 && strcmp(role, "assistant") != 0))
			continue;
		ok = add_message(arr, role, history[i].content);
	}
	ok = ok && add_message(arr, "user", message);
	if (!ok) {
		cJSON_Delete(arr);
		return NULL;
	}
	return arr;
}

char *agt_llm_request(const struct agt_llm_settings *s, const cJSON *messages,
		      const struct agt_catalogue *cat, bool tools_allowed)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *msgs = cJSON_Duplicate(messages, true);
	cJSON *tools = agt_catalogue_openai_tools(cat);
	bool ok = o && cJSON_AddStringToObject(o, "model", s->model ? s->model : "");
	/* o takes ownership of msgs and tools */
	if (ok && msgs && cJSON_AddItemToObject(o, "messages", msgs))
		msgs = NULL;
	else
		ok = false;
	if (ok && tools && cJSON_AddItemToObject(o, "tools", tools))
		tools = NULL;
	else
		ok = false;
	ok = ok && cJSON_AddStringToObject(o, "tool_choice", tools_allowed ? "auto" : "none");
	if (ok && s->temperature >= 0)
		ok = cJSON_AddNumberToObject(o, "temperature", s->temperature) != NULL;
	if (ok && s->max_tokens > 0)
		ok = cJSON_AddNumberToObject(o, "max_tokens", s->max_tokens) != NULL;
	char *body = ok ? cJSON_PrintUnformatted(o) : NULL;
	cJSON_Delete(msgs);
	cJSON_Delete(tools);
	cJSON_Delete(o);
	return body;
}

void agt_llm_reply_cleanup(struct agt_llm_reply *r)
{
	for (size_t i = 0; i < r->n_calls; i++) {
		free(r->calls[i].id);
		free(r->calls[i].name);
		free(r->calls[i].arguments);
	}
	free(r->calls);
	free(r->content);
	cJSON_Delete(r->message);
	memset(r, 0, sizeof *r);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* One entry of message.tool_calls into call, and its echo into out. */
static enum svc_result read_call(const cJSON *tc, size_t index, struct agt_llm_tool_call *call,
				 cJSON *out, struct svc_err *err)
{
	const cJSON *fn = cJSON_GetObjectItemCaseSensitive(tc, "function");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(fn, "name");
	const cJSON *args = cJSON_GetObjectItemCaseSensitive(fn, "arguments");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(tc, "id");
	if (!cJSON_IsObject(tc) || !cJSON_IsObject(fn))
		return svc_err_set(err, SVC_EUPSTREAM, NULL,
				   "a tool call of the model has no function");
	char idbuf[32];
	snprintf(idbuf, sizeof idbuf, "call_%zu", index);
	call->id = strdup(cJSON_IsString(id) && id->valuestring[0] ? id->valuestring : idbuf);
	call->name = strdup(cJSON_IsString(name) ? name->valuestring : "");
	/* Arguments are a JSON text; some servers send the object itself. */
	if (cJSON_IsString(args))
		call->arguments = strdup(args->valuestring);
	else if (args && !cJSON_IsNull(args))
		call->arguments = cJSON_PrintUnformatted(args);
	else
		call->arguments = strdup("");
	if (!call->id || !call->name || !call->arguments)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	cJSON *echo = cJSON_CreateObject();
	cJSON *efn = echo ? cJSON_AddObjectToObject(echo, "function") : NULL;
	/* out takes ownership of echo */
	if (!echo || !cJSON_AddItemToArray(out, echo)) {
		cJSON_Delete(echo);
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	}
	if (!efn || !cJSON_AddStringToObject(echo, "id", call->id) ||
	    !cJSON_AddStringToObject(echo, "type", "function") ||
	    !cJSON_AddStringToObject(efn, "name", call->name) ||
	    !cJSON_AddStringToObject(efn, "arguments", call->arguments))
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	return SVC_OK;
}

enum svc_result agt_llm_reply_parse(const char *body, size_t len, struct agt_llm_reply *reply,
				    struct svc_err *err)
{
	memset(reply, 0, sizeof *reply);
	cJSON *doc = NULL;
	struct svc_err perr = {0};
	if (!body || svc_json_parse_object(body, len, &doc, &perr) != SVC_OK)
		return svc_err_set(err, SVC_EUPSTREAM, NULL, "the model's answer is not JSON: %s",
				   perr.message);
	enum svc_result r = SVC_OK;
	const cJSON *choice =
		cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "choices"), 0);
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(choice, "message");
	if (!cJSON_IsObject(msg)) {
		r = svc_err_set(err, SVC_EUPSTREAM, NULL, "the model's answer has no message");
		goto done;
	}
	const cJSON *content = cJSON_GetObjectItemCaseSensitive(msg, "content");
	const cJSON *calls = cJSON_GetObjectItemCaseSensitive(msg, "tool_calls");
	const cJSON *finish = cJSON_GetObjectItemCaseSensitive(choice, "finish_reason");
	if (cJSON_IsString(finish))
		snprintf(reply->finish_reason, sizeof reply->finish_reason, "%s",
			 finish->valuestring);
	if (cJSON_IsString(content) && !(reply->content = dup_or_null(content->valuestring))) {
		r = svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
		goto done;
	}
	reply->message = cJSON_CreateObject();
	if (!reply->message || !cJSON_AddStringToObject(reply->message, "role", "assistant") ||
	    !(reply->content ? cJSON_AddStringToObject(reply->message, "content", reply->content)
			     : cJSON_AddNullToObject(reply->message, "content"))) {
		r = svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
		goto done;
	}
	int n = cJSON_IsArray(calls) ? cJSON_GetArraySize(calls) : 0;
	if (n > 0) {
		if (n > CALLS_MAX)
			n = CALLS_MAX;
		reply->calls = calloc((size_t)n, sizeof *reply->calls);
		cJSON *echo = cJSON_AddArrayToObject(reply->message, "tool_calls");
		if (!reply->calls || !echo) {
			r = svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
			goto done;
		}
		for (int i = 0; i < n && r == SVC_OK; i++) {
			r = read_call(cJSON_GetArrayItem(calls, i), (size_t)i,
				      &reply->calls[reply->n_calls], echo, err);
			reply->n_calls++;
		}
	}
done:
	cJSON_Delete(doc);
	if (r != SVC_OK)
		agt_llm_reply_cleanup(reply);
	return r;
}

enum svc_result agt_llm_call_check(const struct agt_catalogue *cat,
				   const struct agt_llm_tool_call *call,
				   const struct agt_tool **tool, cJSON **args, struct svc_err *err)
{
	*tool = NULL;
	*args = NULL;
	const struct agt_tool *t = agt_catalogue_find(cat, call->name);
	if (!t) {
		char names[256] = "";
		size_t o = 0;
		for (size_t i = 0; i < agt_catalogue_count(cat); i++)
			o = agt_appendf(names, sizeof names, o, "%s%s", i ? ", " : "",
					agt_catalogue_tool(cat, i)->name);
		return svc_err_set(
			err, SVC_ENOTFOUND, "name",
			"There is no tool named \"%.60s\"; the tools are %s. Nothing was "
			"done.",
			call->name, names);
	}
	const char *text = call->arguments;
	size_t len = strlen(text);
	if (len > ARGUMENTS_MAX)
		return svc_err_set(err, SVC_EINVAL, "arguments",
				   "The arguments of %s are too long. Nothing was done.", t->name);
	cJSON *a = NULL;
	struct svc_err perr = {0};
	if (len == 0)
		a = cJSON_CreateObject(); /* no arguments at all: an empty object */
	else if (svc_json_parse_object(text, len, &a, &perr) != SVC_OK)
		return svc_err_set(
			err, SVC_EINVAL, "arguments",
			"The arguments of %s are not a JSON object (%s). Nothing was done.",
			t->name, perr.message);
	if (!a)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	struct svc_err verr = {0};
	if (agt_tool_check_args(t, a, &verr) != SVC_OK) {
		cJSON_Delete(a);
		return svc_err_set(err, SVC_EINVAL, verr.field,
				   "Invalid arguments for %s: %s. Nothing was done.", t->name,
				   verr.message);
	}
	*tool = t;
	*args = a;
	return SVC_OK;
}

static int month_of(const char *m)
{
	static const char *const names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	for (int i = 0; i < 12; i++)
		if (strncmp(m, names[i], 3) == 0)
			return i + 1;
	return 0;
}

long agt_retry_after_ms(const char *header, long long now)
{
	if (!header)
		return -1;
	while (*header == ' ')
		header++;
	long secs;
	char digits[24];
	size_t n = strspn(header, "0123456789");
	if (n > 0 && n < sizeof digits && (header[n] == '\0' || header[n] == ' ')) {
		snprintf(digits, sizeof digits, "%.*s", (int)n, header);
		if (svc_parse_long(digits, 0, 86400, &secs) == 0)
			return secs * 1000;
		return 86400L * 1000;
	}
	/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
	int d, y, h, mi, s, len = 0;
	char wd[4], mon[4];
	if (sscanf(header, "%3s, %2d %3s %4d %2d:%2d:%2d GMT%n", wd, &d, mon, &y, &h, &mi, &s,
		   &len) != 7 ||
	    len == 0)
		return -1;
	int m = month_of(mon);
	if (!m || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
		return -1;
	long long t = agt_days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + s;
	if (t <= now)
		return 0;
	return t - now > 86400 ? 86400L * 1000 : (long)(t - now) * 1000;
}
