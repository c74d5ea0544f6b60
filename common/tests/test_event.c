#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "svc/event.h"

static void build_then_parse(void **state)
{
	(void)state;
	cJSON *task = cJSON_CreateObject();
	cJSON_AddStringToObject(task, "id", "t1");
	cJSON *ce = svc_event_build("e1", "task-created", "task-service", "t1", "u1",
				    "2026-01-01T00:00:00.000Z", "task", task, NULL);
	char *s = cJSON_PrintUnformatted(ce);
	cJSON_Delete(ce);
	struct svc_event ev;
	struct svc_err e = {0};
	assert_int_equal(svc_event_parse(s, strlen(s), &ev, &e), SVC_OK);
	assert_string_equal(ev.id, "e1");
	assert_string_equal(ev.type, "task-created");
	assert_string_equal(ev.user_id, "u1");
	const cJSON *t = cJSON_GetObjectItem(ev.data, "task");
	assert_string_equal(cJSON_GetObjectItem(t, "id")->valuestring, "t1");
	assert_int_equal(cJSON_GetObjectItem(ev.data, "schema_version")->valueint, 1);
	svc_event_cleanup(&ev);
	free(s);
}

static void refuses_foreign_events(void **state)
{
	(void)state;
	struct svc_event ev;
	struct svc_err e = {0};
	const char *cases[] = {
		"{\"specversion\":\"0.3\",\"id\":\"a\",\"type\":\"t\",\"source\":\"s\",\"data\":{\"event_id\":\"a\"}}",
		"{\"specversion\":\"1.0\",\"type\":\"t\",\"source\":\"s\",\"data\":{}}",
		"{\"specversion\":\"1.0\",\"id\":\"a\",\"type\":\"t\",\"source\":\"s\",\"data\":\"x\"}",
		"{\"specversion\":\"1.0\",\"id\":\"a\",\"type\":\"t\",\"source\":\"s\",\"data\":{\"event_id\":\"b\"}}",
		"not json",
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(svc_event_parse(cases[i], strlen(cases[i]), &ev, &e), SVC_EINVAL);
		assert_null(ev.root);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(build_then_parse),
		cmocka_unit_test(refuses_foreign_events),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
