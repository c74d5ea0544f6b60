/* The HTTP server end to end on 127.0.0.1: the filter before routing, the
 * peer address, JSON 413 for bodies far past the limit, the route list. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <event2/event.h>
#include <event2/thread.h>

#include "svc/pool.h"
#include "svc/server.h"
#include "svc/stream.h"

#define LIMIT 65536

struct server {
	struct event_base *base;
	struct svc_server *http;
	struct svc_pool *pool;
	pthread_t loop;
	int port;
};

struct reply {
	long status;
	char body[512];
	size_t body_len;
	char headers[4096];
	size_t headers_len;
};

static void h_echo(struct svc_req *req, struct svc_resp *resp)
{
	cJSON *b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "peer", req->peer);
	cJSON_AddNumberToObject(b, "len", (double)req->body_len);
	svc_resp_json(resp, 200, b);
}

static void h_plain(struct svc_req *req, struct svc_resp *resp)
{
	(void)req;
	svc_resp_raw(resp, 200, NULL, NULL, 0);
}

/* Marks every answer, and answers OPTIONS and /deny itself. */
static enum svc_filter_result filter(void *arg, struct svc_req *req, struct svc_resp *resp)
{
	(void)arg;
	svc_resp_header(resp, "X-Filtered", req->route ? req->route : "none");
	if (strcmp(req->method, "OPTIONS") == 0) {
		svc_resp_raw(resp, 204, NULL, NULL, 0);
		return SVC_FILTER_DONE;
	}
	if (strcmp(req->path, "/deny") == 0) {
		svc_resp_errf(resp, SVC_ELIMIT, NULL, "slow down");
		return SVC_FILTER_DONE;
	}
	return SVC_FILTER_NEXT;
}

static void *run_loop(void *arg)
{
	event_base_dispatch(arg);
	return NULL;
}

static int setup(void **state)
{
	static struct server s;
	evthread_use_pthreads();
	s.base = event_base_new();
	struct svc_server_opts o = {.host = "127.0.0.1", .port = 0, .max_body = LIMIT};
	s.pool = svc_pool_new(s.base, "test", 2, 64);
	assert_non_null(s.pool);
	assert_int_equal(svc_pool_start(s.pool), 0);
	s.http = svc_server_new(s.base, &o, s.pool);
	assert_non_null(s.http);
	assert_int_equal(svc_server_route(s.http, "POST", "/echo", h_echo, NULL, SVC_ROUTE_JSON, NULL), 0);
	assert_int_equal(svc_server_route(s.http, "GET", "/echo", h_echo, NULL, 0, NULL), 0);
	assert_int_equal(svc_server_route(s.http, "GET", "/inline", h_plain, NULL,
					SVC_ROUTE_INLINE, NULL), 0);
	svc_server_set_filter(s.http, filter, NULL);
	assert_int_equal(svc_server_port(s.http), 0);
	assert_int_equal(svc_server_listen(s.http), 0);
	s.port = svc_server_port(s.http);
	assert_true(s.port > 0);
	assert_int_equal(pthread_create(&s.loop, NULL, run_loop, s.base), 0);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	*state = &s;
	return 0;
}

static int teardown(void **state)
{
	struct server *s = *state;
	event_base_loopbreak(s->base);
	pthread_join(s->loop, NULL);
	svc_pool_stop(s->pool);
	svc_server_free(s->http);
	svc_pool_free(s->pool);
	event_base_free(s->base);
	curl_global_cleanup();
	return 0;
}

/* Keeps what fits of p in dst (cap bytes, NUL-terminated). */
static size_t keep(char *dst, size_t cap, size_t *len, const char *p, size_t n)
{
	size_t room = cap - 1 - *len, take = n < room ? n : room;
	memcpy(dst + *len, p, take);
	*len += take;
	dst[*len] = '\0';
	return n;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	return keep(r->body, sizeof r->body, &r->body_len, p, size * n);
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	return keep(r->headers, sizeof r->headers, &r->headers_len, p, size * n);
}

