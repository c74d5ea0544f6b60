/* The notification stream's rules: token and resume point of a request,
 * channels, notification ids, frames, and notifier's replay pages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sse.h"

static struct svc_req request(const char *route, struct svc_kv *headers, size_t nh,
			      struct svc_kv *query, size_t nq)
{
	struct svc_req r = {.method = "GET", .path = route, .route = route, .headers = headers,
			    .nheaders = nh, .query = query, .nquery = nq};
	return r;
}

static void the_token_is_the_bearer_or_on_the_stream_route_the_query(void **state)
{
	(void)state;
	struct svc_kv h[] = {{"Authorization", "Bearer from.header"}};
	struct svc_kv q[] = {{"access_token", "from.query"}};
	struct svc_req r = request(GW_SSE_ROUTE, h, 1, q, 1);
	assert_string_equal(gw_request_token(&r), "from.header");
	r = request(GW_SSE_ROUTE, NULL, 0, q, 1);
	assert_string_equal(gw_request_token(&r), "from.query");
	/* Nowhere else does a token travel in the URL. */
	r = request("/api/tasks", NULL, 0, q, 1);
	assert_null(gw_request_token(&r));
	r = request("/api/tasks", h, 1, NULL, 0);
	assert_string_equal(gw_request_token(&r), "from.header");
	r = request(GW_SSE_ROUTE, NULL, 0, NULL, 0);
	assert_null(gw_request_token(&r));
}

static void the_resume_point_is_the_header_else_the_query(void **state)
{
	(void)state;
	struct svc_kv h[] = {{"last-event-id", "42"}};
	struct svc_kv q[] = {{"last_event_id", "7"}};
	long long id = -1;
	bool present = false;
	struct svc_err err = {0};
	struct svc_req r = request(GW_SSE_ROUTE, h, 1, q, 1);
	assert_int_equal(gw_sse_last_id(&r, &id, &present, &err), SVC_OK);
	assert_true(present);
	assert_int_equal(id, 42);

	r = request(GW_SSE_ROUTE, NULL, 0, q, 1);
	assert_int_equal(gw_sse_last_id(&r, &id, &present, &err), SVC_OK);
	assert_int_equal(id, 7);

	h[0].value = ""; /* empty: as if absent */
	r = request(GW_SSE_ROUTE, h, 1, q, 1);
	assert_int_equal(gw_sse_last_id(&r, &id, &present, &err), SVC_OK);
	assert_int_equal(id, 7);

	r = request(GW_SSE_ROUTE, NULL, 0, NULL, 0);
	assert_int_equal(gw_sse_last_id(&r, &id, &present, &err), SVC_OK);
	assert_false(present);

	h[0].value = "0";
	r = request(GW_SSE_ROUTE, h, 1, NULL, 0);
	assert_int_equal(gw_sse_last_id(&r, &id, &present, &err), SVC_OK);
	assert_int_equal(id, 0);
	h[0].value = "9007199254740992";
	assert_int_equal(gw_sse_last_id(&r, &id, &present, &err), SVC_OK);
	assert_int_equal(id, GW_SSE_MAX_ID);

	const char *bad[] = {"-1", " 5", "5a", "1e3", "0x10", "9007199254740993",
			     "99999999999999999999"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		h[0].value = (char *)bad[i];
		assert_int_equal(gw_sse_last_id(&r, &id, &present, &err), SVC_EINVAL);
		assert_string_equal(err.field, "Last-Event-ID");
	}
	q[0].value = "x";
	r = request(GW_SSE_ROUTE, NULL, 0, q, 1);
	assert_int_equal(gw_sse_last_id(&r, &id, &present, &err), SVC_EINVAL);
	assert_string_equal(err.field, "last_event_id");
}

static void channels_name_their_user(void **state)
{
	(void)state;
	assert_string_equal(gw_sse_channel_user("todo:notify:u-1"), "u-1");
	assert_null(gw_sse_channel_user("todo:notify:"));
	assert_null(gw_sse_channel_user("todo:other:u-1"));
}

