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
#include "mcp.h"

#define NOW 1772739000LL
#define USER "0b7c6f5e-2d1a-4c3b-9a8f-1e2d3c4b5a69"
#define TASK                                                                                       \
	"{\"id\":\"11111111-1111-4111-8111-111111111111\",\"user_id\":\"" USER "\","               \
	"\"title\":\"Buy milk\",\"description\":\"\",\"status\":\"pending\",\"priority\":"         \
	"\"medium\",\"tags\":[],\"due_at\":null,\"remind_at\":null,\"remind_before_minutes\":"     \
	"null,\"rrule\":null,\"series_id\":null,\"occurrence_at\":null,\"recur_from\":\"due\","    \
	"\"time_zone\":\"UTC\",\"created_at\":\"2026-03-05T19:30:00Z\",\"updated_at\":"            \
	"\"2026-03-05T19:30:00Z\",\"completed_at\":null,\"version\":1}"

static const unsigned char key[32] = "0123456789abcdef0123456789abcdef";

/* The executor the tests script: every call is counted; a title of
 * "missing" is not found, "boom" is the service's own failure. */
static int calls;

static enum svc_result run(void *ctx, const struct agt_tool *tool, const cJSON *args,
			   cJSON **result, struct svc_err *err)
{
	(void)ctx;
	calls++;
	const cJSON *title = cJSON_GetObjectItemCaseSensitive(args, "title");
	if (cJSON_IsString(title) && strcmp(title->valuestring, "missing") == 0)
		return svc_err_set(err, SVC_ENOTFOUND, "title",
				   "No task is called \u201cmissing\u201d.");
	if (cJSON_IsString(title) && strcmp(title->valuestring, "boom") == 0)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	if (tool->read_only)
		*result = agt_test_json("{\"items\":[" TASK "],\"next_cursor\":null}");
	else
		*result = agt_test_json("{\"task\":" TASK "}");
	return SVC_OK;
}

static struct agt_mcp_config config(void)
{
	struct agt_mcp_config c = {
		.session_key = key,
		.session_key_len = sizeof key,
		.session_ttl = 86400,
		.server_name = "todo-ai-agent",
		.server_version = "1.0.0",
		.catalogue = agt_catalogue_builtin(),
		.executor = {.run = run},
	};
	return c;
}

/* POSTs body in a session made for version (or none when NULL). */
static cJSON *post(const char *body, const char *version, int want_status,
		   struct agt_mcp_response *res_out)
{
	struct agt_mcp_config cfg = config();
	char sid[AGT_MCP_SESSION_MAX] = "";
	if (version)
		assert_int_equal(agt_mcp_session_new(key, sizeof key, USER, version, NOW, sid),
				 SVC_OK);
	struct agt_mcp_request req = {.method = "POST",
				      .body = body,
				      .len = strlen(body),
				      .content_type = "application/json",
				      .accept = "application/json, text/event-stream",
				      .session_id = version ? sid : NULL,
				      .user_id = USER,
				      .now = NOW + 5};
	struct agt_mcp_response res;
	agt_mcp_handle(&cfg, &req, &res);
	if (res.status != want_status)
		fail_msg("%s: status %d, want %d (%s)", body, res.status, want_status,
			 res.body ? res.body : "");
	cJSON *out = res.body ? agt_test_json(res.body) : NULL;
	if (res_out)
		*res_out = res;
	else
		free(res.body);
	return out;
}

static const cJSON *get(const cJSON *o, const char *path)
{
	char buf[128];
	snprintf(buf, sizeof buf, "%s", path);
	const cJSON *cur = o;
	for (char *p = buf, *dot; cur && p; p = dot ? dot + 1 : NULL) {
		dot = strchr(p, '.');
		if (dot)
			*dot = '\0';
		if (cJSON_IsArray(cur))
			cur = cJSON_GetArrayItem(cur, (int)strtol(p, NULL, 10));
		else
			cur = cJSON_GetObjectItemCaseSensitive(cur, p);
	}
	return cur;
}

static void expect_error(const cJSON *o, int code)
{
	const cJSON *c = get(o, "error.code");
	if (!c || c->valueint != code) {
		char *s = cJSON_PrintUnformatted(o);
		fail_msg("want error %d, got %s", code, s);
	}
}

