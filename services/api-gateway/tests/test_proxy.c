#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proxy.h"

static void forwards_only_known_headers(void **state)
{
	(void)state;
	assert_true(gw_forward_request_header("authorization"));
	assert_true(gw_forward_request_header("Content-Type"));
	assert_true(gw_forward_request_header("traceparent"));
	assert_true(gw_forward_request_header("If-Match"));
	/* Hop-by-hop and sidecar headers stay behind. */
	assert_false(gw_forward_request_header("Connection"));
	assert_false(gw_forward_request_header("Host"));
	assert_false(gw_forward_request_header("dapr-api-token"));
	assert_false(gw_forward_request_header("Content-Length"));
}

static void recognises_our_error_bodies(void **state)
{
	(void)state;
	const char *ours = "{\"error\":{\"code\":\"not_found\",\"message\":\"x\"}}";
	const char *dapr = "{\"errorCode\":\"ERR_DIRECT_INVOKE\",\"message\":\"x\"}";
	assert_true(gw_is_error_body(ours, strlen(ours)));
	assert_false(gw_is_error_body(dapr, strlen(dapr)));
	assert_false(gw_is_error_body("", 0));
	assert_false(gw_is_error_body("<html>", 6));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(forwards_only_known_headers),
		cmocka_unit_test(recognises_our_error_bodies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