static void a_notification_has_a_whole_positive_id(void **state)
{
	(void)state;
	long long id = 0;
	const char ok[] = "{\"id\": 12, \"kind\": \"reminder\", \"title\": \"x\"}";
	assert_int_equal(gw_sse_notification_id(ok, strlen(ok), &id), 0);
	assert_int_equal(id, 12);
	const char *bad[] = {"{\"id\": 0}", "{\"id\": 1.5}", "{\"id\": \"3\"}", "{\"kind\": 1}",
			     "[1]", "{\"id\": 1", "{\"id\": 1e300}", "{\"id\": -4}",
			     "{\"id\": 1, \"id\": 2}"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(gw_sse_notification_id(bad[i], strlen(bad[i]), &id), -1);
}

static void frames_carry_the_id_and_one_data_line_per_line(void **state)
{
	(void)state;
	struct svc_buf b;
	svc_buf_init(&b, 4096);
	assert_int_equal(gw_sse_frame(&b, 7, "{\"id\":7}", 8), 0);
	assert_string_equal(b.data, "id: 7\nevent: notification\ndata: {\"id\":7}\n\n");
	svc_buf_cleanup(&b);

	svc_buf_init(&b, 4096);
	const char multi[] = "{\r\n\"id\": 8,\r\"a\": 1\n}\n";
	assert_int_equal(gw_sse_frame(&b, 8, multi, strlen(multi)), 0);
	assert_string_equal(b.data, "id: 8\nevent: notification\ndata: {\ndata: \"id\": 8,\n"
				    "data: \"a\": 1\ndata: }\n\n");
	svc_buf_cleanup(&b);

	svc_buf_init(&b, 16);
	assert_int_equal(gw_sse_frame(&b, 9, "{\"id\":9}", 8), -1); /* over the cap */
	svc_buf_cleanup(&b);
}

static void pages_frame_what_is_newer_in_order(void **state)
{
	(void)state;
	const char page[] = "{\"items\": [{\"id\": 3, \"title\": \"a\"}, {\"id\": 5, \"title\": \"b\"},"
			    " {\"id\": 4}, {\"title\": \"no id\"}, {\"id\": 6}], \"next_cursor\": null}";
	struct svc_buf b;
	svc_buf_init(&b, 4096);
	long long last = 3;
	size_t items = 0;
	bool full = true;
	assert_int_equal(gw_sse_page(page, strlen(page), &b, 4096, &last, &items, &full), 0);
	assert_int_equal(items, 5);
	assert_false(full);
	assert_int_equal(last, 6);
	assert_string_equal(b.data, "id: 5\nevent: notification\ndata: {\"id\":5,\"title\":\"b\"}\n\n"
				    "id: 6\nevent: notification\ndata: {\"id\":6}\n\n");
	svc_buf_cleanup(&b);

	/* Room for one frame: it stops before the second, which comes later. */
	svc_buf_init(&b, 4096);
	last = 0;
	assert_int_equal(gw_sse_page(page, strlen(page), &b, 80, &last, &items, &full), 0);
	assert_true(full);
	assert_int_equal(last, 3);
	assert_null(strstr(b.data, "id: 5"));
	svc_buf_cleanup(&b);

	const char *bad[] = {"[]", "{\"items\": {}}", "{\"items\": [", "{}"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		svc_buf_init(&b, 4096);
		assert_int_equal(gw_sse_page(bad[i], strlen(bad[i]), &b, 4096, &last, &items, &full),
				 -1);
		svc_buf_cleanup(&b);
	}
	svc_buf_init(&b, 4096);
	assert_int_equal(gw_sse_page(NULL, 0, &b, 4096, &last, &items, &full), -1);
	svc_buf_cleanup(&b);
}

static void the_top_id_is_the_first_items_or_zero(void **state)
{
	(void)state;
	long long top = -1;
	const char page[] = "{\"items\": [{\"id\": 42, \"title\": \"a\"}, {\"id\": 41}],"
			    " \"next_cursor\": \"x\"}";
	assert_int_equal(gw_sse_top_id(page, strlen(page), &top), 0);
	assert_int_equal(top, 42);
	const char empty[] = "{\"items\": [], \"next_cursor\": null}";
	assert_int_equal(gw_sse_top_id(empty, strlen(empty), &top), 0);
	assert_int_equal(top, 0);
	const char *bad[] = {"[]", "{\"items\": {}}", "{\"items\": [{\"id\": 0}]}",
			     "{\"items\": [{\"id\": \"7\"}]}", "{\"items\": [", "{}"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(gw_sse_top_id(bad[i], strlen(bad[i]), &top), -1);
	assert_int_equal(gw_sse_top_id(NULL, 0, &top), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_token_is_the_bearer_or_on_the_stream_route_the_query),
		cmocka_unit_test(the_resume_point_is_the_header_else_the_query),
		cmocka_unit_test(channels_name_their_user),
		cmocka_unit_test(a_notification_has_a_whole_positive_id),
		cmocka_unit_test(frames_carry_the_id_and_one_data_line_per_line),
		cmocka_unit_test(pages_frame_what_is_newer_in_order),
		cmocka_unit_test(the_top_id_is_the_first_items_or_zero),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
