/* The Chat Completions layer and the turn loop, against a scripted
 * provider and a fake clock: what is sent, what runs, what the user is
 * told. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agt_test.h"
#include "catalogue.h"
#include "llm.h"
#include "turn.h"
#include "svc/util.h"

#define NOW_S 1772739000LL /* 2026-03-05T19:30:00Z */
#define ID1 "11111111-1111-4111-8111-111111111111"
#define TASK                                                                                       \
	"{\"id\":\"" ID1 "\",\"user_id\":\"u\",\"title\":\"Buy milk\",\"description\":\"\","       \
	"\"status\":\"pending\",\"priority\":\"medium\",\"tags\":[],\"due_at\":null,"              \
	"\"remind_at\":null,\"remind_before_minutes\":null,\"rrule\":null,\"series_id\":null,"     \
	"\"occurrence_at\":null,\"recur_from\":\"due\",\"time_zone\":\"UTC\",\"created_at\":"      \
	"\"2026-03-05T19:30:00Z\",\"updated_at\":\"2026-03-05T19:30:00Z\",\"completed_at\":null,"  \
	"\"version\":1}"

static const struct agt_task_ref listed[] = {{ID1, "Buy milk"}};
static const struct agt_llm_settings settings = {
	.model = "test-model", .temperature = -1, .history_max = 4, .history_chars = 100};
static const struct agt_turn_limits limits = {.max_steps = 8,
					      .budget_ms = 30000,
					      .attempt_timeout_ms = 10000,
					      .backoff_ms = 500,
					      .backoff_max_ms = 4000,
					      .max_attempts = 4};

static struct agt_plan_context context(void)
{
	struct agt_plan_context c = {.now = NOW_S,
				     .time_zone = "America/New_York",
				     .listed = listed,
				     .n_listed = 1,
				     .last = &listed[0]};
	return c;
}

/* Answers. */

static char *completion(const char *content, const char *calls)
{
	char buf[8192];
	snprintf(buf, sizeof buf,
		 "{\"id\":\"x\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
		 "\"message\":{\"role\":\"assistant\",\"content\":%s%s%s},\"finish_reason\":\"%s\"}"
		 "]}",
		 content ? content : "null", calls ? ",\"tool_calls\":" : "", calls ? calls : "",
		 calls ? "tool_calls" : "stop");
	return strdup(buf);
}

static void system_prompt(void **state)
{
	(void)state;
	struct agt_plan_context c = context();
	char *p = agt_llm_system_prompt(&c);
	assert_non_null(strstr(p, "Thursday, 2026-03-05 14:30"));
	assert_non_null(strstr(p, "America/New_York (UTC-05:00)"));
	assert_non_null(strstr(p, "1. Buy milk (task_id " ID1 ")"));
	assert_non_null(strstr(p, "last touched"));
	free(p);
	c.time_zone = "Nowhere/Land";
	assert_null(agt_llm_system_prompt(&c));
}

static void history_window(void **state)
{
	(void)state;
	struct agt_plan_context c = context();
	const struct agt_history_msg h[] = {
		{"user", "first question, far too old to fit the window of a hundred characters"},
		{"assistant", "an old answer"},
		{"user", "recent question"},
		{"assistant", "recent answer"},
	};
	cJSON *m = agt_llm_messages(&settings, &c, h, 4, "add milk");
	/* system, then the newest that fit (starting with a user), then the message */
	assert_int_equal(cJSON_GetArraySize(m), 4);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(m, 0), "role")->valuestring,
			    "system");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(m, 1), "content")->valuestring,
			    "recent question");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(m, 3), "content")->valuestring,
			    "add milk");
	cJSON_Delete(m);

	char *body = agt_llm_request(&settings, m = agt_llm_messages(&settings, &c, h, 0, "hi"),
				     agt_catalogue_builtin(), true);
	cJSON *o = agt_test_json(body);
	assert_string_equal(cJSON_GetObjectItem(o, "model")->valuestring, "test-model");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "tools")), 7);
	assert_string_equal(cJSON_GetObjectItem(o, "tool_choice")->valuestring, "auto");
	assert_null(cJSON_GetObjectItem(o, "temperature"));
	cJSON_Delete(o);
	free(body);
	struct agt_llm_settings s2 = settings;
	s2.temperature = 0.2;
	s2.max_tokens = 300;
	body = agt_llm_request(&s2, m, agt_catalogue_builtin(), false);
	o = agt_test_json(body);
	assert_string_equal(cJSON_GetObjectItem(o, "tool_choice")->valuestring, "none");
	assert_int_equal(cJSON_GetObjectItem(o, "max_tokens")->valueint, 300);
	cJSON_Delete(o);
	free(body);
	cJSON_Delete(m);
}

