#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "svc/json.h"
#include "task.h"

static enum svc_result check(const char *body, struct tsk_new *out, struct svc_err *e)
{
	cJSON *o = NULL;
	assert_int_equal(svc_json_parse_object(body, strlen(body), &o, e), SVC_OK);
	enum svc_result r = tsk_validate_new(o, out, e);
	cJSON_Delete(o);
	return r;
}

static void title_only(void **state)
{
	(void)state;
	struct tsk_new in;
	struct svc_err e = {0};
	cJSON *o = cJSON_Parse("{\"title\":\"Buy milk\"}");
	assert_int_equal(tsk_validate_new(o, &in, &e), SVC_OK);
	assert_string_equal(in.title, "Buy milk");
	assert_string_equal(in.description, "");
	assert_string_equal(in.priority, "medium");
	cJSON_Delete(o);
}

static void bad_inputs(void **state)
{
	(void)state;
	struct tsk_new in;
	struct svc_err e = {0};
	assert_int_equal(check("{}", &in, &e), SVC_EINVAL);
	assert_string_equal(e.field, "title");
	assert_int_equal(check("{\"title\":\"\"}", &in, &e), SVC_EINVAL);
	assert_int_equal(check("{\"title\":\"   \"}", &in, &e), SVC_EINVAL);
	assert_int_equal(check("{\"title\":42}", &in, &e), SVC_EINVAL);
	assert_int_equal(check("{\"title\":\"x\",\"owner\":\"me\"}", &in, &e), SVC_EINVAL);
	assert_string_equal(e.field, "owner");
	assert_int_equal(check("{\"title\":\"x\",\"priority\":\"urgent\"}", &in, &e), SVC_EINVAL);
	assert_string_equal(e.field, "priority");

	char big[600];
	memset(big, 'a', sizeof big);
	big[sizeof big - 1] = '\0';
	char body[700];
	snprintf(body, sizeof body, "{\"title\":\"%s\"}", big);
	assert_int_equal(check(body, &in, &e), SVC_EINVAL);
	assert_string_equal(e.field, "title");
}

static void limits_count_characters(void **state)
{
	(void)state;
	/* 500 two-byte characters is a valid 500-character title. */
	char body[1100];
	size_t n = (size_t)snprintf(body, sizeof body, "{\"title\":\"");
	for (int i = 0; i < 500; i++) {
		body[n++] = '\xc3';
		body[n++] = '\xa9';
	}
	snprintf(body + n, sizeof body - n, "\"}");
	struct tsk_new in;
	struct svc_err e = {0};
	assert_int_equal(check(body, &in, &e), SVC_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(title_only),
		cmocka_unit_test(bad_inputs),
		cmocka_unit_test(limits_count_characters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
