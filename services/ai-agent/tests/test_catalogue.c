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
#include "schema.h"
#include "svc/json.h"

static cJSON *parse(const char *s)
{
	return agt_test_json(s);
}

static const struct agt_tool *tool(const char *name)
{
	const struct agt_catalogue *cat = agt_catalogue_builtin();
	assert_non_null(cat);
	const struct agt_tool *t = agt_catalogue_find(cat, name);
	if (!t)
		fail_msg("no tool %s", name);
	return t;
}

static void builtin_has_the_agreed_tools(void **state)
{
	(void)state;
	const struct agt_catalogue *cat = agt_catalogue_builtin();
	assert_non_null(cat);
	const char *names[] = {"add_task",      "list_tasks",  "update_task", "delete_task",
			       "complete_task", "reopen_task", "search_tasks"};
	assert_int_equal(agt_catalogue_count(cat), 7);
	for (size_t i = 0; i < 7; i++) {
		const struct agt_tool *t = tool(names[i]);
		struct svc_err e = {0};
		assert_int_equal(agt_schema_check(t->arguments, &e), SVC_OK);
		assert_int_equal(agt_schema_check(t->result, &e), SVC_OK);
	}
	assert_true(tool("list_tasks")->read_only);
	assert_true(tool("search_tasks")->read_only);
	assert_false(tool("add_task")->read_only);
	assert_true(tool("complete_task")->takes_reference);
	assert_false(tool("add_task")->takes_reference);
	assert_null(agt_catalogue_find(cat, "drop_table"));
	/* The same pointer every time: parsed once. */
	assert_ptr_equal(cat, agt_catalogue_builtin());
}

/* The names under TaskChanges' properties in proto/openapi.yaml, read as
 * text: the schema block's keys at eight spaces of indent. */
static size_t openapi_create_fields(char names[][64], size_t max)
{
	FILE *f = fopen(OPENAPI_YAML, "r");
	if (!f)
		fail_msg("cannot read %s", OPENAPI_YAML);
	char line[512];
	size_t n = 0;
	int stage = 0; /* 0: before TaskChanges, 1: in it, 2: in its properties */
	while (fgets(line, sizeof line, f)) {
		if (stage == 0 && strcmp(line, "    TaskChanges:\n") == 0) {
			stage = 1;
		} else if (stage == 1 && strcmp(line, "      properties:\n") == 0) {
			stage = 2;
		} else if (stage == 2) {
			if (strncmp(line, "      ", 6) != 0 || line[6] != ' ')
				break;
			if (strncmp(line, "        ", 8) == 0 && line[8] != ' ' && n < max) {
				size_t k = strcspn(line + 8, ":");
				snprintf(names[n++], 64, "%.*s", (int)k, line + 8);
			}
		}
	}
	fclose(f);
	return n;
}

static void add_task_takes_exactly_the_create_fields(void **state)
{
	(void)state;
	char names[32][64];
	size_t n = openapi_create_fields(names, 32);
	assert_int_equal(n, 10);
	const cJSON *props =
		cJSON_GetObjectItemCaseSensitive(tool("add_task")->arguments, "properties");
	assert_int_equal(cJSON_GetArraySize(props), (int)n);
	for (size_t i = 0; i < n; i++)
		if (!cJSON_GetObjectItemCaseSensitive(props, names[i]))
			fail_msg("add_task lacks %s", names[i]);
	/* And update_task's changes are the same fields. */
	const cJSON *changes = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(tool("update_task")->arguments, "properties"),
		"changes");
	const cJSON *cprops = cJSON_GetObjectItemCaseSensitive(changes, "properties");
	assert_int_equal(cJSON_GetArraySize(cprops), (int)n);
	for (size_t i = 0; i < n; i++)
		assert_non_null(cJSON_GetObjectItemCaseSensitive(cprops, names[i]));
}

static void check(const char *name, const char *args, const char *want_field)
{
	cJSON *a = parse(args);
	struct svc_err e = {0};
	enum svc_result r = agt_tool_check_args(tool(name), a, &e);
	if (!want_field && r != SVC_OK)
		fail_msg("%s %s: %s", name, args, e.message);
	if (want_field && (r != SVC_EINVAL || strcmp(e.field, want_field) != 0))
		fail_msg("%s %s: got %d on \"%s\" (%s), want an error on %s", name, args, r,
			 e.field, e.message, want_field);
	cJSON_Delete(a);
}