static void sessions(void **state)
{
	(void)state;
	char sid[AGT_MCP_SESSION_MAX];
	const char *v = NULL;
	assert_int_equal(agt_mcp_session_new(key, sizeof key, USER, "2025-06-18", NOW, sid),
			 SVC_OK);
	for (const char *c = sid; *c; c++)
		assert_true(*c >= 0x21 && *c <= 0x7e);
	assert_int_equal(agt_mcp_session_check(key, sizeof key, sid, USER, NOW + 10, 3600, &v),
			 SVC_OK);
	assert_string_equal(v, "2025-06-18");
	/* Another user, too late, another key, tampered: all not found. */
	assert_int_equal(agt_mcp_session_check(key, sizeof key, sid, "someone-else", NOW, 3600, &v),
			 SVC_ENOTFOUND);
	assert_int_equal(agt_mcp_session_check(key, sizeof key, sid, USER, NOW + 3601, 3600, &v),
			 SVC_ENOTFOUND);
	const unsigned char other[32] = "another key, another deployment";
	assert_int_equal(agt_mcp_session_check(other, sizeof other, sid, USER, NOW, 3600, &v),
			 SVC_ENOTFOUND);
	sid[5] = sid[5] == 'A' ? 'B' : 'A';
	assert_int_equal(agt_mcp_session_check(key, sizeof key, sid, USER, NOW, 3600, &v),
			 SVC_ENOTFOUND);
	assert_int_equal(agt_mcp_session_check(key, sizeof key, "v1.", USER, NOW, 3600, &v),
			 SVC_ENOTFOUND);
	assert_int_equal(agt_mcp_session_check(key, sizeof key, "nonsense", USER, NOW, 3600, &v),
			 SVC_ENOTFOUND);
	assert_int_equal(agt_mcp_session_new(key, 16, USER, "2025-06-18", NOW, sid), SVC_EINVAL);
	assert_int_equal(agt_mcp_session_new(key, sizeof key, USER, "1999-01-01", NOW, sid),
			 SVC_EINVAL);
	/* Two sessions differ. */
	char a[AGT_MCP_SESSION_MAX], b[AGT_MCP_SESSION_MAX];
	agt_mcp_session_new(key, sizeof key, USER, "2025-11-25", NOW, a);
	agt_mcp_session_new(key, sizeof key, USER, "2025-11-25", NOW, b);
	assert_string_not_equal(a, b);
}

static void initialize(void **state)
{
	(void)state;
	struct agt_mcp_response res;
	const char *versions[][2] = {{"2025-11-25", "2025-11-25"},
				     {"2025-06-18", "2025-06-18"},
				     {"2025-03-26", "2025-03-26"},
				     {"2024-11-05", "2024-11-05"},
				     {"2099-01-01", "2025-11-25"}};
	for (size_t i = 0; i < 5; i++) {
		char body[512];
		snprintf(body, sizeof body,
			 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
			 "\"protocolVersion\":\"%s\",\"capabilities\":{},\"clientInfo\":{\"name\":"
			 "\"t\",\"version\":\"1\"}}}",
			 versions[i][0]);
		cJSON *o = post(body, NULL, 200, &res);
		assert_string_equal(get(o, "result.protocolVersion")->valuestring, versions[i][1]);
		assert_string_equal(get(o, "result.serverInfo.name")->valuestring, "todo-ai-agent");
		assert_non_null(get(o, "result.capabilities.tools"));
		assert_int_equal(get(o, "id")->valueint, 1);
		/* The session names the version and the user. */
		const char *v = NULL;
		assert_int_equal(agt_mcp_session_check(key, sizeof key, res.session_id, USER,
						       NOW + 5, 60, &v),
				 SVC_OK);
		assert_string_equal(v, versions[i][1]);
		free(res.body);
		cJSON_Delete(o);
	}
	cJSON *o =
		post("{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"initialize\",\"params\":{}}",
		     NULL, 200, NULL);
	expect_error(o, AGT_RPC_INVALID_PARAMS);
	assert_string_equal(get(o, "id")->valuestring, "a");
	cJSON_Delete(o);
}

static void lifecycle(void **state)
{
	(void)state;
	struct agt_mcp_response res;
	cJSON *o = post("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
			"2025-11-25", 202, &res);
	assert_null(o);
	assert_null(res.body);
	o = post("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\"}", "2025-11-25", 200, NULL);
	assert_true(cJSON_IsObject(get(o, "result")));
	assert_int_equal(cJSON_GetArraySize(get(o, "result")), 0);
	cJSON_Delete(o);
	/* A response from the client (to nothing we sent) is accepted. */
	o = post("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{}}", "2025-11-25", 202, NULL);
	assert_null(o);
	o = post("{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"resources/list\"}", "2025-11-25", 200,
		 NULL);
	expect_error(o, AGT_RPC_METHOD_NOT_FOUND);
	cJSON_Delete(o);
}

