#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "svc/router.h"
#include "svc/server.h"

static void exact_and_params(void **state)
{
	(void)state;
	struct svc_kv *p;
	size_t n;
	assert_true(svc_route_match("/api/tasks", "/api/tasks", &p, &n));
	assert_int_equal(n, 0);
	assert_true(svc_route_match("/api/tasks/{id}/complete", "/api/tasks/abc/complete", &p, &n));
	assert_int_equal(n, 1);
	assert_string_equal(p[0].name, "id");
	assert_string_equal(p[0].value, "abc");
	svc_kv_free_all(p, n);
}

static void mismatches(void **state)
{
	(void)state;
	struct svc_kv *p;
	size_t n;
	assert_false(svc_route_match("/api/tasks", "/api/tasks/", &p, &n));
	assert_false(svc_route_match("/api/tasks/{id}", "/api/tasks", &p, &n));
	assert_false(svc_route_match("/api/tasks/{id}", "/api/tasks//", &p, &n));
	assert_false(svc_route_match("/api/tasks/{id}", "/api/tasks/a/b", &p, &n));
	assert_false(svc_route_match("/api/task", "/api/tasks", &p, &n));
	assert_false(svc_route_match("/api/tasks/{id}/complete", "/api/tasks/x/reopen", &p, &n));
	assert_null(p);
	assert_int_equal(n, 0);
}

static void responses(void **state)
{
	(void)state;
	struct svc_resp r = {.status = 500};
	svc_resp_errf(&r, SVC_ENOTFOUND, NULL, "task %s not found", "x");
	assert_int_equal(r.status, 404);
	assert_string_equal(r.content_type, "application/json");
	assert_string_equal(r.body, "{\"error\":{\"code\":\"not_found\",\"message\":\"task x not found\"}}");
	cJSON *b = cJSON_CreateObject();
	cJSON_AddNumberToObject(b, "n", 1);
	svc_resp_json(&r, 201, b);
	assert_int_equal(r.status, 201);
	assert_string_equal(r.body, "{\"n\":1}");
	svc_resp_header(&r, "ETag", "\"3\"");
	assert_int_equal(r.nheaders, 1);
	free(r.body);
	free(r.headers[0].name);
	free(r.headers[0].value);
}

static void bearer_tokens(void **state)
{
	(void)state;
	struct svc_kv h[] = {{"authorization", "bearer  abc.def"}};
	struct svc_req r = {.headers = h, .nheaders = 1};
	assert_string_equal(svc_req_bearer(&r), "abc.def");
	h[0].value = "Basic dXNlcg==";
	assert_null(svc_req_bearer(&r));
	r.nheaders = 0;
	assert_null(svc_req_bearer(&r));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exact_and_params),
		cmocka_unit_test(mismatches),
		cmocka_unit_test(responses),
		cmocka_unit_test(bearer_tokens),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
