/* The rate-limit table: what it knows, how it counts, what it sends and
 * forgets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ratecount.h"

static void unknown_until_redis_answers(void **state)
{
	(void)state;
	struct gw_rl_table *t = gw_rl_table_new(8);
	assert_false(gw_rl_table_known(t, "todo:rl:addr:1", 0));
	/* A request counted on its way: Redis says 3 so far, 60 s left. */
	gw_rl_table_learn(t, "todo:rl:addr:1", 3, 60000, 0, 1000);
	assert_true(gw_rl_table_known(t, "todo:rl:addr:1", 1000));
	assert_true(gw_rl_table_known(t, "todo:rl:addr:1", 60999));
	assert_false(gw_rl_table_known(t, "todo:rl:addr:1", 61000));
	gw_rl_table_free(t);
}

static void counts_locally_and_sends_in_batches(void **state)
{
	(void)state;
	struct gw_rl_table *t = gw_rl_table_new(8);
	gw_rl_table_learn(t, "k", 3, 60000, 0, 0);
	long long total, left;
	gw_rl_table_count(t, "k", 1000, &total, &left);
	assert_int_equal(total, 4);
	assert_int_equal(left, 59000);
	gw_rl_table_count(t, "k", 2000, &total, &left);
	assert_int_equal(total, 5);
	/* The flush takes both; while they travel they still count. */
	struct gw_rl_send out[4];
	assert_int_equal(gw_rl_table_take(t, 2000, out, 4), 1);
	assert_string_equal(out[0].key, "k");
	assert_int_equal(out[0].n, 2);
	assert_int_equal(gw_rl_table_take(t, 2000, out, 4), 0);
	gw_rl_table_count(t, "k", 2100, &total, &left);
	assert_int_equal(total, 6);
	/* Redis answers the flush: another replica counted 10 meanwhile. */
	gw_rl_table_learn(t, "k", 15, 57000, 2, 2200);
	gw_rl_table_count(t, "k", 2300, &total, &left);
	assert_int_equal(total, 17); /* 15 + the two counted here since */
	gw_rl_table_free(t);
}

static void a_failed_flush_keeps_its_counts(void **state)
{
	(void)state;
	struct gw_rl_table *t = gw_rl_table_new(8);
	gw_rl_table_learn(t, "k", 1, 60000, 0, 0);
	long long total, left;
	gw_rl_table_count(t, "k", 10, &total, &left);
	struct gw_rl_send out[1];
	assert_int_equal(gw_rl_table_take(t, 10, out, 1), 1);
	gw_rl_table_give_back(t, "k", out[0].n);
	gw_rl_table_count(t, "k", 20, &total, &left);
	assert_int_equal(total, 3);
	assert_int_equal(gw_rl_table_take(t, 20, out, 1), 1);
	assert_int_equal(out[0].n, 2);
	gw_rl_table_free(t);
}

static void ended_windows_are_forgotten(void **state)
{
	(void)state;
	struct gw_rl_table *t = gw_rl_table_new(2);
	gw_rl_table_learn(t, "a", 1, 1000, 0, 0);
	gw_rl_table_learn(t, "b", 1, 5000, 0, 0);
	/* Full: a third key is left out (counted in Redis each time). */
	gw_rl_table_learn(t, "c", 1, 5000, 0, 0);
	assert_false(gw_rl_table_known(t, "c", 0));
	long long total, left;
	gw_rl_table_count(t, "a", 500, &total, &left);
	/* Counts of a window that ended are dropped, not sent into the next. */
	struct gw_rl_send out[2];
	assert_int_equal(gw_rl_table_take(t, 1500, out, 2), 0);
	assert_int_equal(gw_rl_table_sweep(t, 1500), 1);
	gw_rl_table_learn(t, "c", 1, 5000, 0, 1500);
	assert_true(gw_rl_table_known(t, "c", 1500));
	gw_rl_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unknown_until_redis_answers),
		cmocka_unit_test(counts_locally_and_sends_in_batches),
		cmocka_unit_test(a_failed_flush_keeps_its_counts),
		cmocka_unit_test(ended_windows_are_forgotten),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