static void tools_list(void **state)
{
	(void)state;
	cJSON *o = post("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}", "2025-06-18",
			200, NULL);
	const cJSON *tools = get(o, "result.tools");
	assert_int_equal(cJSON_GetArraySize(tools), 7);
	assert_non_null(get(tools, "0.inputSchema"));
	assert_non_null(get(tools, "0.outputSchema"));
	assert_non_null(get(tools, "0.annotations"));
	cJSON_Delete(o);
	/* 2025-03-26 has no output schemas; 2024-11-05 no annotations. */
	o = post("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}", "2025-03-26", 200,
		 NULL);
	assert_null(get(o, "result.tools.0.outputSchema"));
	assert_non_null(get(o, "result.tools.0.annotations"));
	cJSON_Delete(o);
	o = post("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}", "2024-11-05", 200,
		 NULL);
	assert_null(get(o, "result.tools.0.annotations"));
	assert_non_null(get(o, "result.tools.0.inputSchema"));
	cJSON_Delete(o);
}

static void tools_call(void **state)
{
	(void)state;
	struct agt_mcp_response res;
	calls = 0;
	cJSON *o = post("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{"
			"\"name\":\"add_task\",\"arguments\":{\"title\":\"Buy milk\"}}}",
			"2025-11-25", 200, &res);
	assert_int_equal(calls, 1);
	assert_true(res.tasks_changed);
	free(res.body);
	assert_false(cJSON_IsTrue(get(o, "result.isError")));
	assert_string_equal(get(o, "result.content.0.type")->valuestring, "text");
	assert_string_equal(get(o, "result.structuredContent.task.title")->valuestring, "Buy milk");
	/* The text is the same result as JSON. */
	cJSON *text = agt_test_json(get(o, "result.content.0.text")->valuestring);
	assert_true(cJSON_Compare(text, get(o, "result.structuredContent"), true));
	cJSON_Delete(text);
	cJSON_Delete(o);

	/* Bad arguments: -32602 naming the field, nothing run. */
	o = post("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{"
		 "\"name\":\"add_task\",\"arguments\":{\"title\":\"x\",\"priority\":\"p1\"}}}",
		 "2025-11-25", 200, NULL);
	expect_error(o, AGT_RPC_INVALID_PARAMS);
	assert_string_equal(get(o, "error.data.field")->valuestring, "priority");
	assert_non_null(strstr(get(o, "error.message")->valuestring, "priority must be one of"));
	cJSON_Delete(o);
	o = post("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{"
		 "\"name\":\"complete_task\",\"arguments\":{}}}",
		 "2025-11-25", 200, NULL);
	expect_error(o, AGT_RPC_INVALID_PARAMS);
	cJSON_Delete(o);
	/* An unknown tool: an error, nothing run. */
	o = post("{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"tools/call\",\"params\":{"
		 "\"name\":\"drop_all\",\"arguments\":{}}}",
		 "2025-11-25", 200, &res);
	expect_error(o, AGT_RPC_INVALID_PARAMS);
	assert_false(res.tasks_changed);
	free(res.body);
	cJSON_Delete(o);
	assert_int_equal(calls, 1);

	/* The executor's failure is the tool's error, for the model to read. */
	o = post("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{"
		 "\"name\":\"complete_task\",\"arguments\":{\"title\":\"missing\"}}}",
		 "2025-11-25", 200, &res);
	assert_true(cJSON_IsTrue(get(o, "result.isError")));
	assert_non_null(strstr(get(o, "result.content.0.text")->valuestring, "missing"));
	assert_false(res.tasks_changed);
	free(res.body);
	cJSON_Delete(o);
	o = post("{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"tools/call\",\"params\":{"
		 "\"name\":\"complete_task\",\"arguments\":{\"title\":\"boom\"}}}",
		 "2025-11-25", 200, NULL);
	expect_error(o, AGT_RPC_INTERNAL_ERROR);
	cJSON_Delete(o);
	/* A read-only call changes nothing; 2025-03-26 has no structured result. */
	o = post("{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"tools/call\",\"params\":{"
		 "\"name\":\"list_tasks\"}}",
		 "2025-03-26", 200, &res);
	assert_false(res.tasks_changed);
	assert_null(get(o, "result.structuredContent"));
	assert_non_null(get(o, "result.content.0.text"));
	free(res.body);
	cJSON_Delete(o);
}

