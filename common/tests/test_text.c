#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "svc/text.h"

static void prefix_stops_at_a_character_boundary(void **state)
{
	(void)state;
	assert_int_equal(svc_utf8_prefix("abc", 2), 2);
	assert_int_equal(svc_utf8_prefix("abc", 9), 3);
	assert_int_equal(svc_utf8_prefix("", 3), 0);
	/* e-acute (2 bytes), euro (3), an emoji (4). */
	const char *s = "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z";
	assert_int_equal(svc_utf8_prefix(s, 1), 2);
	assert_int_equal(svc_utf8_prefix(s, 2), 5);
	assert_int_equal(svc_utf8_prefix(s, 3), 9);
	assert_int_equal(svc_utf8_prefix(s, 4), 10);
}

static void trim_span_skips_unicode_space(void **state)
{
	(void)state;
	size_t b, e;
	svc_utf8_trim_span("\xc2\xa0 x y\t\xe2\x80\x8b", &b, &e);
	assert_int_equal(b, 3);
	assert_int_equal(e, 6);
	svc_utf8_trim_span(" \t ", &b, &e);
	assert_int_equal(b, e);
}

static void email_is_normalized(void **state)
{
	(void)state;
	char out[SVC_EMAIL_BUF];
	struct svc_err e = {0};
	assert_int_equal(svc_email_normalize(" Ann@Example.ORG ", out, &e), SVC_OK);
	assert_string_equal(out, "ann@example.org");
	assert_int_equal(svc_email_normalize("ann@example.org\r\nBcc: x@y.z", out, &e), SVC_EINVAL);
	assert_string_equal(e.field, "email");
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(prefix_stops_at_a_character_boundary),
		cmocka_unit_test(trim_span_skips_unicode_space),
		cmocka_unit_test(email_is_normalized),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