static void arguments(void **state)
{
	(void)state;
	check("add_task",
	      "{\"title\":\"Call the dentist\",\"priority\":\"high\",\"due_at\":"
	      "\"2026-03-10T10:00:00-04:00\",\"remind_before_minutes\":60,\"tags\":[\"health\"]}",
	      NULL);
	check("add_task", "{\"title\":\"x\",\"rrule\":\"FREQ=DAILY\",\"time_zone\":\"UTC\"}", NULL);
	check("add_task", "{}", "title");
	check("add_task", "{\"title\":\"x\",\"due\":\"tomorrow\"}", "due");
	check("add_task", "{\"title\":\"x\",\"priority\":\"p1\"}", "priority");
	check("add_task", "{\"title\":\"x\",\"remind_before_minutes\":525601}",
	      "remind_before_minutes");
	check("list_tasks", "{}", NULL);
	check("list_tasks",
	      "{\"status\":\"pending\",\"tag\":[\"home\"],\"due_before\":\"2026-03-09T00:00:00-04:"
	      "00\","
	      "\"sort\":\"due_at\",\"limit\":20}",
	      NULL);
	check("list_tasks", "{\"limit\":0}", "limit");
	check("list_tasks", "{\"sort\":\"due\"}", "sort");
	check("search_tasks", "{}", "q");
	check("search_tasks", "{\"q\":\"milk\"}", NULL);
	check("complete_task", "{\"task_id\":\"0b7c6f5e-2d1a-4c3b-9a8f-1e2d3c4b5a69\"}", NULL);
	check("complete_task", "{\"title\":\"groceries\"}", NULL);
	check("complete_task", "{}", "task_id");
	check("complete_task",
	      "{\"title\":\"x\",\"task_id\":\"0b7c6f5e-2d1a-4c3b-9a8f-1e2d3c4b5a69\"}", "task_id");
	check("complete_task", "{\"task_id\":5}", "task_id");
	check("delete_task", "{\"title\":\"groceries\",\"end_series\":true}", NULL);
	check("update_task", "{\"title\":\"x\",\"changes\":{\"title\":\"y\"}}", NULL);
	check("update_task", "{\"title\":\"x\",\"add_tags\":[\"home\"]}", NULL);
	check("update_task", "{\"title\":\"x\"}", "changes");
	check("update_task", "{\"title\":\"x\",\"changes\":{}}", "changes");
	check("update_task", "{\"title\":\"x\",\"changes\":{\"priority\":null}}",
	      "changes.priority");
	check("update_task", "{\"title\":\"x\",\"changes\":{\"tags\":[]},\"add_tags\":[\"a\"]}",
	      "changes.tags");
}

static const char *const task_json =
	"{\"id\":\"0b7c6f5e-2d1a-4c3b-9a8f-1e2d3c4b5a69\",\"user_id\":\"u1\",\"title\":\"Call\","
	"\"description\":\"\",\"status\":\"pending\",\"priority\":\"high\",\"tags\":[],"
	"\"due_at\":\"2026-03-10T14:00:00Z\",\"remind_at\":\"2026-03-10T13:00:00Z\","
	"\"remind_before_minutes\":60,\"rrule\":null,\"series_id\":null,\"occurrence_at\":null,"
	"\"recur_from\":\"due\",\"time_zone\":\"UTC\",\"created_at\":\"2026-03-05T19:30:00Z\","
	"\"updated_at\":\"2026-03-05T19:30:00Z\",\"completed_at\":null,\"version\":1}";

static void results(void **state)
{
	(void)state;
	char buf[2048];
	struct svc_err e = {0};
	snprintf(buf, sizeof buf, "{\"task\":%s}", task_json);
	cJSON *r = parse(buf);
	assert_int_equal(agt_tool_check_result(tool("add_task"), r, &e), SVC_OK);
	cJSON_Delete(r);
	snprintf(buf, sizeof buf, "{\"items\":[%s],\"next_cursor\":null}", task_json);
	r = parse(buf);
	assert_int_equal(agt_tool_check_result(tool("list_tasks"), r, &e), SVC_OK);
	cJSON_Delete(r);
	snprintf(buf, sizeof buf, "{\"deleted\":true,\"task\":%s}", task_json);
	r = parse(buf);
	assert_int_equal(agt_tool_check_result(tool("delete_task"), r, &e), SVC_OK);
	cJSON_Delete(r);
	r = parse("{\"task\":{\"id\":\"x\"}}");
	assert_int_equal(agt_tool_check_result(tool("complete_task"), r, &e), SVC_EINVAL);
	cJSON_Delete(r);
}

