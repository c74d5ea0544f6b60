#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "svc/config.h"

static void required_missing_is_reported(void **state)
{
	(void)state;
	unsetenv("TEST_REQ");
	struct svc_config c;
	svc_config_init(&c);
	assert_null(svc_config_str(&c, "TEST_REQ", NULL));
	assert_int_equal(c.count, 1);
	assert_non_null(strstr(c.errors, "TEST_REQ is required"));
	assert_int_equal(svc_config_check(&c, "test"), -1);
}

static void defaults_and_values(void **state)
{
	(void)state;
	setenv("TEST_SET", "abc", 1);
	unsetenv("TEST_UNSET");
	struct svc_config c;
	svc_config_init(&c);
	assert_string_equal(svc_config_str(&c, "TEST_SET", "x"), "abc");
	assert_string_equal(svc_config_str(&c, "TEST_UNSET", "dflt"), "dflt");
	assert_int_equal(svc_config_check(&c, "test"), 0);
}

static void bad_integers_are_all_reported(void **state)
{
	(void)state;
	setenv("TEST_PORT", "80a", 1);
	setenv("TEST_WORKERS", "1000", 1);
	setenv("TEST_OK", "42", 1);
	struct svc_config c;
	svc_config_init(&c);
	svc_config_long(&c, "TEST_PORT", NULL, 1, 65535);
	svc_config_long(&c, "TEST_WORKERS", "4", 1, 64);
	assert_int_equal(svc_config_long(&c, "TEST_OK", NULL, 1, 100), 42);
	assert_int_equal(c.count, 2);
	assert_non_null(strstr(c.errors, "TEST_PORT must be an integer"));
	assert_non_null(strstr(c.errors, "TEST_WORKERS must be an integer from 1 to 64"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(required_missing_is_reported),
		cmocka_unit_test(defaults_and_values),
		cmocka_unit_test(bad_integers_are_all_reported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
