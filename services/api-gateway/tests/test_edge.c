/* The edge filter's CORS half and its configuration; rate limits are off
 * here (they need Redis: the system tests cover them). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "edge.h"

static int setup(void **state)
{
	static struct gw_edge e;
	setenv("RATE_LIMIT_ADDR_PER_MIN", "0", 1);
	setenv("RATE_LIMIT_AUTH_PER_MIN", "0", 1);
	setenv("RATE_LIMIT_USER_PER_MIN", "0", 1);
	setenv("TRUSTED_PROXIES", "127.0.0.1", 1);
	setenv("CORS_ALLOWED_ORIGINS", "https://app.test", 1);
	struct svc_config cfg;
	svc_config_init(&cfg);
	gw_edge_init(&e, &cfg);
	assert_int_equal(svc_config_check(&cfg, "test"), 0);
	*state = &e;
	return 0;
}

static int teardown(void **state)
{
	gw_edge_cleanup(*state);
	return 0;
}

static void resp_cleanup(struct svc_resp *r)
{
	for (size_t i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->body);
	memset(r, 0, sizeof *r);
}

static const char *resp_header(const struct svc_resp *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (strcmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

static enum svc_filter_result run(struct gw_edge *e, const char *method, const char *path,
				  struct svc_kv *headers, size_t n, struct svc_resp *resp)
{
	struct svc_req req = {.method = method, .path = path, .headers = headers, .nheaders = n};
	snprintf(req.peer, sizeof req.peer, "%s", "127.0.0.1");
	memset(resp, 0, sizeof *resp);
	resp->status = 500;
	enum svc_filter_result r = gw_edge_filter(e, &req, resp);
	if (req.local)
		req.local_free(req.local);
	return r;
}

static void answers_preflights(void **state)
{
	struct svc_kv ok[] = {{"Origin", "https://app.test"},
			      {"Access-Control-Request-Method", "PATCH"},
			      {"Access-Control-Request-Headers", "authorization, if-match"}};
	struct svc_resp r;
	assert_int_equal(run(*state, "OPTIONS", "/api/anything", ok, 3, &r), SVC_FILTER_DONE);
	assert_int_equal(r.status, 204);
	assert_null(r.body);
	assert_string_equal(resp_header(&r, "Access-Control-Allow-Origin"), "https://app.test");
	assert_string_equal(resp_header(&r, "Access-Control-Allow-Methods"),
			    GW_CORS_ALLOW_METHODS);
	assert_string_equal(resp_header(&r, "Access-Control-Allow-Headers"),
			    GW_CORS_ALLOW_HEADERS);
	assert_string_equal(resp_header(&r, "Access-Control-Max-Age"), "600");
	assert_string_equal(resp_header(&r, "Vary"), "Origin");
	resp_cleanup(&r);

	struct svc_kv bad[] = {{"Origin", "https://evil.test"},
			       {"Access-Control-Request-Method", "GET"}};
	assert_int_equal(run(*state, "OPTIONS", "/api/tasks", bad, 2, &r), SVC_FILTER_DONE);
	assert_int_equal(r.status, 403);
	assert_non_null(strstr(r.body, "\"code\":\"forbidden\""));
	assert_null(resp_header(&r, "Access-Control-Allow-Origin"));
	resp_cleanup(&r);

	/* OPTIONS without the preflight headers goes on to the router. */
	assert_int_equal(run(*state, "OPTIONS", "/api/tasks", ok, 1, &r), SVC_FILTER_NEXT);
	resp_cleanup(&r);
}

static void marks_answers_to_allowed_origins(void **state)
{
	struct svc_kv ok[] = {{"Origin", "https://app.test"}};
	struct svc_resp r;
	assert_int_equal(run(*state, "GET", "/api/tasks", ok, 1, &r), SVC_FILTER_NEXT);
	assert_string_equal(resp_header(&r, "Access-Control-Allow-Origin"), "https://app.test");
	assert_string_equal(resp_header(&r, "Access-Control-Expose-Headers"),
			    "ETag, X-Request-Id, Retry-After, Mcp-Session-Id");
	assert_string_equal(resp_header(&r, "Vary"), "Origin");
	resp_cleanup(&r);

	struct svc_kv other[] = {{"Origin", "https://evil.test"}};
	assert_int_equal(run(*state, "GET", "/api/tasks", other, 1, &r), SVC_FILTER_NEXT);
	assert_null(resp_header(&r, "Access-Control-Allow-Origin"));
	assert_string_equal(resp_header(&r, "Vary"), "Origin");
	resp_cleanup(&r);
}

static void leaves_other_paths_alone(void **state)
{
	struct svc_kv ok[] = {{"Origin", "https://app.test"},
			      {"Access-Control-Request-Method", "GET"}};
	const char *paths[] = {"/healthz", "/apix", "/metrics"};
	for (size_t i = 0; i < 3; i++) {
		struct svc_resp r;
		assert_int_equal(run(*state, "OPTIONS", paths[i], ok, 2, &r), SVC_FILTER_NEXT);
		assert_int_equal(r.nheaders, 0);
		resp_cleanup(&r);
	}
}

static void refuses_bad_settings(void **state)
{
	(void)state;
	setenv("TRUSTED_PROXIES", "proxy.internal", 1);
	setenv("CORS_ALLOWED_ORIGINS", "app.test", 1);
	setenv("RATE_LIMIT_USER_PER_MIN", "-1", 1);
	struct svc_config cfg;
	svc_config_init(&cfg);
	struct gw_edge e;
	gw_edge_init(&e, &cfg);
	assert_int_equal(cfg.count, 3);
	assert_non_null(strstr(cfg.errors, "TRUSTED_PROXIES"));
	assert_non_null(strstr(cfg.errors, "CORS_ALLOWED_ORIGINS"));
	assert_non_null(strstr(cfg.errors, "RATE_LIMIT_USER_PER_MIN"));
	gw_edge_cleanup(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(answers_preflights),
		cmocka_unit_test(marks_answers_to_allowed_origins),
		cmocka_unit_test(leaves_other_paths_alone),
		cmocka_unit_test(refuses_bad_settings),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