static void replies(void **state)
{
	(void)state;
	struct agt_llm_reply r;
	struct svc_err err = {0};
	char *b = completion("\"Done, added it.\"", NULL);
	assert_int_equal(agt_llm_reply_parse(b, strlen(b), &r, &err), SVC_OK);
	assert_string_equal(r.content, "Done, added it.");
	assert_int_equal(r.n_calls, 0);
	assert_string_equal(r.finish_reason, "stop");
	agt_llm_reply_cleanup(&r);
	free(b);

	b = completion(NULL, "[{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":"
			     "\"add_task\",\"arguments\":\"{\\\"title\\\":\\\"milk\\\"}\"}},"
			     "{\"type\":\"function\",\"function\":{\"name\":\"list_tasks\","
			     "\"arguments\":{\"status\":\"pending\"}}}]");
	assert_int_equal(agt_llm_reply_parse(b, strlen(b), &r, &err), SVC_OK);
	assert_null(r.content);
	assert_int_equal(r.n_calls, 2);
	assert_string_equal(r.calls[0].id, "c1");
	assert_string_equal(r.calls[0].arguments, "{\"title\":\"milk\"}");
	/* An id made up where the server gave none; an object taken as text. */
	assert_string_equal(r.calls[1].id, "call_1");
	assert_string_equal(r.calls[1].arguments, "{\"status\":\"pending\"}");
	const cJSON *echo = cJSON_GetObjectItem(r.message, "tool_calls");
	assert_int_equal(cJSON_GetArraySize(echo), 2);
	agt_llm_reply_cleanup(&r);
	free(b);

	const char *bad[] = {"not json", "{}", "{\"choices\":[]}",
			     "{\"choices\":[{\"message\":7}]}",
			     "{\"choices\":[{\"message\":{\"tool_calls\":[5]}}]}"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_int_equal(agt_llm_reply_parse(bad[i], strlen(bad[i]), &r, &err),
				 SVC_EUPSTREAM);
		assert_null(r.message);
		agt_llm_reply_cleanup(&r);
	}
}

static void call_checks(void **state)
{
	(void)state;
	const struct agt_catalogue *cat = agt_catalogue_builtin();
	struct agt_llm_tool_call call = {
		.id = "c", .name = "add_task", .arguments = "{\"title\":\"x\"}"};
	const struct agt_tool *tool;
	cJSON *args;
	struct svc_err err = {0};
	assert_int_equal(agt_llm_call_check(cat, &call, &tool, &args, &err), SVC_OK);
	assert_string_equal(tool->name, "add_task");
	cJSON_Delete(args);
	call.arguments = "{\"title\": \"x\",";
	assert_int_equal(agt_llm_call_check(cat, &call, &tool, &args, &err), SVC_EINVAL);
	assert_non_null(strstr(err.message, "not a JSON object"));
	assert_null(args);
	call.arguments = "{\"title\":\"x\",\"priority\":\"urgent\"}";
	assert_int_equal(agt_llm_call_check(cat, &call, &tool, &args, &err), SVC_EINVAL);
	assert_non_null(strstr(err.message, "Invalid arguments for add_task: priority"));
	call.arguments = "[1]";
	assert_int_equal(agt_llm_call_check(cat, &call, &tool, &args, &err), SVC_EINVAL);
	call.name = "rm_rf";
	call.arguments = "{}";
	assert_int_equal(agt_llm_call_check(cat, &call, &tool, &args, &err), SVC_ENOTFOUND);
	assert_non_null(strstr(err.message, "no tool named \"rm_rf\""));
	call.name = "list_tasks";
	call.arguments = "";
	assert_int_equal(agt_llm_call_check(cat, &call, &tool, &args, &err), SVC_OK);
	cJSON_Delete(args);
}

static void retry_after(void **state)
{
	(void)state;
	assert_int_equal(agt_retry_after_ms("5", NOW_S), 5000);
	assert_int_equal(agt_retry_after_ms(" 0", NOW_S), 0);
	assert_int_equal(agt_retry_after_ms(NULL, NOW_S), -1);
	assert_int_equal(agt_retry_after_ms("soon", NOW_S), -1);
	assert_int_equal(agt_retry_after_ms("99999999999", NOW_S), 86400000);
	assert_int_equal(agt_retry_after_ms("Thu, 05 Mar 2026 19:30:07 GMT", NOW_S), 7000);
	assert_int_equal(agt_retry_after_ms("Thu, 05 Mar 2026 19:29:00 GMT", NOW_S), 0);
}