static void mcp_and_openai_shapes(void **state)
{
	(void)state;
	const struct agt_catalogue *cat = agt_catalogue_builtin();
	cJSON *mcp = agt_catalogue_mcp_tools(cat);
	assert_int_equal(cJSON_GetArraySize(mcp), 7);
	const cJSON *t;
	cJSON_ArrayForEach(t, mcp)
	{
		assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(t, "name")));
		assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(t, "description")));
		const cJSON *in = cJSON_GetObjectItemCaseSensitive(t, "inputSchema");
		const cJSON *out = cJSON_GetObjectItemCaseSensitive(t, "outputSchema");
		assert_string_equal(cJSON_GetObjectItemCaseSensitive(in, "type")->valuestring,
				    "object");
		assert_string_equal(cJSON_GetObjectItemCaseSensitive(out, "type")->valuestring,
				    "object");
	}
	/* Self-contained: no $ref survives expansion. */
	char *text = cJSON_PrintUnformatted(mcp);
	assert_null(strstr(text, "$ref"));
	free(text);
	cJSON_Delete(mcp);

	cJSON *oa = agt_catalogue_openai_tools(cat);
	assert_int_equal(cJSON_GetArraySize(oa), 7);
	cJSON_ArrayForEach(t, oa)
	{
		assert_string_equal(cJSON_GetObjectItemCaseSensitive(t, "type")->valuestring,
				    "function");
		const cJSON *fn = cJSON_GetObjectItemCaseSensitive(t, "function");
		assert_non_null(cJSON_GetObjectItemCaseSensitive(fn, "parameters"));
	}
	cJSON_Delete(oa);
}

static void bad_documents(void **state)
{
	(void)state;
	const char *bad[] = {
		"{}",
		"{\"tools\":[{\"name\":\"x\",\"description\":\"d\",\"annotations\":{},"
		"\"arguments\":{\"$ref\":\"#/definitions/"
		"Nope\"},\"result\":{\"type\":\"object\"}}]}",
		"{\"definitions\":{\"A\":{\"$ref\":\"#/definitions/"
		"A\"}},\"tools\":[{\"name\":\"x\","
		"\"description\":\"d\",\"annotations\":{},\"arguments\":{\"$ref\":\"#/definitions/"
		"A\"},"
		"\"result\":{\"type\":\"object\"}}]}",
		"{\"tools\":[{\"name\":\"x\",\"description\":\"d\",\"annotations\":{},"
		"\"arguments\":{\"type\":\"object\",\"anyOf\":[]},\"result\":{\"type\":\"object\"}}"
		"]}",
		"{\"tools\":[{\"name\":\"x\",\"description\":\"d\",\"annotations\":{},"
		"\"arguments\":{\"type\":\"string\"},\"result\":{\"type\":\"object\"}}]}",
		"{\"tools\":[{\"name\":\"x\",\"description\":\"d\",\"annotations\":{},"
		"\"arguments\":{\"type\":\"object\"},\"result\":{\"type\":\"object\"}},{\"name\":"
		"\"x\","
		"\"description\":\"d\",\"annotations\":{},\"arguments\":{\"type\":\"object\"},"
		"\"result\":{\"type\":\"object\"}}]}",
		NULL,
	};
	for (size_t i = 0; bad[i]; i++) {
		struct agt_catalogue *cat = NULL;
		struct svc_err e = {0};
		if (agt_catalogue_parse(bad[i], strlen(bad[i]), &cat, &e) != SVC_EINVAL)
			fail_msg("document %zu was accepted", i);
		assert_null(cat);
	}
	/* A description beside a $ref overrides the definition's. */
	const char *ok = "{\"definitions\":{\"P\":{\"type\":\"string\",\"description\":\"old\"}},"
			 "\"tools\":[{\"name\":\"x\",\"description\":\"d\",\"annotations\":{},"
			 "\"arguments\":{\"type\":\"object\",\"properties\":{\"p\":{\"$ref\":"
			 "\"#/definitions/P\",\"description\":\"new\"}}},\"result\":{\"type\":"
			 "\"object\"}}]}";
	struct agt_catalogue *cat = NULL;
	struct svc_err e = {0};
	assert_int_equal(agt_catalogue_parse(ok, strlen(ok), &cat, &e), SVC_OK);
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(agt_catalogue_tool(cat, 0)->arguments,
						 "properties"),
		"p");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(p, "description")->valuestring, "new");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(p, "type")->valuestring, "string");
	agt_catalogue_free(cat);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(builtin_has_the_agreed_tools),
		cmocka_unit_test(add_task_takes_exactly_the_create_fields),
		cmocka_unit_test(arguments),
		cmocka_unit_test(results),
		cmocka_unit_test(mcp_and_openai_shapes),
		cmocka_unit_test(bad_documents),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
