#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cjson/cJSON.h>

#include "svc/result.h"

static void statuses(void **state)
{
	(void)state;
	assert_int_equal(svc_result_http_status(SVC_OK), 200);
	assert_int_equal(svc_result_http_status(SVC_EINVAL), 400);
	assert_int_equal(svc_result_http_status(SVC_EAUTH), 401);
	assert_int_equal(svc_result_http_status(SVC_ENOTFOUND), 404);
	assert_int_equal(svc_result_http_status(SVC_ECONFLICT), 409);
	assert_int_equal(svc_result_http_status(SVC_EPRECOND), 412);
	assert_int_equal(svc_result_http_status(SVC_ETOOBIG), 413);
	assert_int_equal(svc_result_http_status(SVC_EMEDIA), 415);
	assert_int_equal(svc_result_http_status(SVC_EUNPROCESSABLE), 422);
	assert_int_equal(svc_result_http_status(SVC_ELIMIT), 429);
	assert_int_equal(svc_result_http_status(SVC_EUNAVAIL), 503);
	assert_int_equal(svc_result_http_status((enum svc_result)-999), 500);
}

static void error_body(void **state)
{
	(void)state;
	struct svc_err e = {0};
	assert_int_equal(svc_err_set(&e, SVC_EINVAL, "title", "title is %s", "required"),
			 SVC_EINVAL);
	char *s = svc_err_body(&e);
	assert_string_equal(s, "{\"error\":{\"code\":\"invalid_argument\","
			       "\"message\":\"title is required\",\"field\":\"title\"}}");
	free(s);
	svc_err_set(&e, SVC_ENOTFOUND, NULL, "task not found");
	s = svc_err_body(&e);
	assert_string_equal(s, "{\"error\":{\"code\":\"not_found\",\"message\":\"task not found\"}}");
	free(s);
}

/* Fields and messages quote client input: bad bytes, or a long name cut
 * inside a character, must not make the error body invalid JSON text.
 * Found by the fuzz targets (a query parameter named "\xf8ag"; a body key
 * with a two-byte character across the 64th byte). */
static void error_body_stays_utf8(void **state)
{
	(void)state;
	struct svc_err e = {0};
	svc_err_set(&e, SVC_EINVAL, "\xf8" "ag", "unknown query parameter '%s'", "\xf8" "ag");
	assert_string_equal(e.field, "?ag");
	assert_string_equal(e.message, "unknown query parameter '?ag'");
	char key[80];
	memset(key, 'x', 62);
	memcpy(key + 62, "\xc3\xa9\xc3\xa9", 5);
	svc_err_set(&e, SVC_EINVAL, key, "unknown field \"%s\"", key);
	assert_int_equal(strlen(e.field), 63);
	assert_int_equal(e.field[62], '?');
	char *s = svc_err_body(&e);
	cJSON *v = cJSON_Parse(s);
	assert_non_null(v);
	const cJSON *field = cJSON_GetObjectItem(cJSON_GetObjectItem(v, "error"), "field");
	assert_string_equal(field->valuestring, e.field);
	cJSON_Delete(v);
	free(s);
	/* Whole characters pass untouched. */
	svc_err_set(&e, SVC_EINVAL, "t\xc3\xadtulo", "%s \xf0\x9f\x8c\xb1", "caf\xc3\xa9");
	assert_string_equal(e.field, "t\xc3\xadtulo");
	assert_string_equal(e.message, "caf\xc3\xa9 \xf0\x9f\x8c\xb1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(statuses),
		cmocka_unit_test(error_body),
		cmocka_unit_test(error_body_stays_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
