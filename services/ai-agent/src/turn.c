#include "turn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phrase.h"
#include "svc/json.h"
#include "svc/text.h"
#include "svc/util.h"

/* Less time than this left is not worth a request. */
#define MIN_ATTEMPT_MS 1000

enum state { S_SEND, S_AWAIT, S_WAIT, S_CALLS, S_RESULT, S_DONE };

struct agt_turn {
	struct agt_llm_settings settings;
	char *model;
	struct agt_turn_limits limits;
	const struct agt_catalogue *cat;
	cJSON *messages;
	enum state state;
	long long deadline;
	long long wait_until;
	int attempts; /* of the current request */
	int requests;
	int steps;  /* tool calls the model asked for */
	bool final; /* the step limit is reached: words only */
	char *body; /* the request being sent */
	struct agt_llm_reply reply;
	size_t next_call; /* in reply.calls */
	const struct agt_tool *tool;
	cJSON *args;  /* of the call running */
	cJSON *calls; /* as the chat API lists them */
	bool tasks_changed;
	bool failed;
	char *answer;
};

struct agt_turn *agt_turn_new(const struct agt_llm_settings *s,
			      const struct agt_turn_limits *limits, const struct agt_catalogue *cat,
			      const struct agt_plan_context *ctx,
			      const struct agt_history_msg *history, size_t n, const char *message,
			      long long start_ms)
{
	struct agt_turn *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->settings = *s;
	t->model = strdup(s->model ? s->model : "");
	t->settings.model = t->model;
	t->limits = *limits;
	t->cat = cat;
	t->deadline = start_ms + limits->budget_ms;
	t->messages = agt_llm_messages(s, ctx, history, n, message);
	t->calls = cJSON_CreateArray();
	if (!t->model || !t->messages || !t->calls) {
		agt_turn_free(t);
		return NULL;
	}
	return t;
}

void agt_turn_free(struct agt_turn *t)
{
	if (!t)
		return;
	free(t->model);
	cJSON_Delete(t->messages);
	free(t->body);
	agt_llm_reply_cleanup(&t->reply);
	cJSON_Delete(t->args);
	cJSON_Delete(t->calls);
	free(t->answer);
	free(t);
}

static void finish(struct agt_turn *t, bool failed, const char *text)
{
	free(t->answer);
	t->answer = strdup(text);
	t->failed = failed;
	t->state = S_DONE;
}

/* Ends the turn with an error for the user, naming what already ran. */
static void fail(struct agt_turn *t, const char *why)
{
	char text[1024];
	size_t o = agt_appendf(text, sizeof text, 0, "%s", why);
	int ran = 0;
	const cJSON *c;
	cJSON_ArrayForEach(c, t->calls)
	{
		if (cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(c, "error")))
			o = agt_appendf(text, sizeof text, o, "%s%s",
					ran++ ? ", " : " Already done: ",
					cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring);
	}
	if (ran)
		o = agt_appendf(text, sizeof text, o, ".");
	finish(t, true, text);
}

/* Appends {"role":"tool","tool_call_id","content"} to the messages. */
static bool tool_message(struct agt_turn *t, const char *id, const char *content)
{
	cJSON *m = cJSON_CreateObject();
	/* messages takes ownership of m */
	if (!m || !cJSON_AddItemToArray(t->messages, m)) {
		cJSON_Delete(m);
		return false;
	}
	return cJSON_AddStringToObject(m, "role", "tool") &&
	       cJSON_AddStringToObject(m, "tool_call_id", id) &&
	       cJSON_AddStringToObject(m, "content", content);
}

/* Records a call in the API's list; takes ownership of args and result. */
static bool record(struct agt_turn *t, const char *name, cJSON *args, cJSON *result,
		   enum svc_result r, const char *message)
{
	cJSON *c = cJSON_CreateObject();
	bool ok = c && cJSON_AddItemToArray(t->calls, c);
	if (!ok)
		cJSON_Delete(c);
	ok = ok && cJSON_AddStringToObject(c, "name", name);
	/* c takes ownership of args and result */
	if (!args)
		args = cJSON_CreateObject();
	if (ok && args && cJSON_AddItemToObject(c, "arguments", args))
		args = NULL;
	else
		ok = false;
	if (ok && result && cJSON_AddItemToObject(c, "result", result))
		result = NULL;
	else if (ok && !result)
		ok = cJSON_AddNullToObject(c, "result") != NULL;
	else
		ok = false;
	if (ok && r == SVC_OK) {
		ok = cJSON_AddNullToObject(c, "error") != NULL;
	} else if (ok) {
		cJSON *e = cJSON_AddObjectToObject(c, "error");
		ok = e && cJSON_AddStringToObject(e, "code", svc_result_name(r)) &&
		     cJSON_AddStringToObject(e, "message", message);
	}
	cJSON_Delete(args);
	cJSON_Delete(result);
	return ok;
}

