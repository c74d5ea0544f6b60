#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "svc/json.h"

static enum svc_result parse(const char *s, struct svc_err *e)
{
	cJSON *v = NULL;
	enum svc_result r = svc_json_parse_object(s, strlen(s), &v, e);
	cJSON_Delete(v);
	return r;
}

static void accepts_plain_object(void **state)
{
	(void)state;
	struct svc_err e = {0};
	assert_int_equal(parse("{\"title\":\"milk \xc3\xa9\"} \n", &e), SVC_OK);
}

static void rejects_malformed(void **state)
{
	(void)state;
	struct svc_err e = {0};
	assert_int_equal(parse("{\"title\":", &e), SVC_EINVAL);
	assert_non_null(strstr(e.message, "malformed JSON"));
	assert_int_equal(parse("{} {}", &e), SVC_EINVAL);
	assert_non_null(strstr(e.message, "unexpected data"));
	assert_int_equal(parse("[1,2]", &e), SVC_EINVAL);
	assert_non_null(strstr(e.message, "must be a JSON object"));
	assert_int_equal(parse("", &e), SVC_EINVAL);
}

static void rejects_duplicates_and_bad_utf8(void **state)
{
	(void)state;
	struct svc_err e = {0};
	assert_int_equal(parse("{\"a\":1,\"a\":2}", &e), SVC_EINVAL);
	assert_string_equal(e.field, "a");
	assert_int_equal(parse("{\"a\":\"\xc0\xaf\"}", &e), SVC_EINVAL); /* overlong */
	assert_int_equal(parse("{\"a\":\"\xed\xa0\x80\"}", &e), SVC_EINVAL); /* surrogate */
	const char nul[] = "{\"a\":\"x\0y\"}";
	cJSON *v = NULL;
	assert_int_equal(svc_json_parse(nul, sizeof nul - 1, &v, &e), SVC_EINVAL);
	assert_null(v);
}

static void rejects_deep_nesting(void **state)
{
	(void)state;
	char buf[256];
	size_t n = (size_t)snprintf(buf, sizeof buf, "{\"a\":");
	for (int i = 0; i < 40; i++)
		buf[n++] = '[';
	buf[n] = '\0';
	struct svc_err e = {0};
	assert_int_equal(parse(buf, &e), SVC_EINVAL);
	assert_non_null(strstr(e.message, "nested deeper"));
}

static void field_readers(void **state)
{
	(void)state;
	struct svc_err e = {0};
	cJSON *o = NULL;
	const char *s = "{\"title\":\"\xc3\xa9t\xc3\xa9\",\"n\":5,\"f\":1.5,\"x\":true}";
	assert_int_equal(svc_json_parse_object(s, strlen(s), &o, &e), SVC_OK);
	const char *t = NULL;
	assert_int_equal(svc_json_string(o, "title", true, 1, 3, &t, &e), SVC_OK);
	assert_string_equal(t, "\xc3\xa9t\xc3\xa9"); /* 3 code points, 5 bytes */
	assert_int_equal(svc_json_string(o, "title", true, 1, 2, &t, &e), SVC_EINVAL);
	assert_string_equal(e.field, "title");
	assert_int_equal(svc_json_string(o, "missing", true, 1, 2, &t, &e), SVC_EINVAL);
	assert_non_null(strstr(e.message, "required"));
	assert_int_equal(svc_json_string(o, "missing", false, 1, 2, &t, &e), SVC_OK);
	assert_null(t);
	assert_int_equal(svc_json_string(o, "n", true, 1, 2, &t, &e), SVC_EINVAL);
	long n = 0;
	bool present = false;
	assert_int_equal(svc_json_int(o, "n", true, 0, 10, &n, &present, &e), SVC_OK);
	assert_int_equal(n, 5);
	assert_true(present);
	assert_int_equal(svc_json_int(o, "f", true, 0, 10, &n, &present, &e), SVC_EINVAL);
	assert_int_equal(svc_json_int(o, "n", true, 6, 10, &n, &present, &e), SVC_EINVAL);
	static const char *const allowed[] = {"title", "n", "f", NULL};
	assert_int_equal(svc_json_only_keys(o, allowed, &e), SVC_EINVAL);
	assert_string_equal(e.field, "x");
	cJSON_Delete(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepts_plain_object),
		cmocka_unit_test(rejects_malformed),
		cmocka_unit_test(rejects_duplicates_and_bad_utf8),
		cmocka_unit_test(rejects_deep_nesting),
		cmocka_unit_test(field_readers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
