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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buffer_cap),
		cmocka_unit_test(json_escape),
		cmocka_unit_test(uuids),
		cmocka_unit_test(parse_long),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
