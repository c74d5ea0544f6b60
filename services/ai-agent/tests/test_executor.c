/* The executor's rules that need no task-service: matching a title among
 * the user's tasks, the list query, scopes; and a turn with the built-in
 * planner over a fake executor (the events, the reply, the next context). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agt_test.h"
#include "converse.h"
#include "executor.h"
#include "svc/util.h"

static const char *items =
	"[{\"id\":\"a\",\"title\":\"Buy milk\",\"status\":\"pending\"},"
	"{\"id\":\"b\",\"title\":\"buy milk for the party\",\"status\":\"pending\"},"
	"{\"id\":\"c\",\"title\":\"Call mom\",\"status\":\"completed\"},"
	"{\"id\":\"d\",\"title\":\"call mom\",\"status\":\"pending\"},"
	"{\"id\":\"e\",\"title\":\"Milk the cow\",\"status\":\"completed\"}]";

static const char *id_of(const cJSON *t)
{
	return cJSON_GetObjectItemCaseSensitive(t, "id")->valuestring;
}

static void a_whole_title_wins_over_parts(void **state)
{
	(void)state;
	cJSON *it = agt_test_json(items);
	size_t n;
	cJSON *m = NULL;
	const cJSON *one = agt_title_match(it, "buy MILK", NULL, &n, &m);
	assert_non_null(one);
	assert_string_equal(id_of(one), "a");
	assert_null(m);
	cJSON_Delete(it);
}

static void parts_that_match_several_are_a_question(void **state)
{
	(void)state;
	cJSON *it = agt_test_json(items);
	size_t n;
	cJSON *m = NULL;
	/* Pending ones first: the completed cow is left out. */
	assert_null(agt_title_match(it, "milk", NULL, &n, &m));
	assert_int_equal(n, 2);
	assert_int_equal(cJSON_GetArraySize(m), 2);
	assert_string_equal(id_of(cJSON_GetArrayItem(m, 0)), "a");
	cJSON_Delete(m);
	/* Reopening wants a completed one: only the cow. */
	const cJSON *one = agt_title_match(it, "milk", "completed", &n, &m);
	assert_non_null(one);
	assert_string_equal(id_of(one), "e");
	/* Completing wants a pending one: of two "call mom", one is done. */
	one = agt_title_match(it, "call mom", "pending", &n, &m);
	assert_non_null(one);
	assert_string_equal(id_of(one), "d");
	/* Nothing matches. */
	assert_null(agt_title_match(it, "dentist", NULL, &n, &m));
	assert_int_equal(n, 0);
	assert_null(m);
	/* A status asked for that none has: none. */
	assert_null(agt_title_match(it, "party", "completed", &n, &m));
	assert_int_equal(n, 0);
	cJSON_Delete(it);
}

static void the_list_query_is_encoded(void **state)
{
	(void)state;
	cJSON *a = agt_test_json("{\"q\":\"milk & eggs\",\"tag\":[\"home\",\"a b\"],\"overdue\":true,"
				 "\"limit\":20,\"due_before\":\"2026-03-10T00:00:00-04:00\"}");
	char *q = agt_list_query(a);
	assert_string_equal(q, "?q=milk%20%26%20eggs&tag=home&tag=a%20b&overdue=true&limit=20"
			       "&due_before=2026-03-10T00%3A00%3A00-04%3A00");
	free(q);
	cJSON_Delete(a);
	a = agt_test_json("{}");
	q = agt_list_query(a);
	assert_string_equal(q, "");
	free(q);
	cJSON_Delete(a);
}

static void scopes_bound_the_tools(void **state)
{
	(void)state;
	const struct agt_catalogue *cat = agt_catalogue_builtin();
	struct svc_claims who = {.sub = "u", .typ = "access", .scope = "mcp tasks:read"};
	struct agt_tasks t = {.who = &who, .bearer = "x"};
	cJSON *args = agt_test_json("{\"title\":\"x\"}");
	cJSON *result = NULL;
	struct svc_err err = {0};
	assert_int_equal(agt_tasks_run(&t, agt_catalogue_find(cat, "add_task"), args, &result, &err),
			 SVC_EFORBIDDEN);
	assert_non_null(strstr(err.message, "tasks:write"));
	assert_null(result);
	cJSON_Delete(args);
	agt_tasks_cleanup(&t);
}

/* A fake executor: adds get ids t1, t2...; lists answer what was added. */
struct fake {
	cJSON *tasks;
	int calls;
	struct svc_buf events;
};

