#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ratelimit.h"

static void client_is_the_last_hop_behind_a_trusted_proxy(void **state)
{
	(void)state;
	struct svc_nets trusted;
	char err[160], out[64];
	assert_int_equal(svc_nets_parse("127.0.0.1", &trusted, err, sizeof err), 0);

	gw_client_addr(&trusted, "127.0.0.1", "203.0.113.9, 198.51.100.7", out, sizeof out);
	assert_string_equal(out, "198.51.100.7");
	gw_client_addr(&trusted, "127.0.0.1", " 2001:DB8::0:1 ", out, sizeof out);
	assert_string_equal(out, "2001:db8::1");
	/* No header, or a last hop that is no address: the peer. */
	gw_client_addr(&trusted, "127.0.0.1", NULL, out, sizeof out);
	assert_string_equal(out, "127.0.0.1");
	gw_client_addr(&trusted, "127.0.0.1", "1.2.3.4, unknown", out, sizeof out);
	assert_string_equal(out, "127.0.0.1");
	gw_client_addr(&trusted, "127.0.0.1", "", out, sizeof out);
	assert_string_equal(out, "127.0.0.1");
	/* An untrusted peer cannot pick its own address. */
	gw_client_addr(&trusted, "192.0.2.1", "198.51.100.7", out, sizeof out);
	assert_string_equal(out, "192.0.2.1");
	svc_nets_cleanup(&trusted);

	struct svc_nets none = {0};
	gw_client_addr(&none, "::ffff:127.0.0.1", "198.51.100.7", out, sizeof out);
	assert_string_equal(out, "127.0.0.1");
}

static void checks_per_address_sign_in_and_user(void **state)
{
	(void)state;
	struct gw_rl_limits l = {.addr = 600, .auth = 20, .user = 300};
	struct gw_rl_check c[GW_RL_MAX_CHECKS];

	assert_int_equal(gw_rl_checks(&l, "/api/tasks", "192.0.2.1", NULL, c), 1);
	assert_string_equal(c[0].key, "todo:rl:addr:192.0.2.1");
	assert_int_equal(c[0].limit, 600);
	assert_string_equal(c[0].name, "address");

	assert_int_equal(gw_rl_checks(&l, "/api/tasks", "192.0.2.1", "u-1", c), 2);
	assert_string_equal(c[1].key, "todo:rl:user:u-1");
	assert_int_equal(c[1].limit, 300);

	const char *auth[] = {"/api/auth/register", "/api/auth/login", "/api/auth/refresh"};
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(gw_rl_checks(&l, auth[i], "::1", NULL, c), 2);
		assert_string_equal(c[1].key, "todo:rl:auth:::1");
		assert_int_equal(c[1].limit, 20);
		assert_string_equal(c[1].name, "sign-in");
	}
	/* logout and me are ordinary requests. */
	assert_int_equal(gw_rl_checks(&l, "/api/auth/logout", "::1", NULL, c), 1);
	assert_int_equal(gw_rl_checks(&l, "/api/auth/login/", "::1", NULL, c), 1);

	/* 0 turns a limit off. */
	struct gw_rl_limits off = {0};
	assert_int_equal(gw_rl_checks(&off, "/api/auth/login", "::1", "u", c), 0);
	struct gw_rl_limits only_user = {.user = 5};
	assert_int_equal(gw_rl_checks(&only_user, "/api/tasks", "::1", "", c), 0);
	assert_int_equal(gw_rl_checks(&only_user, "/api/tasks", "::1", "u", c), 1);
}

static void retry_after_rounds_the_window_up(void **state)
{
	(void)state;
	assert_int_equal(gw_rl_retry_after(60000), 60);
	assert_int_equal(gw_rl_retry_after(59001), 60);
	assert_int_equal(gw_rl_retry_after(59000), 59);
	assert_int_equal(gw_rl_retry_after(1), 1);
	assert_int_equal(gw_rl_retry_after(0), 1);
	assert_int_equal(gw_rl_retry_after(-2), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(client_is_the_last_hop_behind_a_trusted_proxy),
		cmocka_unit_test(checks_per_address_sign_in_and_user),
		cmocka_unit_test(retry_after_rounds_the_window_up),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
