/* The pool's bookkeeping, without a server: handles connect on their first
 * query, so acquiring, waiting and giving back need none; a port nothing
 * listens on stands for a database that is down. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "svc/metrics.h"
#include "svc/pg.h"
#include "svc/util.h"

/* Port 1 on loopback: refused at once. */
#define DOWN "host=127.0.0.1 port=1 connect_timeout=2"

static void at_most_max_handles_then_database_busy(void **state)
{
	(void)state;
	assert_null(svc_pg_pool_new(DOWN, 0));
	struct svc_pg_pool *pool = svc_pg_pool_new(DOWN, 2);
	assert_non_null(pool);
	struct svc_err err = {0};
	struct svc_pg *a = svc_pg_acquire(pool, 0, &err);
	struct svc_pg *b = svc_pg_acquire(pool, 0, &err);
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	assert_int_equal(svc_pg_pool_in_use(pool), 2);

	long long t0 = svc_now_ms();
	assert_null(svc_pg_acquire(pool, 60, &err));
	assert_true(svc_now_ms() - t0 >= 55);
	assert_int_equal(err.code, SVC_EUNAVAIL);
	assert_string_equal(err.message, "database busy");

	/* A handle given back is handed out again, most recent first. */
	svc_pg_release(pool, b);
	assert_int_equal(svc_pg_pool_in_use(pool), 1);
	assert_ptr_equal(svc_pg_acquire(pool, 0, &err), b);
	svc_pg_release(pool, a);
	svc_pg_release(pool, b);
	svc_pg_release(pool, NULL);
	assert_int_equal(svc_pg_pool_in_use(pool), 0);

	size_t len = 0;
	char *text = svc_metrics_render(&len);
	assert_non_null(strstr(text, "pg_pool_handles{state=\"in_use\"} 0"));
	assert_non_null(strstr(text, "pg_pool_handles{state=\"open\"} 2"));
	assert_non_null(strstr(text, "pg_pool_busy_total 1"));
	free(text);
	svc_pg_pool_free(pool);
}

struct giver {
	struct svc_pg_pool *pool;
	struct svc_pg *pg;
};

static void *give_back_later(void *arg)
{
	struct giver *g = arg;
	struct timespec ts = {0, 80 * 1000000L};
	nanosleep(&ts, NULL);
	svc_pg_release(g->pool, g->pg);
	return NULL;
}

static void a_waiter_gets_the_handle_given_back(void **state)
{
	(void)state;
	struct svc_pg_pool *pool = svc_pg_pool_new(DOWN, 1);
	struct svc_err err = {0};
	struct giver g = {pool, svc_pg_acquire(pool, 0, &err)};
	assert_non_null(g.pg);
	pthread_t th;
	long long t0 = svc_now_ms();
	assert_int_equal(pthread_create(&th, NULL, give_back_later, &g), 0);
	struct svc_pg *pg = svc_pg_acquire(pool, 10000, &err);
	assert_ptr_equal(pg, g.pg);
	assert_true(svc_now_ms() - t0 < 5000);
	pthread_join(th, NULL);
	svc_pg_release(pool, pg);
	svc_pg_pool_free(pool);
}

static void a_database_that_is_down_is_not_ready(void **state)
{
	(void)state;
	struct svc_pg_pool *pool = svc_pg_pool_new(DOWN, 1);
	struct svc_err err = {0};
	assert_int_equal(svc_pg_ready_check(pool, &err), SVC_EUNAVAIL);
	assert_non_null(strstr(err.message, "postgres unavailable"));
	/* The check gave its handle back: the pool is whole. */
	assert_int_equal(svc_pg_pool_in_use(pool), 0);
	struct svc_pg *pg = svc_pg_acquire(pool, 0, &err);
	assert_non_null(pg);
	unsigned long before = svc_pg_session(pg);
	assert_int_equal(svc_pg_ping(pg, &err), SVC_EUNAVAIL);
	assert_true(svc_pg_session(pg) != before); /* a connect was tried anew */
	svc_pg_release(pool, pg);
	svc_pg_pool_free(pool);
}

static void options_come_from_the_environment(void **state)
{
	(void)state;
	struct svc_config cfg;
	struct svc_pg_opts o;
	unsetenv("DATABASE_URL");
	unsetenv("DATABASE_POOL_SIZE");
	unsetenv("DATABASE_WAIT_MS");
	svc_config_init(&cfg);
	svc_pg_opts_read(&cfg, &o);
	assert_int_equal(cfg.count, 1); /* DATABASE_URL is required */
	assert_int_equal(o.pool_size, 4);
	assert_int_equal(o.wait_ms, 5000);

	setenv("DATABASE_URL", DOWN, 1);
	setenv("DATABASE_POOL_SIZE", "9", 1);
	setenv("DATABASE_WAIT_MS", "250", 1);
	svc_config_init(&cfg);
	svc_pg_opts_read(&cfg, &o);
	assert_int_equal(cfg.count, 0);
	assert_string_equal(o.conninfo, DOWN);
	assert_int_equal(o.pool_size, 9);
	assert_int_equal(o.wait_ms, 250);

	setenv("DATABASE_POOL_SIZE", "0", 1);
	svc_config_init(&cfg);
	svc_pg_opts_read(&cfg, &o);
	assert_int_equal(cfg.count, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(at_most_max_handles_then_database_busy),
		cmocka_unit_test(a_waiter_gets_the_handle_given_back),
		cmocka_unit_test(a_database_that_is_down_is_not_ready),
		cmocka_unit_test(options_come_from_the_environment),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
