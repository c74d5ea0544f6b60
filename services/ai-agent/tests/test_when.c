#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lex.h"
#include "when.h"
#include "svc/util.h"

static long long at(const char *s)
{
	long long t = 0;
	assert_int_equal(svc_time_parse_rfc3339(s, &t), 0);
	return t;
}

static void expect_local(const char *zone, const char *civil, const char *want)
{
	struct agt_civil c = {0};
	assert_int_equal(
		sscanf(civil, "%d-%d-%dT%d:%d", &c.year, &c.month, &c.day, &c.hour, &c.minute), 5);
	long long t = 0;
	assert_int_equal(agt_instant(zone, &c, &t), SVC_OK);
	char got[32];
	assert_int_equal(agt_rfc3339_local(zone, t, got, sizeof got), SVC_OK);
	if (strcmp(got, want) != 0)
		fail_msg("%s %s: got %s, want %s", zone, civil, got, want);
}

static void local_times_across_dst(void **state)
{
	(void)state;
	expect_local("America/New_York", "2026-03-07T09:00", "2026-03-07T09:00:00-05:00");
	expect_local("America/New_York", "2026-03-09T09:00", "2026-03-09T09:00:00-04:00");
	/* The hour clocks skip: moved forward by the gap. */
	expect_local("America/New_York", "2026-03-08T02:30", "2026-03-08T03:30:00-04:00");
	/* The hour that happens twice: the first of the two. */
	expect_local("America/New_York", "2026-11-01T01:30", "2026-11-01T01:30:00-04:00");
	expect_local("Europe/Berlin", "2026-03-29T02:15", "2026-03-29T03:15:00+02:00");
	expect_local("Asia/Kolkata", "2026-03-07T06:00", "2026-03-07T06:00:00+05:30");
	expect_local("UTC", "2026-03-05T20:00", "2026-03-05T20:00:00Z");
	expect_local("Australia/Sydney", "2026-04-05T02:30", "2026-04-05T02:30:00+11:00");
}

static void local_of_an_instant(void **state)
{
	(void)state;
	struct agt_civil c;
	int off = 0;
	assert_int_equal(agt_local("Asia/Kolkata", at("2026-03-05T19:30:00Z"), &c, &off), SVC_OK);
	assert_int_equal(c.day, 6);
	assert_int_equal(c.hour, 1);
	assert_int_equal(c.wday, 5); /* Friday */
	assert_int_equal(off, 19800);
	assert_int_equal(agt_local("Nowhere/Else", 0, &c, NULL), SVC_EINVAL);
	assert_false(agt_zone_valid("Nowhere/Else"));
	assert_false(agt_zone_valid(""));
	assert_true(agt_zone_valid("UTC"));
	assert_true(agt_zone_valid("Europe/Berlin"));
}

static void calendar(void **state)
{
	(void)state;
	assert_int_equal(agt_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(agt_weekday(2026, 3, 5), 4);
	assert_int_equal(agt_days_in_month(2028, 2), 29);
	assert_int_equal(agt_days_in_month(2100, 2), 28);
	struct agt_civil c = {.year = 2026, .month = 1, .day = 31};
	agt_civil_add_months(&c, 1);
	assert_int_equal(c.month, 2);
	assert_int_equal(c.day, 28);
	c = (struct agt_civil){.year = 2026, .month = 12, .day = 31};
	agt_civil_add_days(&c, 1);
	assert_int_equal(c.year, 2027);
	assert_int_equal(c.month, 1);
	assert_int_equal(c.day, 1);
	c = (struct agt_civil){.year = 2026, .month = 3, .day = 0};
	agt_civil_normalize(&c);
	assert_int_equal(c.month, 2);
	assert_int_equal(c.day, 28);
	for (long long d = -800000; d < 800000; d += 997) {
		int y, m, dd;
		agt_civil_from_days(d, &y, &m, &dd);
		assert_int_equal(agt_days_from_civil(y, m, dd), d);
	}
}

static void tokens(void **state)
{
	(void)state;
	struct agt_toks t;
	const char *text = "Add \u201cPay rent\u201d tomorrow, 5pm!! #Home (p1) don\u2019t";
	assert_int_equal(agt_lex(text, &t), SVC_OK);
	const char *want[] = {"add",  "",  "tomorrow", ",", "5pm",  "!!",
			      "home", "(", "p1",       ")", "don't"};
	enum agt_tok_kind kinds[] = {AGT_TOK_WORD, AGT_TOK_QUOTE, AGT_TOK_WORD, AGT_TOK_PUNCT,
				     AGT_TOK_NUM,  AGT_TOK_BANGS, AGT_TOK_HASH, AGT_TOK_PUNCT,
				     AGT_TOK_WORD, AGT_TOK_PUNCT, AGT_TOK_WORD};
	assert_int_equal(t.n, 11);
	for (size_t i = 0; i < t.n; i++) {
		assert_int_equal(t.v[i].kind, kinds[i]);
		if (kinds[i] != AGT_TOK_QUOTE)
			assert_string_equal(t.v[i].w, want[i]);
	}
	/* The quote's content, as typed. */
	assert_int_equal(t.v[1].e - t.v[1].b, 8);
	assert_memory_equal(text + t.v[1].b, "Pay rent", 8);
	assert_int_equal(agt_match(&t, 2, "tomorrow ,? 5pm"), 3);
	/* "at?" may be left out, "5pm" may not: the comma is in the way. */
	assert_int_equal(agt_match(&t, 2, "today|tomorrow at? 5pm"), 0);
	assert_true(agt_is(&t, 0, "create|add"));
	/* A #tag is never a keyword. */
	assert_false(agt_is(&t, 6, "home"));
	agt_use(&t, 0, 1);
	assert_false(agt_is(&t, 0, "add"));
	agt_toks_cleanup(&t);

	/* An unclosed quote is text; an apostrophe inside a word is no quote. */
	assert_int_equal(agt_lex("add 'milk and rock'n'roll", &t), SVC_OK);
	for (size_t i = 0; i < t.n; i++)
		assert_int_not_equal(t.v[i].kind, AGT_TOK_QUOTE);
	agt_toks_cleanup(&t);
	assert_int_equal(agt_lex("   ", &t), SVC_OK);
	assert_int_equal(t.n, 0);
	agt_toks_cleanup(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(local_times_across_dst),
		cmocka_unit_test(local_of_an_instant),
		cmocka_unit_test(calendar),
		cmocka_unit_test(tokens),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