/* A scripted provider on a fake clock. */
struct script {
	struct agt_http_answer answers[16];
	size_t n, next;
	char *sent[16]; /* the bodies it got */
	long timeouts[16];
	long long now; /* the fake monotonic clock, ms */
	long slept;
	int executed;
	char executed_names[256];
	bool fail_tasks; /* the executor answers "not found" */
};

static enum svc_result post(void *ctx, const char *body, size_t len, long timeout_ms,
			    struct agt_http_answer *ans)
{
	struct script *s = ctx;
	assert_true(s->next < s->n);
	s->sent[s->next] = strndup(body, len);
	s->timeouts[s->next] = timeout_ms;
	*ans = s->answers[s->next];
	ans->body = ans->body ? strdup(ans->body) : NULL;
	ans->len = ans->body ? strlen(ans->body) : 0;
	/* A timeout takes its time; an answer 100 ms. */
	s->now += ans->status == 0 ? timeout_ms : 100;
	s->next++;
	return SVC_OK;
}

static long long now_ms(void *ctx)
{
	return ((struct script *)ctx)->now;
}

static void sleep_ms(void *ctx, long ms)
{
	struct script *s = ctx;
	s->now += ms;
	s->slept += ms;
}

static enum svc_result execute(void *ctx, const struct agt_tool *tool, const cJSON *args,
			       cJSON **result, struct svc_err *err)
{
	(void)args;
	struct script *s = ctx;
	s->executed++;
	size_t o = strlen(s->executed_names);
	snprintf(s->executed_names + o, sizeof s->executed_names - o, "%s ", tool->name);
	if (s->fail_tasks)
		return svc_err_set(err, SVC_ENOTFOUND, "title",
				   "No task is called \u201cgym\u201d.");
	*result = agt_test_json(tool->read_only ? "{\"items\":[" TASK "],\"next_cursor\":null}"
						: "{\"task\":" TASK "}");
	return SVC_OK;
}

static void answer(struct script *s, int status, char *body, long retry_after)
{
	s->answers[s->n].status = status;
	s->answers[s->n].error = status ? SVC_OK : SVC_ETIMEOUT;
	s->answers[s->n].body = body;
	s->answers[s->n].retry_after_ms = retry_after;
	s->n++;
}

static struct agt_turn *play(struct script *s, const char *message)
{
	struct agt_plan_context c = context();
	struct agt_turn *t = agt_turn_new(&settings, &limits, agt_catalogue_builtin(), &c, NULL, 0,
					  message, s->now);
	assert_non_null(t);
	struct agt_transport tr = {.post = post, .ctx = s};
	struct agt_executor ex = {.run = execute, .ctx = s};
	struct agt_clock clk = {.now_ms = now_ms, .sleep_ms = sleep_ms, .ctx = s};
	assert_int_equal(agt_turn_run(t, &tr, &ex, &clk), SVC_OK);
	return t;
}

static void script_free(struct script *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->answers[i].body);
		free(s->sent[i]);
	}
}

#define ADD_CALL                                                                                   \
	"[{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"add_task\","               \
	"\"arguments\":\"{\\\"title\\\":\\\"Buy milk\\\"}\"}}]"

static void turn_with_a_tool(void **state)
{
	(void)state;
	struct script s = {.now = 1000};
	answer(&s, 200, completion(NULL, ADD_CALL), -1);
	answer(&s, 200, completion("\"Added \\u201cBuy milk\\u201d.\"", NULL), -1);
	struct agt_turn *t = play(&s, "add buy milk");
	assert_false(agt_turn_failed(t));
	assert_string_equal(agt_turn_reply(t), "Added \u201c"
					       "Buy milk\u201d.");
	assert_true(agt_turn_tasks_changed(t));
	assert_int_equal(s.executed, 1);
	const cJSON *calls = agt_turn_calls(t);
	assert_int_equal(cJSON_GetArraySize(calls), 1);
	const cJSON *c0 = cJSON_GetArrayItem(calls, 0);
	assert_string_equal(cJSON_GetObjectItem(c0, "name")->valuestring, "add_task");
	assert_string_equal(
		cJSON_GetObjectItem(cJSON_GetObjectItem(c0, "arguments"), "title")->valuestring,
		"Buy milk");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(c0, "error")));
	assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(c0, "result"), "task"));
	/* The second request carries the assistant's call and the tool's result. */
	cJSON *second = agt_test_json(s.sent[1]);
	const cJSON *msgs = cJSON_GetObjectItem(second, "messages");
	int n = cJSON_GetArraySize(msgs);
	const cJSON *tool_msg = cJSON_GetArrayItem(msgs, n - 1);
	assert_string_equal(cJSON_GetObjectItem(tool_msg, "role")->valuestring, "tool");
	assert_string_equal(cJSON_GetObjectItem(tool_msg, "tool_call_id")->valuestring, "c1");
	assert_non_null(strstr(cJSON_GetObjectItem(tool_msg, "content")->valuestring, "Buy milk"));
	assert_non_null(cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, n - 2), "tool_calls"));
	cJSON_Delete(second);
	agt_turn_free(t);
	script_free(&s);
}