/* One request; body may be NULL. content_type NULL sends none. */
static void call(const struct server *s, const char *method, const char *path,
		 const char *content_type, const char *body, size_t len, struct reply *r)
{
	memset(r, 0, sizeof *r);
	char url[256], ct[128];
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", s->port, path);
	CURL *c = curl_easy_init();
	assert_non_null(c);
	struct curl_slist *hl = curl_slist_append(NULL, "Expect:");
	if (content_type) {
		snprintf(ct, sizeof ct, "Content-Type: %s", content_type);
		hl = curl_slist_append(hl, ct);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	CURLcode rc = curl_easy_perform(c);
	if (rc != CURLE_OK)
		fail_msg("%s %s: %s", method, path, curl_easy_strerror(rc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
}

static bool has_header(const struct reply *r, const char *line)
{
	return strcasestr(r->headers, line) != NULL;
}

static void peer_address_reaches_the_handler(void **state)
{
	struct reply r;
	call(*state, "GET", "/echo", NULL, NULL, 0, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"peer\":\"127.0.0.1\""));
	assert_true(has_header(&r, "X-Filtered: /echo\r\n"));
	assert_true(has_header(&r, "X-Request-Id: "));
}

static void filter_headers_stay_on_error_answers(void **state)
{
	struct reply r;
	call(*state, "GET", "/nowhere", NULL, NULL, 0, &r);
	assert_int_equal(r.status, 404);
	assert_non_null(strstr(r.body, "no route for GET /nowhere"));
	assert_true(has_header(&r, "X-Filtered: none\r\n"));

	call(*state, "DELETE", "/echo", NULL, NULL, 0, &r);
	assert_int_equal(r.status, 405);
	assert_true(has_header(&r, "X-Filtered: none\r\n"));

	call(*state, "POST", "/echo", "text/plain", "{}", 2, &r);
	assert_int_equal(r.status, 415);
	assert_non_null(strstr(r.body, "unsupported_media_type"));
	assert_true(has_header(&r, "X-Filtered: /echo\r\n"));

	call(*state, "POST", "/echo", "application/json", "{", 1, &r);
	assert_int_equal(r.status, 400);
	assert_true(has_header(&r, "X-Filtered: /echo\r\n"));
}

static void filter_answers_by_itself(void **state)
{
	struct reply r;
	call(*state, "OPTIONS", "/any/path", NULL, NULL, 0, &r);
	assert_int_equal(r.status, 204);
	assert_true(has_header(&r, "X-Filtered: none\r\n"));

	call(*state, "GET", "/deny", NULL, NULL, 0, &r);
	assert_int_equal(r.status, 429);
	assert_non_null(strstr(r.body, "\"code\":\"rate_limited\""));
}

static void inline_routes_skip_the_filter(void **state)
{
	struct reply r;
	call(*state, "GET", "/inline", NULL, NULL, 0, &r);
	assert_int_equal(r.status, 200);
	assert_false(has_header(&r, "X-Filtered"));
}

static void post_of(const struct server *s, size_t len, struct reply *r)
{
	char *body = malloc(len);
	assert_non_null(body);
	memset(body, ' ', len);
	body[0] = '{';
	body[len - 1] = '}';
	call(s, "POST", "/echo", "application/json", body, len, r);
	free(body);
}

static void bodies_over_the_limit_get_json_413(void **state)
{
	struct reply r;
	post_of(*state, LIMIT, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"len\":65536"));

	const size_t sizes[] = {LIMIT + 1, 2u << 20, 20u << 20, SVC_HTTP_HARD_BODY};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		post_of(*state, sizes[i], &r);
		assert_int_equal(r.status, 413);
		assert_true(has_header(&r, "Content-Type: application/json"));
		assert_non_null(strstr(r.body, "\"code\":\"payload_too_large\""));
		assert_true(has_header(&r, "X-Filtered: /echo\r\n"));
	}
}

static void past_the_hard_bound_libevent_still_answers_413(void **state)
{
	struct reply r;
	post_of(*state, SVC_HTTP_HARD_BODY + 1, &r);
	assert_int_equal(r.status, 413);
}

static void add_line(void *arg, const char *method, const char *pattern)
{
	char *out = arg;
	size_t n = strlen(out);
	snprintf(out + n, 256 - n, "%s %s\n", method, pattern);
}

static void routes_are_listed_in_order(void **state)
{
	const struct server *s = *state;
	char out[256] = "";
	svc_server_routes(s->http, add_line, out);
	assert_string_equal(out, "POST /echo\nGET /echo\nGET /inline\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(peer_address_reaches_the_handler),
		cmocka_unit_test(filter_headers_stay_on_error_answers),
		cmocka_unit_test(filter_answers_by_itself),
		cmocka_unit_test(inline_routes_skip_the_filter),
		cmocka_unit_test(bodies_over_the_limit_get_json_413),
		cmocka_unit_test(past_the_hard_bound_libevent_still_answers_413),
		cmocka_unit_test(routes_are_listed_in_order),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
