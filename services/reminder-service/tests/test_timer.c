/* The timer: claims fire at their time (never before), in time order, and
 * the ones left at stop are handed back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>

#include <cmocka.h>

#include "timer.h"

struct seen {
	pthread_mutex_t lock;
	long long at[16];
	long long when[16];
	int n;
	int left;
};

static void on_fire(void *arg, const struct rem_claim *c)
{
	struct seen *s = arg;
	long long now = rem_timer_now_ms();
	pthread_mutex_lock(&s->lock);
	if (s->n < 16) {
		s->at[s->n] = c->at_ms;
		s->when[s->n] = now;
		s->n++;
	}
	pthread_mutex_unlock(&s->lock);
}

static void on_leftover(void *arg, const struct rem_claim *c)
{
	struct seen *s = arg;
	(void)c;
	s->left++;
}

static struct rem_claim claim(long long at)
{
	struct rem_claim c;
	memset(&c, 0, sizeof c);
	c.at_ms = at;
	snprintf(c.member, sizeof c.member, "m|%lld", at);
	return c;
}

static void claims_fire_at_their_time_in_order(void **state)
{
	(void)state;
	struct seen s = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct rem_timer *t = rem_timer_start(1, on_fire, &s);
	assert_non_null(t);
	long long now = rem_timer_now_ms();
	struct rem_claim a = claim(now + 300), b = claim(now + 100), past = claim(now - 5000),
			 far = claim(now + 60000);
	assert_int_equal(rem_timer_add(t, &a), 0);
	assert_int_equal(rem_timer_add(t, &far), 0);
	assert_int_equal(rem_timer_add(t, &b), 0);
	assert_int_equal(rem_timer_add(t, &past), 0);
	for (int i = 0; i < 100; i++) {
		pthread_mutex_lock(&s.lock);
		int n = s.n;
		pthread_mutex_unlock(&s.lock);
		if (n >= 3)
			break;
		usleep(10 * 1000);
	}
	assert_int_equal(rem_timer_pending(t), 1);
	rem_timer_stop(t, on_leftover, &s);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.left, 1);
	/* In time order; the past one at once; none early, none much late
	 * (generous: this runs on a shared machine). */
	assert_true(s.at[0] == past.at_ms && s.at[1] == b.at_ms && s.at[2] == a.at_ms);
	assert_true(s.when[0] - now < 200);
	for (int i = 1; i < 3; i++) {
		assert_true(s.when[i] >= s.at[i]);
		assert_true(s.when[i] - s.at[i] < 200);
	}
}

static void many_at_once_all_fire_and_bad_sizes_are_refused(void **state)
{
	(void)state;
	assert_null(rem_timer_start(0, on_fire, NULL));
	assert_null(rem_timer_start(65, on_fire, NULL));
	struct seen s = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct rem_timer *t = rem_timer_start(4, on_fire, &s);
	assert_non_null(t);
	/* Many at once grow the heap; all fire. */
	long long now = rem_timer_now_ms();
	for (int i = 0; i < 200; i++) {
		struct rem_claim c = claim(now - i);
		assert_int_equal(rem_timer_add(t, &c), 0);
	}
	for (int i = 0; i < 100 && rem_timer_pending(t) > 0; i++)
		usleep(10 * 1000);
	assert_int_equal(rem_timer_pending(t), 0);
	rem_timer_stop(t, on_leftover, &s);
	assert_int_equal(s.left, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(claims_fire_at_their_time_in_order),
		cmocka_unit_test(many_at_once_all_fire_and_bad_sizes_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