static void bad_calls_are_not_run(void **state)
{
	(void)state;
	struct script s = {.now = 1000};
	answer(&s, 200,
	       completion(NULL, "[{\"id\":\"a\",\"type\":\"function\",\"function\":{\"name\":"
				"\"add_task\",\"arguments\":\"{title: milk\"}},"
				"{\"id\":\"b\",\"type\":\"function\",\"function\":{\"name\":"
				"\"drop_database\",\"arguments\":\"{}\"}},"
				"{\"id\":\"c\",\"type\":\"function\",\"function\":{\"name\":"
				"\"complete_task\",\"arguments\":\"{\\\"task_id\\\":5}\"}}]"),
	       -1);
	answer(&s, 200, completion("\"Sorry, I could not do that.\"", NULL), -1);
	struct agt_turn *t = play(&s, "do things");
	assert_int_equal(s.executed, 0);
	assert_false(agt_turn_tasks_changed(t));
	const cJSON *calls = agt_turn_calls(t);
	assert_int_equal(cJSON_GetArraySize(calls), 3);
	const cJSON *c;
	cJSON_ArrayForEach(c, calls)
	{
		assert_true(cJSON_IsNull(cJSON_GetObjectItem(c, "result")));
		assert_true(cJSON_IsObject(cJSON_GetObjectItem(c, "error")));
	}
	/* The model was told, one tool message per call. */
	cJSON *second = agt_test_json(s.sent[1]);
	const cJSON *msgs = cJSON_GetObjectItem(second, "messages");
	int n = cJSON_GetArraySize(msgs);
	assert_non_null(
		strstr(cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, n - 3), "content")->valuestring,
		       "not a JSON object"));
	assert_non_null(
		strstr(cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, n - 2), "content")->valuestring,
		       "no tool named"));
	assert_non_null(
		strstr(cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, n - 1), "content")->valuestring,
		       "task_id must be a string"));
	cJSON_Delete(second);
	assert_string_equal(agt_turn_reply(t), "Sorry, I could not do that.");
	agt_turn_free(t);
	script_free(&s);
}

static void tool_errors_go_to_the_model(void **state)
{
	(void)state;
	struct script s = {.now = 1000, .fail_tasks = true};
	answer(&s, 200,
	       completion(NULL,
			  "[{\"id\":\"a\",\"type\":\"function\",\"function\":{\"name\":"
			  "\"complete_task\",\"arguments\":\"{\\\"title\\\":\\\"gym\\\"}\"}}]"),
	       -1);
	answer(&s, 200, completion("\"There is no task called gym.\"", NULL), -1);
	struct agt_turn *t = play(&s, "complete gym");
	assert_int_equal(s.executed, 1);
	assert_false(agt_turn_tasks_changed(t));
	const cJSON *e = cJSON_GetObjectItem(cJSON_GetArrayItem(agt_turn_calls(t), 0), "error");
	assert_string_equal(cJSON_GetObjectItem(e, "code")->valuestring, "not_found");
	assert_non_null(strstr(s.sent[1], "not_found"));
	agt_turn_free(t);
	script_free(&s);
}

static void retries_within_the_budget(void **state)
{
	(void)state;
	/* 429 with Retry-After, then two 5xx with backoff, then an answer. */
	struct script s = {.now = 1000};
	answer(&s, 429, strdup("{\"error\":{\"message\":\"slow down, sk-secret-key\"}}"), 2000);
	answer(&s, 503, NULL, -1);
	answer(&s, 502, NULL, -1);
	answer(&s, 200, completion("\"Hello.\"", NULL), -1);
	struct agt_turn *t = play(&s, "hi");
	assert_false(agt_turn_failed(t));
	assert_string_equal(agt_turn_reply(t), "Hello.");
	assert_int_equal(agt_turn_requests(t), 4);
	assert_int_equal(s.slept, 2000 + 1000 + 2000);
	agt_turn_free(t);
	script_free(&s);
}