/* A tool's error as the model reads it. */
static char *error_content(enum svc_result r, const char *message)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *e = o ? cJSON_AddObjectToObject(o, "error") : NULL;
	char *s = NULL;
	if (e && cJSON_AddStringToObject(e, "code", svc_result_name(r)) &&
	    cJSON_AddStringToObject(e, "message", message))
		s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* Refuses the call at next_call (not run) and moves on. */
static bool refuse(struct agt_turn *t, cJSON *args, enum svc_result r, const char *message)
{
	const struct agt_llm_tool_call *call = &t->reply.calls[t->next_call];
	char *content = error_content(r, message);
	bool ok = content && tool_message(t, call->id, content) &&
		  record(t, call->name, args, NULL, r, message);
	free(content);
	t->next_call++;
	return ok;
}

/* The model's final words, or a plain stand-in when it gave none. */
static void words(struct agt_turn *t)
{
	const char *c = t->reply.content;
	size_t b = 0, e = 0;
	if (c)
		svc_utf8_trim_span(c, &b, &e);
	if (c && e > b) {
		char *text = strndup(c + b, e - b);
		if (text) {
			finish(t, false, text);
			free(text);
			return;
		}
	}
	finish(t, false, cJSON_GetArraySize(t->calls) ? "Done." : "I have nothing to add.");
}

/* The tool calls of the answer at hand, from next_call on: the next one
 * to run, after refusing those that may not. */
static void calls_step(struct agt_turn *t, struct agt_turn_action *a)
{
	while (t->next_call < t->reply.n_calls) {
		const struct agt_llm_tool_call *call = &t->reply.calls[t->next_call];
		if (t->steps >= t->limits.max_steps) {
			char msg[160];
			snprintf(msg, sizeof msg,
				 "Not run: the limit of %d tool calls per turn was reached.",
				 t->limits.max_steps);
			t->final = true;
			if (!refuse(t, NULL, SVC_EUNPROCESSABLE, msg))
				goto oom;
			continue;
		}
		t->steps++;
		struct svc_err err = {0};
		const struct agt_tool *tool = NULL;
		cJSON *args = NULL;
		enum svc_result r = agt_llm_call_check(t->cat, call, &tool, &args, &err);
		if (r == SVC_ENOMEM)
			goto oom;
		if (r != SVC_OK) {
			/* The model got it wrong: tell it, run nothing. What it did
			 * write stays visible when it was an object at least. */
			cJSON *shown = NULL;
			struct svc_err ignored = {0};
			svc_json_parse_object(call->arguments, strlen(call->arguments), &shown,
					      &ignored);
			if (!refuse(t, shown, r, err.message))
				goto oom;
			continue;
		}
		t->tool = tool;
		t->args = args;
		t->state = S_RESULT;
		a->step = AGT_TURN_CALL;
		a->tool = tool;
		a->args = args;
		return;
	}
	/* All answered: back to the model. */
	agt_llm_reply_cleanup(&t->reply);
	t->next_call = 0;
	t->attempts = 0;
	t->state = S_SEND;
	return;
oom:
	fail(t, "I ran out of memory while working on that.");
}

enum agt_turn_step agt_turn_next(struct agt_turn *t, long long now_ms, struct agt_turn_action *a)
{
	memset(a, 0, sizeof *a);
	for (;;) {
		switch (t->state) {
		case S_DONE: a->step = AGT_TURN_DONE; return a->step;
		case S_WAIT:
			if (now_ms < t->wait_until) {
				a->step = AGT_TURN_WAIT;
				a->wait_ms = (long)(t->wait_until - now_ms);
				return a->step;
			}
			t->state = S_SEND;
			continue;
		case S_SEND: {
			long left = (long)(t->deadline - now_ms);
			if (left < MIN_ATTEMPT_MS) {
				fail(t, "The language model did not finish in time. Please try "
					"again.");
				continue;
			}
			free(t->body);
			t->body = agt_llm_request(&t->settings, t->messages, t->cat, !t->final);
			if (!t->body) {
				fail(t, "I ran out of memory while working on that.");
				continue;
			}
			t->attempts++;
			t->requests++;
			t->state = S_AWAIT;
			a->step = AGT_TURN_SEND;
			a->body = t->body;
			a->len = strlen(t->body);
			a->timeout_ms = left < t->limits.attempt_timeout_ms
						? left
						: t->limits.attempt_timeout_ms;
			return a->step;
		}
		case S_CALLS:
			calls_step(t, a);
			if (t->state == S_RESULT || t->state == S_DONE)
				return a->step = t->state == S_DONE ? AGT_TURN_DONE : AGT_TURN_CALL;
			continue;
		case S_AWAIT:
		case S_RESULT:
			/* Called out of turn: the driver skipped a step. */
			fail(t, "Something went wrong on my side; please try again.");
			continue;
		}
	}
}

static bool retryable(const struct agt_http_answer *ans)
{
	return ans->status == 0 || ans->status == 429 || ans->status == 408 ||
	       (ans->status >= 500 && ans->status <= 599 && ans->status != 501);
}

