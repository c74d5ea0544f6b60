/* The proxy's rules: headers each way, path ids, the path sent upstream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proxy.h"
#include "svc/result.h"

static void forwards_only_known_headers(void **state)
{
	(void)state;
	assert_true(gw_forward_request_header("authorization"));
	assert_true(gw_forward_request_header("Content-Type"));
	assert_true(gw_forward_request_header("traceparent"));
	assert_true(gw_forward_request_header("If-Match"));
	/* Hop-by-hop and sidecar headers stay behind, and the request id is
	 * the gateway's own. */
	assert_false(gw_forward_request_header("Connection"));
	assert_false(gw_forward_request_header("Host"));
	assert_false(gw_forward_request_header("dapr-api-token"));
	assert_false(gw_forward_request_header("Content-Length"));
	assert_false(gw_forward_request_header("X-Request-Id"));
}

static void returns_only_known_headers(void **state)
{
	(void)state;
	assert_string_equal(gw_forward_response_header("Etag"), "ETag");
	assert_string_equal(gw_forward_response_header("content-length"), "Content-Length");
	assert_string_equal(gw_forward_response_header("Retry-After"), "Retry-After");
	assert_null(gw_forward_response_header("Transfer-Encoding"));
	assert_null(gw_forward_response_header("Connection"));
	assert_null(gw_forward_response_header("X-Request-Id"));
	assert_null(gw_forward_response_header("Set-Cookie"));
}

static void recognises_our_error_bodies(void **state)
{
	(void)state;
	const char *ours = "{\"error\":{\"code\":\"not_found\",\"message\":\"x\",\"field\":\"f\"}}";
	const char *dapr = "{\"errorCode\":\"ERR_DIRECT_INVOKE\",\"message\":\"x\"}";
	struct svc_err e = {0};
	assert_true(svc_err_parse(ours, strlen(ours), &e));
	assert_string_equal(e.message, "x");
	assert_string_equal(e.field, "f");
	assert_false(svc_err_parse(dapr, strlen(dapr), NULL));
	assert_false(svc_err_parse("", 0, NULL));
	assert_false(svc_err_parse("<html>", 6, NULL));
}

static void ids_are_checked_before_they_travel(void **state)
{
	(void)state;
	assert_true(gw_id_valid(GW_ID_UUID, "0b6b7c3e-8a9c-4e1f-9d2a-3b4c5d6e7f80"));
	assert_false(gw_id_valid(GW_ID_UUID, "?limit=1"));
	assert_false(gw_id_valid(GW_ID_UUID, "0b6b7c3e-8a9c-4e1f-9d2a-3b4c5d6e7f80 "));
	assert_false(gw_id_valid(GW_ID_UUID, "x%"));
	assert_false(gw_id_valid(GW_ID_UUID, "a\r\nb"));
	assert_true(gw_id_valid(GW_ID_NUMBER, "1"));
	assert_true(gw_id_valid(GW_ID_NUMBER, "9007199254740992"));
	assert_false(gw_id_valid(GW_ID_NUMBER, "9007199254740993"));
	assert_false(gw_id_valid(GW_ID_NUMBER, "0"));
	assert_false(gw_id_valid(GW_ID_NUMBER, "01"));
	assert_false(gw_id_valid(GW_ID_NUMBER, "+1"));
	assert_false(gw_id_valid(GW_ID_NUMBER, ""));
	assert_true(gw_id_valid(GW_ID_NONE, "anything"));
}

static void the_query_is_encoded_again(void **state)
{
	(void)state;
	struct svc_kv q[] = {{"q", "milk & eggs"}, {"tag", "a=b"}, {"x", "\r\n"}};
	struct svc_req req = {.path = "/api/tasks", .query = q, .nquery = 3};
	struct svc_buf b;
	svc_buf_init(&b, 4096);
	assert_int_equal(gw_upstream_path(&req, &b), 0);
	assert_string_equal(b.data, "/api/tasks?q=milk%20%26%20eggs&tag=a%3Db&x=%0D%0A");
	svc_buf_cleanup(&b);
	svc_buf_init(&b, 12);
	assert_int_equal(gw_upstream_path(&req, &b), -1);
	svc_buf_cleanup(&b);
}

static void a_stream_alone_is_widened_for_the_sidecars(void **state)
{
	(void)state;
	assert_true(gw_sse_only_accept("text/event-stream"));
	assert_true(gw_sse_only_accept(" Text/Event-Stream \t"));
	assert_false(gw_sse_only_accept("text/event-stream, application/json"));
	assert_false(gw_sse_only_accept("application/json"));
	assert_false(gw_sse_only_accept(""));
	assert_true(gw_forward_request_header("Mcp-Session-Id"));
	assert_true(gw_forward_request_header("mcp-protocol-version"));
	assert_string_equal(gw_forward_response_header("mcp-session-id"), "Mcp-Session-Id");
	assert_string_equal(gw_forward_response_header("allow"), "Allow");
}

static void json_rpc_errors_are_the_peers_own(void **state)
{
	(void)state;
	const char *one = "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32001,"
			  "\"message\":\"Session not found\"}}";
	assert_true(gw_rpc_error_body(one, strlen(one)));
	const char *batch = "[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}},"
			    "{\"jsonrpc\":\"2.0\",\"id\":2,\"error\":{\"code\":-32602}}]";
	assert_true(gw_rpc_error_body(batch, strlen(batch)));
	const char *dapr = "{\"errorCode\":\"ERR_DIRECT_INVOKE\",\"message\":\"denied\"}";
	assert_false(gw_rpc_error_body(dapr, strlen(dapr)));
	assert_false(gw_rpc_error_body("{\"jsonrpc\":\"2.0\",\"error\":1}", 29));
	assert_false(gw_rpc_error_body("nope", 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(forwards_only_known_headers),
		cmocka_unit_test(returns_only_known_headers),
		cmocka_unit_test(recognises_our_error_bodies),
		cmocka_unit_test(ids_are_checked_before_they_travel),
		cmocka_unit_test(the_query_is_encoded_again),
		cmocka_unit_test(a_stream_alone_is_widened_for_the_sidecars),
		cmocka_unit_test(json_rpc_errors_are_the_peers_own),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