static enum svc_result fake_run(void *ctx, const struct agt_tool *tool, const cJSON *args,
				cJSON **result, struct svc_err *err)
{
	struct fake *f = ctx;
	f->calls++;
	if (strcmp(tool->name, "add_task") == 0) {
		cJSON *t = cJSON_Duplicate(args, true);
		char id[40];
		snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d",
			 cJSON_GetArraySize(f->tasks) + 1);
		cJSON_AddStringToObject(t, "id", id);
		cJSON_AddStringToObject(t, "status", "pending");
		cJSON_AddItemToArray(f->tasks, cJSON_Duplicate(t, true));
		*result = cJSON_CreateObject();
		cJSON_AddItemToObject(*result, "task", t);
		return SVC_OK;
	}
	if (strcmp(tool->name, "list_tasks") == 0) {
		*result = cJSON_CreateObject();
		cJSON_AddItemToObject(*result, "items", cJSON_Duplicate(f->tasks, true));
		cJSON_AddNullToObject(*result, "next_cursor");
		return SVC_OK;
	}
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(args, "task_id");
	if (strcmp(tool->name, "complete_task") == 0 && cJSON_IsString(id)) {
		const cJSON *t;
		cJSON_ArrayForEach(t, f->tasks) if (strcmp(id_of(t), id->valuestring) == 0)
		{
			*result = cJSON_CreateObject();
			cJSON *c = cJSON_Duplicate(t, true);
			cJSON_ReplaceItemInObject(c, "status", cJSON_CreateString("completed"));
			cJSON_AddItemToObject(*result, "task", c);
			return SVC_OK;
		}
	}
	return svc_err_set(err, SVC_ENOTFOUND, NULL, "no such task");
}

static void on_event(void *arg, const char *name, const cJSON *data)
{
	(void)data;
	struct fake *f = arg;
	svc_buf_printf(&f->events, "%s ", name);
}

static void turn(struct fake *f, const char *message, cJSON **context,
		 struct agt_converse_out *out)
{
	struct agt_converse_cfg cfg = {.catalogue = agt_catalogue_builtin()};
	struct agt_watch w = {on_event, f};
	struct agt_converse_in in = {
		.message = message,
		.time_zone = "Europe/Berlin",
		.context = *context,
		.executor = {fake_run, f},
		.watch = &w,
	};
	struct svc_err err = {0};
	assert_int_equal(agt_converse(&cfg, &in, out, &err), SVC_OK);
	cJSON_Delete(*context);
	*context = cJSON_Duplicate(out->context, true);
}

static void a_turn_runs_reports_and_remembers(void **state)
{
	(void)state;
	struct fake f = {.tasks = cJSON_CreateArray()};
	svc_buf_init(&f.events, 4096);
	cJSON *ctx = NULL;
	struct agt_converse_out out;
	turn(&f, "add call the dentist tomorrow at 10am, high priority", &ctx, &out);
	assert_true(out.tasks_changed);
	assert_non_null(strstr(out.reply, "Added \u201ccall the dentist\u201d"));
	assert_int_equal(cJSON_GetArraySize(out.tool_calls), 1);
	assert_string_equal(f.events.data, "tool_call tool_result delta ");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(ctx, "last"), "id")->valuestring,
			    "00000000-0000-4000-8000-000000000001");
	agt_converse_out_cleanup(&out);

	turn(&f, "show my tasks", &ctx, &out);
	assert_false(out.tasks_changed);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(ctx, "listed")), 1);
	agt_converse_out_cleanup(&out);

	turn(&f, "complete 1", &ctx, &out);
	assert_true(out.tasks_changed);
	assert_non_null(strstr(out.reply, "as done"));
	const cJSON *c = cJSON_GetArrayItem(out.tool_calls, 0);
	assert_string_equal(cJSON_GetObjectItem(c, "name")->valuestring, "complete_task");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(c, "error")));
	agt_converse_out_cleanup(&out);

	/* Not understood: nothing runs, the reply says so. */
	int before = f.calls;
	turn(&f, "buy milk", &ctx, &out);
	assert_int_equal(f.calls, before);
	assert_int_equal(cJSON_GetArraySize(out.tool_calls), 0);
	assert_non_null(strstr(out.reply, "did not understand"));
	agt_converse_out_cleanup(&out);

	cJSON_Delete(ctx);
	cJSON_Delete(f.tasks);
	svc_buf_cleanup(&f.events);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_whole_title_wins_over_parts),
		cmocka_unit_test(parts_that_match_several_are_a_question),
		cmocka_unit_test(the_list_query_is_encoded),
		cmocka_unit_test(scopes_bound_the_tools),
		cmocka_unit_test(a_turn_runs_reports_and_remembers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
