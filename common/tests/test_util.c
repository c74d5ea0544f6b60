#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "svc/util.h"

static void buffer_cap(void **state)
{
	(void)state;
	struct svc_buf b;
	svc_buf_init(&b, 8);
	assert_int_equal(svc_buf_puts(&b, "1234"), 0);
	assert_int_equal(svc_buf_printf(&b, "%d", 5678), 0);
	assert_int_equal(svc_buf_puts(&b, "9"), -1);
	assert_true(b.failed);
	assert_null(svc_buf_take(&b, NULL));
	svc_buf_cleanup(&b);
}

static void json_escape(void **state)
{
	(void)state;
	struct svc_buf b;
	svc_buf_init(&b, 1024);
	svc_buf_json_string(&b, "a\"b\\\n\x01");
	assert_string_equal(b.data, "\"a\\\"b\\\\\\n\\u0001\"");
	svc_buf_cleanup(&b);
}

static void uuids(void **state)
{
	(void)state;
	char a[37], b[37];
	assert_int_equal(svc_uuid_v4(a), 0);
	assert_int_equal(svc_uuid_v4(b), 0);
	assert_true(svc_uuid_valid(a));
	assert_string_not_equal(a, b);
	assert_int_equal(a[14], '4');
	assert_false(svc_uuid_valid("not-a-uuid"));
	assert_false(svc_uuid_valid("123e4567-e89b-12d3-a456-42661417400g"));
	assert_true(svc_uuid_valid("123e4567-e89b-12d3-a456-426614174000"));
}

static void parse_long(void **state)
{
	(void)state;
	long v = 7;
	assert_int_equal(svc_parse_long("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(svc_parse_long("42x", 0, 100, &v), -1);
	assert_int_equal(svc_parse_long("", 0, 100, &v), -1);
	assert_int_equal(svc_parse_long("101", 0, 100, &v), -1);
	assert_int_equal(v, 42);
}

static void rfc3339(void **state)
{
	(void)state;
	long long t = -1;
	assert_int_equal(svc_time_parse_rfc3339("1970-01-01T00:00:00Z", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(svc_time_parse_rfc3339("2026-11-22T03:04:05.123+02:00", &t), 0);
	assert_int_equal(t, 1795309445LL);
	assert_int_equal(svc_time_parse_rfc3339("2024-02-29T23:59:59z", &t), 0);
	assert_int_equal(t, 1709251199LL);
	const char *bad[] = {"2023-02-29T00:00:00Z", "2026-13-01T00:00:00Z",
			     "2026-04-31T00:00:00Z", "2026-01-01T24:00:00Z",
			     "2026-01-01T00:60:00Z", "2026-01-01T00:00:60Z",
			     "2026-01-01T00:00:00", "2026-01-01 00:00:00Z",
			     "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00+0200",
			     "2026-01-01T00:00:00Z ", "26-01-01T00:00:00Z", "",
			     "2026-01-01T00:00:00.1234567890Z", "2026-01-01T00:00:00+24:00"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(svc_time_parse_rfc3339(bad[i], NULL), -1);
}

static void derived_uuid(void **state)
{
	(void)state;
	char a[37], b[37], c[37];
	svc_uuid_derive("reminder:6f1c2d4e-0000-4000-8000-000000000001:1795309445000", a);
	svc_uuid_derive("reminder:6f1c2d4e-0000-4000-8000-000000000001:1795309445000", b);
	svc_uuid_derive("reminder:6f1c2d4e-0000-4000-8000-000000000001:1795309446000", c);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_true(svc_uuid_valid(a));
	assert_int_equal(a[14], '8'); /* version 8 */
	assert_true(strchr("89ab", a[19]) != NULL);
}

static void b64url(void **state)
{
	(void)state;
	const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe"};
	const char *want[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy", "__4"};
	for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
		char *e = svc_b64url_encode(in[i], strlen(in[i]));
		assert_string_equal(e, want[i]);
		size_t n = 0;
		unsigned char *d = svc_b64url_decode(e, &n);
		assert_non_null(d);
		assert_int_equal(n, strlen(in[i]));
		assert_memory_equal(d, in[i], n);
		free(d);
		free(e);
	}
	size_t n;
	assert_null(svc_b64url_decode("Zm9v=", &n));
	assert_null(svc_b64url_decode("Z", &n));
	assert_null(svc_b64url_decode("Zh", &n)); /* non-zero trailing bits */
	assert_null(svc_b64url_decode("a+b/", &n));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc3339),
		cmocka_unit_test(b64url),
		cmocka_unit_test(derived_uuid),
		cmocka_unit_test(buffer_cap),
		cmocka_unit_test(json_escape),
		cmocka_unit_test(uuids),
		cmocka_unit_test(parse_long),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
