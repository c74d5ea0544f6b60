#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agt_test.h"
#include "chat.h"
#include "svc/util.h"

static void chat_ok(const char *body, const char *message, const char *id, const char *zone)
{
	struct agt_chat_request req;
	struct svc_err err = {0};
	if (agt_chat_request_read(body, strlen(body), &req, &err) != SVC_OK)
		fail_msg("%s: %s", body, err.message);
	assert_string_equal(req.message, message);
	if (id)
		assert_string_equal(req.conversation_id, id);
	else
		assert_null(req.conversation_id);
	if (zone)
		assert_string_equal(req.time_zone, zone);
	else
		assert_null(req.time_zone);
	agt_chat_request_cleanup(&req);
}

static void chat_bad(const char *body, const char *field)
{
	struct agt_chat_request req;
	struct svc_err err = {0};
	if (agt_chat_request_read(body, strlen(body), &req, &err) != SVC_EINVAL)
		fail_msg("%s was accepted", body);
	if (strcmp(err.field, field) != 0)
		fail_msg("%s: field %s, want %s (%s)", body, err.field, field, err.message);
	agt_chat_request_cleanup(&req);
}

static void chat_bodies(void **state)
{
	(void)state;
	chat_ok("{\"message\":\"show my tasks\"}", "show my tasks", NULL, NULL);
	chat_ok("{\"conversation_id\":\"0b7c6f5e-2d1a-4c3b-9a8f-1e2d3c4b5a69\",\"message\":\"hi\","
		"\"time_zone\":\"Europe/Berlin\"}",
		"hi", "0b7c6f5e-2d1a-4c3b-9a8f-1e2d3c4b5a69", "Europe/Berlin");
	chat_ok("{\"conversation_id\":null,\"message\":\"hi\",\"time_zone\":null}", "hi", NULL,
		NULL);
	chat_bad("{}", "message");
	chat_bad("{\"message\":\"\"}", "message");
	chat_bad("{\"message\":\"   \"}", "message");
	chat_bad("{\"message\":7}", "message");
	chat_bad("{\"message\":\"hi\",\"extra\":1}", "extra");
	chat_bad("{\"message\":\"hi\",\"conversation_id\":\"42\"}", "conversation_id");
	chat_bad("{\"message\":\"hi\",\"time_zone\":\"Mars/Base\"}", "time_zone");
	chat_bad("{\"message\":\"hi\",\"message\":\"again\"}", "message");
	chat_bad("[\"hi\"]", "");
	chat_bad("{\"message\":\"hi\"} trailing", "");
	/* 4000 characters (two bytes each) pass; 4001 do not. */
	char *big = malloc(8100);
	size_t o = (size_t)snprintf(big, 8100, "{\"message\":\"");
	for (int i = 0; i < 4000; i++) {
		big[o++] = '\xc3';
		big[o++] = '\xa9';
	}
	snprintf(big + o, 8100 - o, "\"}");
	struct agt_chat_request req;
	struct svc_err err = {0};
	assert_int_equal(agt_chat_request_read(big, strlen(big), &req, &err), SVC_OK);
	agt_chat_request_cleanup(&req);
	memmove(big + o + 2, big + o, 3);
	big[o] = '\xc3';
	big[o + 1] = '\xa9';
	assert_int_equal(agt_chat_request_read(big, strlen(big), &req, &err), SVC_EINVAL);
	assert_string_equal(err.field, "message");
	agt_chat_request_cleanup(&req);
	free(big);
}

static void parse_bodies_and_answers(void **state)
{
	(void)state;
	struct agt_chat_request req;
	struct svc_err err = {0};
	const char *body = "{\"text\":\"add buy milk tomorrow 5pm\",\"time_zone\":\"UTC\"}";
	assert_int_equal(agt_parse_request_read(body, strlen(body), &req, &err), SVC_OK);
	long long now = 0;
	svc_time_parse_rfc3339("2026-03-05T12:00:00Z", &now);
	struct agt_plan_context ctx = {.now = now, .time_zone = req.time_zone};
	struct agt_plan plan;
	assert_int_equal(agt_plan_make(req.message, &ctx, &plan, &err), SVC_OK);
	cJSON *answer = agt_parse_answer(&plan);
	cJSON *want = agt_test_json(
		"{\"understood\":true,\"tool\":\"add_task\",\"arguments\":{\"title\":\"buy milk\","
		"\"due_at\":\"2026-03-06T17:00:00Z\"},\"reply\":\"I'll add \\u201cbuy milk\\u201d, "
		"due tomorrow at 17:00.\"}");
	if (!cJSON_Compare(answer, want, true))
		fail_msg("got %s", cJSON_PrintUnformatted(answer));
	cJSON_Delete(want);
	cJSON_Delete(answer);
	agt_plan_cleanup(&plan);
	agt_chat_request_cleanup(&req);

	/* Not understood: tool and arguments are null. */
	struct agt_plan_context plain = {.now = now};
	assert_int_equal(agt_plan_make("frobnicate", &plain, &plan, &err), SVC_OK);
	answer = agt_parse_answer(&plan);
	assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(answer, "understood")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(answer, "tool")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(answer, "arguments")));
	assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(answer, "reply")));
	cJSON_Delete(answer);
	agt_plan_cleanup(&plan);

	body = "{\"message\":\"add milk\"}";
	assert_int_equal(agt_parse_request_read(body, strlen(body), &req, &err), SVC_EINVAL);
	assert_string_equal(err.field, "message");
	agt_chat_request_cleanup(&req);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(chat_bodies),
		cmocka_unit_test(parse_bodies_and_answers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
