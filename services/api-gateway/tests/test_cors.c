#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cors.h"

static void parses_origins(void **state)
{
	(void)state;
	struct gw_cors c;
	char err[160];
	assert_int_equal(gw_cors_parse(" https://app.example.com, http://127.0.0.1:5173,", &c,
				       err, sizeof err), 0);
	assert_int_equal(c.n, 2);
	assert_true(gw_cors_enabled(&c));
	assert_true(gw_cors_allowed(&c, "https://app.example.com"));
	assert_true(gw_cors_allowed(&c, "http://127.0.0.1:5173"));
	assert_false(gw_cors_allowed(&c, "http://app.example.com"));
	assert_false(gw_cors_allowed(&c, "https://app.example.com.evil.test"));
	assert_false(gw_cors_allowed(&c, "null"));
	assert_false(gw_cors_allowed(&c, NULL));
	gw_cors_cleanup(&c);

	assert_int_equal(gw_cors_parse("", &c, err, sizeof err), 0);
	assert_false(gw_cors_enabled(&c));
	assert_false(gw_cors_allowed(&c, "https://app.example.com"));

	assert_int_equal(gw_cors_parse("*", &c, err, sizeof err), 0);
	assert_true(gw_cors_allowed(&c, "https://anything.test"));
	assert_false(gw_cors_allowed(&c, "file://x"));
	gw_cors_cleanup(&c);

	const char *bad[] = {"app.example.com", "https://a.test/path", "ftp://a.test",
			     "https://a.test, https://", "https://a b"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(gw_cors_parse(bad[i], &c, err, sizeof err), -1);
		assert_non_null(strstr(err, "is not an origin"));
		assert_null(c.origins);
	}
}

static void classifies_preflights(void **state)
{
	(void)state;
	struct gw_cors c;
	char err[160], why[200];
	assert_int_equal(gw_cors_parse("https://app.test", &c, err, sizeof err), 0);

	/* Not a preflight: another method, or no Origin or requested method. */
	assert_int_equal(gw_cors_preflight(&c, "GET", "https://app.test", "GET", NULL, why,
					   sizeof why), GW_PREFLIGHT_NONE);
	assert_int_equal(gw_cors_preflight(&c, "OPTIONS", NULL, "GET", NULL, why, sizeof why),
			 GW_PREFLIGHT_NONE);
	assert_int_equal(gw_cors_preflight(&c, "OPTIONS", "https://app.test", NULL, NULL, why,
					   sizeof why), GW_PREFLIGHT_NONE);

	assert_int_equal(gw_cors_preflight(&c, "OPTIONS", "https://app.test", "PATCH",
					   "authorization,content-type, if-match", why, sizeof why),
			 GW_PREFLIGHT_OK);
	assert_int_equal(gw_cors_preflight(&c, "OPTIONS", "https://app.test", "DELETE", "", why,
					   sizeof why), GW_PREFLIGHT_OK);
	assert_int_equal(gw_cors_preflight(&c, "OPTIONS", "https://app.test", "GET",
					   "Accept-Language, X-Request-Id, TraceParent", why,
					   sizeof why), GW_PREFLIGHT_OK);

	assert_int_equal(gw_cors_preflight(&c, "OPTIONS", "https://evil.test", "GET", NULL, why,
					   sizeof why), GW_PREFLIGHT_REFUSED);
	assert_non_null(strstr(why, "origin https://evil.test"));
	assert_int_equal(gw_cors_preflight(&c, "OPTIONS", "https://app.test", "PUT", NULL, why,
					   sizeof why), GW_PREFLIGHT_REFUSED);
	assert_non_null(strstr(why, "method PUT"));
	assert_int_equal(gw_cors_preflight(&c, "OPTIONS", "https://app.test", "get", NULL, why,
					   sizeof why), GW_PREFLIGHT_REFUSED);
	assert_int_equal(gw_cors_preflight(&c, "OPTIONS", "https://app.test", "POST",
					   "content-type, x-secret", why, sizeof why),
			 GW_PREFLIGHT_REFUSED);
	assert_non_null(strstr(why, "header x-secret"));
	/* A header list item must match whole, not as a prefix. */
	assert_int_equal(gw_cors_preflight(&c, "OPTIONS", "https://app.test", "POST", "content",
					   why, sizeof why), GW_PREFLIGHT_REFUSED);
	gw_cors_cleanup(&c);

	/* CORS off: every preflight is refused. */
	struct gw_cors off = {0};
	assert_int_equal(gw_cors_preflight(&off, "OPTIONS", "https://app.test", "GET", NULL, why,
					   sizeof why), GW_PREFLIGHT_REFUSED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_origins),
		cmocka_unit_test(classifies_preflights),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
