#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "svc/sleep.h"
#include "svc/util.h"

static void *kicker(void *arg)
{
	struct timespec ts = {0, 50 * 1000000L};
	nanosleep(&ts, NULL);
	svc_sleep_kick(arg);
	return NULL;
}

static void kicks_wake_and_stop_ends(void **state)
{
	(void)state;
	struct svc_sleep s;
	svc_sleep_init(&s);
	long long t0 = svc_now_ms();
	assert_false(svc_sleep_wait(&s, 30, true)); /* times out */
	assert_true(svc_now_ms() - t0 >= 25);

	pthread_t th;
	t0 = svc_now_ms();
	assert_int_equal(pthread_create(&th, NULL, kicker, &s), 0);
	assert_false(svc_sleep_wait(&s, 10000, true));
	assert_true(svc_now_ms() - t0 < 5000);
	pthread_join(th, NULL);

	/* A pause that ignores kicks runs its whole length. */
	svc_sleep_kick(&s);
	t0 = svc_now_ms();
	assert_false(svc_sleep_wait(&s, 40, false));
	assert_true(svc_now_ms() - t0 >= 35);

	assert_false(svc_sleep_stopping(&s));
	svc_sleep_stop(&s);
	assert_true(svc_sleep_stopping(&s));
	assert_true(svc_sleep_wait(&s, 10000, false));
	svc_sleep_cleanup(&s);

	long b = 0;
	assert_int_equal(svc_sleep_backoff(&b, 100, 1000), 100);
	assert_int_equal(svc_sleep_backoff(&b, 100, 1000), 200);
	assert_int_equal(svc_sleep_backoff(&b, 100, 1000), 400);
	assert_int_equal(svc_sleep_backoff(&b, 100, 1000), 800);
	assert_int_equal(svc_sleep_backoff(&b, 100, 1000), 1000);
	assert_int_equal(svc_sleep_backoff(&b, 100, 1000), 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kicks_wake_and_stop_ends),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