static void gives_up_with_a_clear_error(void **state)
{
	(void)state;
	/* Timeouts: retried until the budget cannot hold another attempt. */
	struct script s = {.now = 1000};
	for (int i = 0; i < 4; i++)
		answer(&s, 0, NULL, -1);
	struct agt_turn *t = play(&s, "hi");
	assert_true(agt_turn_failed(t));
	assert_string_equal(agt_turn_reply(t),
			    "The language model did not answer in time. Please try again.");
	/* Each attempt got what was left of the budget, at most 10 s. */
	assert_int_equal(s.timeouts[0], 10000);
	assert_true(s.now - 1000 <= limits.budget_ms);
	agt_turn_free(t);
	script_free(&s);

	/* Credentials refused: no retry, and nothing of the provider's answer
	 * (which may echo the key) reaches the user. */
	struct script s2 = {.now = 1000};
	answer(&s2, 401, strdup("{\"error\":{\"message\":\"Incorrect API key sk-secret-key\"}}"),
	       -1);
	t = play(&s2, "hi");
	assert_true(agt_turn_failed(t));
	assert_int_equal(agt_turn_requests(t), 1);
	assert_null(strstr(agt_turn_reply(t), "sk-"));
	assert_non_null(strstr(agt_turn_reply(t), "API key setting"));
	agt_turn_free(t);
	script_free(&s2);

	/* Rate limited past the budget: a retry that cannot fit is not made. */
	struct script s3 = {.now = 1000};
	answer(&s3, 429, NULL, 60000);
	t = play(&s3, "hi");
	assert_true(agt_turn_failed(t));
	assert_int_equal(agt_turn_requests(t), 1);
	assert_non_null(strstr(agt_turn_reply(t), "rate limited"));
	agt_turn_free(t);
	script_free(&s3);

	/* An unreadable answer, after a tool ran: say so, and what was done. */
	struct script s4 = {.now = 1000};
	answer(&s4, 200, completion(NULL, ADD_CALL), -1);
	answer(&s4, 200, strdup("<html>oops</html>"), -1);
	t = play(&s4, "add milk");
	assert_true(agt_turn_failed(t));
	assert_true(agt_turn_tasks_changed(t));
	assert_non_null(strstr(agt_turn_reply(t), "Already done: add_task."));
	agt_turn_free(t);
	script_free(&s4);
}

static void step_limit(void **state)
{
	(void)state;
	/* The model asks for five lists at a time, forever; eight run, the
	 * rest are refused, then it must answer in words. */
	struct script s = {.now = 1000};
	char five[2048] = "[";
	size_t o = 1;
	for (int i = 0; i < 5; i++)
		o += (size_t)snprintf(five + o, sizeof five - o,
				      "%s{\"id\":\"l%d\",\"type\":\"function\",\"function\":{"
				      "\"name\":\"list_tasks\",\"arguments\":\"{}\"}}",
				      i ? "," : "", i);
	snprintf(five + o, sizeof five - o, "]");
	answer(&s, 200, completion(NULL, five), -1);
	answer(&s, 200, completion(NULL, five), -1);
	answer(&s, 200, completion("\"Here is what I found.\"", five), -1);
	struct agt_turn *t = play(&s, "show everything");
	assert_int_equal(s.executed, 8);
	assert_int_equal(cJSON_GetArraySize(agt_turn_calls(t)), 10);
	assert_string_equal(agt_turn_reply(t), "Here is what I found.");
	cJSON *last = agt_test_json(s.sent[2]);
	assert_string_equal(cJSON_GetObjectItem(last, "tool_choice")->valuestring, "none");
	cJSON_Delete(last);
	agt_turn_free(t);
	script_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(system_prompt),
		cmocka_unit_test(history_window),
		cmocka_unit_test(replies),
		cmocka_unit_test(call_checks),
		cmocka_unit_test(retry_after),
		cmocka_unit_test(turn_with_a_tool),
		cmocka_unit_test(bad_calls_are_not_run),
		cmocka_unit_test(tool_errors_go_to_the_model),
		cmocka_unit_test(retries_within_the_budget),
		cmocka_unit_test(gives_up_with_a_clear_error),
		cmocka_unit_test(step_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
