#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "pat.h"
#include "svc/json.h"

static void tokens_have_a_shape_and_a_hash(void **state)
{
	(void)state;
	char tok[GW_PAT_LEN + 1], hash[GW_TOKEN_HASH_HEX], again[GW_TOKEN_HASH_HEX];
	assert_int_equal(gw_pat_new(tok, hash), 0);
	assert_int_equal(strlen(tok), 47);
	assert_true(gw_pat_wellformed(tok));
	gw_token_hash(tok, again);
	assert_string_equal(hash, again);
	assert_false(gw_pat_wellformed(tok + 4)); /* a refresh token's shape */
	assert_false(gw_pat_wellformed("tdp_short"));
	assert_false(gw_pat_wellformed(NULL));
	tok[10] = '!';
	assert_false(gw_pat_wellformed(tok));
}

static enum svc_result read_body(const char *json, char scopes[sizeof GW_PAT_SCOPES], long *days,
				 struct svc_err *err)
{
	cJSON *b = NULL;
	assert_int_equal(svc_json_parse_object(json, strlen(json), &b, err), SVC_OK);
	const char *name = NULL;
	enum svc_result r = gw_pat_body_read(b, &name, scopes, days, err);
	cJSON_Delete(b);
	return r;
}

static void bodies(void **state)
{
	(void)state;
	char scopes[sizeof GW_PAT_SCOPES];
	long days = 0;
	struct svc_err err = {0};
	assert_int_equal(read_body("{\"name\":\"a\"}", scopes, &days, &err), SVC_OK);
	assert_string_equal(scopes, GW_PAT_SCOPES);
	assert_int_equal(days, GW_PAT_DAYS_DEFAULT);
	assert_int_equal(read_body("{\"name\":\"a\",\"scopes\":[\"mcp\",\"tasks:read\",\"mcp\"],"
				   "\"expires_in_days\":7}",
				   scopes, &days, &err),
			 SVC_OK);
	assert_string_equal(scopes, "tasks:read mcp");
	assert_int_equal(days, 7);
	assert_int_equal(read_body("{\"name\":\"a\",\"scopes\":[]}", scopes, &days, &err),
			 SVC_EINVAL);
	assert_string_equal(err.field, "scopes");
	assert_int_equal(read_body("{\"name\":\"a\",\"scopes\":[\"admin\"]}", scopes, &days, &err),
			 SVC_EINVAL);
	assert_int_equal(read_body("{\"name\":\"a\",\"expires_in_days\":366}", scopes, &days, &err),
			 SVC_EINVAL);
	assert_string_equal(err.field, "expires_in_days");
	assert_int_equal(read_body("{\"name\":\"\"}", scopes, &days, &err), SVC_EINVAL);
	assert_string_equal(err.field, "name");
	assert_int_equal(read_body("{\"name\":\"a\",\"x\":1}", scopes, &days, &err), SVC_EINVAL);
	assert_string_equal(err.field, "x");
}

static void routes_and_their_scopes(void **state)
{
	(void)state;
	assert_string_equal(gw_pat_scope_for("GET", "/api/tasks"), "tasks:read");
	assert_string_equal(gw_pat_scope_for("GET", "/api/tags"), "tasks:read");
	assert_string_equal(gw_pat_scope_for("PATCH", "/api/tasks/x"), "tasks:write");
	assert_string_equal(gw_pat_scope_for("POST", "/api/tasks/x/complete"), "tasks:write");
	assert_string_equal(gw_pat_scope_for("POST", "/api/chat/parse"), "chat");
	assert_string_equal(gw_pat_scope_for("GET", "/api/conversations/x"), "chat");
	assert_string_equal(gw_pat_scope_for("POST", "/api/mcp"), "mcp");
	assert_string_equal(gw_pat_scope_for("GET", "/api/notifications/stream"), "notifications");
	assert_string_equal(gw_pat_scope_for("GET", "/api/auth/me"), "");
	assert_null(gw_pat_scope_for("GET", "/api/auth/tokens"));
	assert_null(gw_pat_scope_for("POST", "/api/auth/refresh"));
	assert_null(gw_pat_scope_for("GET", "/api/tasksx"));
}

static void the_cache_forgets(void **state)
{
	(void)state;
	struct gw_pat_cache *c = gw_pat_cache_new(1000);
	const char *h = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	const char *h2 = "1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	struct gw_pat_entry e = {.valid = true, .user_id = "u", .scope = "mcp", .expires_at = 500},
			    out;
	gw_pat_cache_put(c, h, &e, 10000);
	assert_true(gw_pat_cache_get(c, h, 10999, &out));
	assert_string_equal(out.user_id, "u");
	assert_false(gw_pat_cache_get(c, h, 11000, &out)); /* stale */
	assert_false(gw_pat_cache_get(c, h2, 10001, &out));
	gw_pat_cache_put(c, h, &e, 20000);
	gw_pat_cache_forget(c, h);
	assert_false(gw_pat_cache_get(c, h, 20001, &out));
	gw_pat_cache_free(c);
	/* A ttl of 0 keeps nothing: every use asks the store. */
	c = gw_pat_cache_new(0);
	gw_pat_cache_put(c, h, &e, 1);
	assert_false(gw_pat_cache_get(c, h, 1, &out));
	gw_pat_cache_free(c);
}

static void the_swapped_token_never_outlives_its_source(void **state)
{
	(void)state;
	struct gw_pat_entry e = {.valid = true, .user_id = "u1", .scope = "tasks:read mcp",
				 .expires_at = 1000 + 60};
	struct svc_claims c;
	gw_pat_claims(&e, 1000, &c);
	assert_string_equal(c.sub, "u1");
	assert_string_equal(c.typ, "access");
	assert_string_equal(c.scope, "tasks:read mcp");
	assert_int_equal(c.exp, 1060);
	e.expires_at = 100000;
	gw_pat_claims(&e, 1000, &c);
	assert_int_equal(c.exp, 1000 + GW_PAT_JWT_TTL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tokens_have_a_shape_and_a_hash),
		cmocka_unit_test(bodies),
		cmocka_unit_test(routes_and_their_scopes),
		cmocka_unit_test(the_cache_forgets),
		cmocka_unit_test(the_swapped_token_never_outlives_its_source),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