static const char *failure_text(const struct agt_http_answer *ans)
{
	if (ans->status == 0)
		return "The language model did not answer in time. Please try again.";
	if (ans->status == 429)
		return "The language model is busy right now (rate limited). Please try again in "
		       "a minute.";
	if (ans->status >= 500)
		return "The language model service is having trouble right now. Please try again "
		       "shortly.";
	if (ans->status == 401 || ans->status == 403)
		return "The language model refused our credentials; the operator needs to check "
		       "the API key setting.";
	if (ans->status == 404)
		return "The language model named in the settings was not found at the provider.";
	if (ans->status == 413)
		return "This conversation is too long for the language model; start a new one.";
	return "The language model refused the request. Please try again or rephrase.";
}

void agt_turn_answer(struct agt_turn *t, const struct agt_http_answer *ans, long long now_ms)
{
	if (t->state != S_AWAIT) {
		fail(t, "Something went wrong on my side; please try again.");
		return;
	}
	if (ans->status != 200) {
		/* Never the provider's own words: they may echo what we sent. */
		if (!retryable(ans) || t->attempts >= t->limits.max_attempts) {
			fail(t, failure_text(ans));
			return;
		}
		long wait = t->limits.backoff_ms;
		for (int i = 1; i < t->attempts && wait < t->limits.backoff_max_ms; i++)
			wait *= 2;
		if (wait > t->limits.backoff_max_ms)
			wait = t->limits.backoff_max_ms;
		if (ans->retry_after_ms >= 0)
			wait = ans->retry_after_ms;
		if (now_ms + wait + MIN_ATTEMPT_MS > t->deadline) {
			fail(t, failure_text(ans));
			return;
		}
		t->wait_until = now_ms + wait;
		t->state = S_WAIT;
		return;
	}
	struct svc_err err = {0};
	agt_llm_reply_cleanup(&t->reply);
	enum svc_result r = agt_llm_reply_parse(ans->body, ans->len, &t->reply, &err);
	if (r != SVC_OK) {
		fail(t, r == SVC_ENOMEM ? "I ran out of memory while working on that."
					: "The language model answered with something I could not "
					  "read. Please try again.");
		return;
	}
	cJSON *m = t->reply.message;
	t->reply.message = NULL;
	/* messages takes ownership of m */
	if (!cJSON_AddItemToArray(t->messages, m)) {
		cJSON_Delete(m);
		fail(t, "I ran out of memory while working on that.");
		return;
	}
	if (t->reply.n_calls && !t->final) {
		t->next_call = 0;
		t->state = S_CALLS;
		return;
	}
	words(t);
}

void agt_turn_result(struct agt_turn *t, enum svc_result r, cJSON *result,
		     const struct svc_err *err)
{
	if (t->state != S_RESULT) {
		cJSON_Delete(result);
		fail(t, "Something went wrong on my side; please try again.");
		return;
	}
	const struct agt_llm_tool_call *call = &t->reply.calls[t->next_call];
	const char *message = err && err->message[0] ? err->message : svc_result_name(r);
	char *content = r == SVC_OK ? cJSON_PrintUnformatted(result) : error_content(r, message);
	if (r == SVC_OK && !t->tool->read_only)
		t->tasks_changed = true;
	cJSON *args = t->args;
	t->args = NULL;
	bool ok = content && tool_message(t, call->id, content) &&
		  record(t, t->tool->name, args, r == SVC_OK ? result : NULL, r, message);
	if (r != SVC_OK)
		cJSON_Delete(result);
	free(content);
	t->next_call++;
	t->state = S_CALLS;
	if (!ok)
		fail(t, "I ran out of memory while working on that.");
}

enum svc_result agt_turn_run(struct agt_turn *t, const struct agt_transport *tr,
			     const struct agt_executor *ex, const struct agt_clock *clk)
{
	struct agt_turn_action a;
	while (agt_turn_next(t, clk->now_ms(clk->ctx), &a) != AGT_TURN_DONE) {
		if (a.step == AGT_TURN_WAIT) {
			clk->sleep_ms(clk->ctx, a.wait_ms);
		} else if (a.step == AGT_TURN_SEND) {
			struct agt_http_answer ans = {.retry_after_ms = -1};
			if (tr->post(tr->ctx, a.body, a.len, a.timeout_ms, &ans) != SVC_OK) {
				free(ans.body);
				return SVC_ENOMEM;
			}
			agt_turn_answer(t, &ans, clk->now_ms(clk->ctx));
			free(ans.body);
		} else {
			cJSON *result = NULL;
			struct svc_err err = {0};
			enum svc_result r = ex->run(ex->ctx, a.tool, a.args, &result, &err);
			agt_turn_result(t, r, result, &err);
		}
	}
	return t->answer ? SVC_OK : SVC_ENOMEM;
}

const char *agt_turn_reply(const struct agt_turn *t)
{
	return t->answer;
}

bool agt_turn_failed(const struct agt_turn *t)
{
	return t->failed;
}

const cJSON *agt_turn_calls(const struct agt_turn *t)
{
	return t->calls;
}

bool agt_turn_tasks_changed(const struct agt_turn *t)
{
	return t->tasks_changed;
}

int agt_turn_requests(const struct agt_turn *t)
{
	return t->requests;
}
