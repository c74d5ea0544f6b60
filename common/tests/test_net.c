#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "svc/net.h"

static void parses_addresses_and_blocks(void **state)
{
	(void)state;
	struct svc_nets s;
	char err[160];
	assert_int_equal(svc_nets_parse(" 127.0.0.1, 10.0.0.0/8 ,::1,fd00::/8,", &s, err,
					sizeof err), 0);
	assert_int_equal(s.n, 4);
	assert_true(svc_nets_contains(&s, "127.0.0.1"));
	assert_false(svc_nets_contains(&s, "127.0.0.2"));
	assert_true(svc_nets_contains(&s, "10.200.3.4"));
	assert_false(svc_nets_contains(&s, "11.0.0.1"));
	assert_true(svc_nets_contains(&s, "::1"));
	assert_true(svc_nets_contains(&s, "fd12:3456::1"));
	assert_false(svc_nets_contains(&s, "fe80::1"));
	/* An IPv4-mapped IPv6 peer is the IPv4 address. */
	assert_true(svc_nets_contains(&s, "::ffff:10.1.2.3"));
	assert_false(svc_nets_contains(&s, "not-an-address"));
	svc_nets_cleanup(&s);

	assert_int_equal(svc_nets_parse("", &s, err, sizeof err), 0);
	assert_int_equal(s.n, 0);
	assert_false(svc_nets_contains(&s, "127.0.0.1"));
	assert_int_equal(svc_nets_parse(NULL, &s, err, sizeof err), 0);

	const char *bad[] = {"localhost", "10.0.0.0/33", "::/129", "1.2.3.4/", "1.2.3.4/x",
			     "1.2.3.4/8/8", "300.1.1.1"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(svc_nets_parse(bad[i], &s, err, sizeof err), -1);
		assert_non_null(strstr(err, "not an IP address"));
		assert_null(s.v);
	}
}

static void canonical_text(void **state)
{
	(void)state;
	char out[64];
	assert_true(svc_addr_canonical("2001:DB8::0:1", 13, out, sizeof out));
	assert_string_equal(out, "2001:db8::1");
	assert_true(svc_addr_canonical("::ffff:127.0.0.1", 16, out, sizeof out));
	assert_string_equal(out, "127.0.0.1");
	assert_false(svc_addr_canonical("example.com", 11, out, sizeof out));
}

static void special_purpose_networks(void **state)
{
	(void)state;
	static const struct {
		const char *addr, *why;
	} cases[] = {
		{"0.0.0.0", "unspecified"},
		{"0.1.2.3", "unspecified"},
		{"10.1.2.3", "private"},
		{"100.64.0.1", "shared address space"},
		{"127.0.0.1", "loopback"},
		{"127.255.255.254", "loopback"},
		{"169.254.169.254", "link-local"}, /* cloud metadata */
		{"172.16.0.1", "private"},
		{"172.31.255.255", "private"},
		{"192.168.1.1", "private"},
		{"192.0.2.7", "documentation"},
		{"198.18.0.1", "benchmarking"},
		{"224.0.0.251", "multicast"},
		{"239.255.255.250", "multicast"},
		{"255.255.255.255", "reserved"},
		{"::", "unspecified"},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"},
		{"::ffff:10.0.0.1", "private"},
		{"::127.0.0.1", "reserved"},
		{"64:ff9b::a00:1", "reserved"},
		{"2002:a00:1::1", "reserved"},
		{"fd00::1", "private"},
		{"fe80::1", "link-local"},
		{"ff02::fb", "multicast"},
		{"2001:db8::1", "documentation"},
		{"nonsense", "not an IP address"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *why = svc_addr_special(cases[i].addr);
		assert_non_null(why);
		assert_string_equal(why, cases[i].why);
	}
	/* Public unicast addresses, next to the blocks' edges. */
	const char *pub[] = {"1.1.1.1", "9.255.255.255", "11.0.0.0", "100.63.255.255",
			     "100.128.0.0", "172.15.255.255", "172.32.0.0", "192.167.255.255",
			     "192.169.0.0", "223.255.255.255", "2606:4700::1111", "2a00:1450::1"};
	for (size_t i = 0; i < sizeof pub / sizeof pub[0]; i++)
		assert_null(svc_addr_special(pub[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_addresses_and_blocks),
		cmocka_unit_test(canonical_text),
		cmocka_unit_test(special_purpose_networks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