static void batches(void **state)
{
	(void)state;
	cJSON *o = post("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"},"
			"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"},"
			"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"nope\"},"
			"{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"initialize\",\"params\":{"
			"\"protocolVersion\":\"2025-03-26\"}},"
			"7]",
			"2025-03-26", 200, NULL);
	assert_int_equal(cJSON_GetArraySize(o), 4);
	assert_non_null(get(o, "0.result"));
	expect_error(get(o, "1"), AGT_RPC_METHOD_NOT_FOUND);
	expect_error(get(o, "2"), AGT_RPC_INVALID_REQUEST);
	expect_error(get(o, "3"), AGT_RPC_INVALID_REQUEST);
	assert_true(cJSON_IsNull(get(o, "3.id")));
	cJSON_Delete(o);
	o = post("[{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}]", "2025-03-26",
		 202, NULL);
	assert_null(o);
	o = post("[]", "2025-03-26", 400, NULL);
	expect_error(o, AGT_RPC_INVALID_REQUEST);
	cJSON_Delete(o);
}

static void transport_errors(void **state)
{
	(void)state;
	cJSON *o = post("{\"jsonrpc\":\"2.0\",\"id\":1,", "2025-11-25", 400, NULL);
	expect_error(o, AGT_RPC_PARSE_ERROR);
	assert_true(cJSON_IsNull(get(o, "id")));
	cJSON_Delete(o);
	o = post("{\"id\":1,\"method\":\"ping\"}", "2025-11-25", 400, NULL);
	expect_error(o, AGT_RPC_INVALID_REQUEST);
	cJSON_Delete(o);
	o = post("{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"ping\"}", "2025-11-25", 400, NULL);
	expect_error(o, AGT_RPC_INVALID_REQUEST);
	cJSON_Delete(o);
	/* An id no integer holds (found by fuzz_agt_mcp). */
	o = post("{\"jsonrpc\":\"2.0\",\"id\":1e300,\"method\":\"ping\"}", "2025-11-25", 400, NULL);
	expect_error(o, AGT_RPC_INVALID_REQUEST);
	cJSON_Delete(o);
	/* No session: 400; a session that is not valid: 404. */
	o = post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}", NULL, 400, NULL);
	expect_error(o, AGT_RPC_INVALID_REQUEST);
	cJSON_Delete(o);

	struct agt_mcp_config cfg = config();
	struct agt_mcp_response res;
	const char *body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}";
	char sid[AGT_MCP_SESSION_MAX];
	agt_mcp_session_new(key, sizeof key, "another-user", "2025-11-25", NOW, sid);
	struct agt_mcp_request req = {.method = "POST",
				      .body = body,
				      .len = strlen(body),
				      .session_id = sid,
				      .user_id = USER,
				      .now = NOW};
	agt_mcp_handle(&cfg, &req, &res);
	assert_int_equal(res.status, 404);
	free(res.body);
	/* A protocol version nobody speaks: 400 before anything else. */
	agt_mcp_session_new(key, sizeof key, USER, "2025-11-25", NOW, sid);
	req.protocol_version = "2026-07-28";
	agt_mcp_handle(&cfg, &req, &res);
	assert_int_equal(res.status, 400);
	o = agt_test_json(res.body);
	expect_error(o, AGT_RPC_INVALID_REQUEST);
	assert_non_null(strstr(get(o, "error.message")->valuestring, "2025-11-25"));
	cJSON_Delete(o);
	free(res.body);
	/* A header that is not text is not quoted back (the body stays UTF-8). */
	req.protocol_version = "\xea\xea"
			       "2025-11-25";
	agt_mcp_handle(&cfg, &req, &res);
	assert_int_equal(res.status, 400);
	o = agt_test_json(res.body);
	assert_null(strstr(get(o, "error.message")->valuestring, "\xea"));
	cJSON_Delete(o);
	free(res.body);
	req.protocol_version = "2025-11-25";
	req.content_type = "text/plain";
	agt_mcp_handle(&cfg, &req, &res);
	assert_int_equal(res.status, 415);
	free(res.body);
	req.content_type = "application/json; charset=utf-8";
	req.accept = "text/html";
	agt_mcp_handle(&cfg, &req, &res);
	assert_int_equal(res.status, 406);
	free(res.body);
	req.accept = "*/*";
	agt_mcp_handle(&cfg, &req, &res);
	assert_int_equal(res.status, 200);
	free(res.body);
	req.method = "GET";
	agt_mcp_handle(&cfg, &req, &res);
	assert_int_equal(res.status, 405);
	assert_string_equal(res.allow, "POST");
	assert_null(res.body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sessions),         cmocka_unit_test(initialize),
		cmocka_unit_test(lifecycle),        cmocka_unit_test(tools_list),
		cmocka_unit_test(tools_call),       cmocka_unit_test(batches),
		cmocka_unit_test(transport_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
