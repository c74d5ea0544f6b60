#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(statuses),
		cmocka_unit_test(error_body),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
