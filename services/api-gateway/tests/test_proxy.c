#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(forwards_only_known_headers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
