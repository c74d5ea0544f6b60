#include "testdata.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

cJSON *test_event_data(long version, const char *status, const char *remind_at,
		       const char *occurred_at)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "event_id", "e");
	cJSON_AddStringToObject(d, "user_id", "u1");
	cJSON_AddStringToObject(d, "occurred_at", occurred_at);
	cJSON *t = cJSON_AddObjectToObject(d, "task");
	cJSON_AddStringToObject(t, "id", TASK);
	cJSON_AddStringToObject(t, "user_id", "u1");
	cJSON_AddStringToObject(t, "title", "Water the plants");
	cJSON_AddStringToObject(t, "status", status);
	cJSON_AddNumberToObject(t, "version", (double)version);
	if (remind_at)
		cJSON_AddStringToObject(t, "remind_at", remind_at);
	else
		cJSON_AddNullToObject(t, "remind_at");
	return d;
}

void test_state_after(const struct rem_state *old, const char *type, long version,
		      const char *status, const char *remind_at, const char *occurred_at,
		      struct rem_state *out)
{
	cJSON *d = test_event_data(version, status, remind_at, occurred_at);
	struct rem_event e;
	struct svc_err err = {0};
	assert_int_equal(rem_event_parse(type, d, &e, &err), SVC_OK);
	struct rem_state next;
	assert_int_equal(rem_apply(old, &e, &next), REM_SAVE);
	char *text = rem_state_encode(&next);
	assert_non_null(text);
	assert_int_equal(rem_state_decode(text, strlen(text), out, &err), SVC_OK);
	free(text);
	cJSON_Delete(d);
}

long long test_ms(const char *t)
{
	long long v = 0;
	assert_int_equal(rem_time_parse_ms(t, &v), 0);
	return v;
}
