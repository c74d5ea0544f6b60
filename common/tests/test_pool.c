/* The bounded pool: work on its threads, done on the loop thread, a queue
 * that refuses past its bound, and a stop that finishes what was queued. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <event2/thread.h>

#include "loop_thread.h"
#include "svc/pool.h"

struct box {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool open;          /* blocking jobs may finish */
	atomic_int ran;     /* work calls */
	atomic_int done;    /* done calls */
	atomic_int wrong_thread; /* done calls off the loop thread */
	pthread_t loop;
	struct event_base *base;
};

static void work_blocking(void *arg)
{
	struct box *b = arg;
	pthread_mutex_lock(&b->lock);
	while (!b->open)
		pthread_cond_wait(&b->cond, &b->lock);
	pthread_mutex_unlock(&b->lock);
	atomic_fetch_add(&b->ran, 1);
}

static void work_quick(void *arg)
{
	struct box *b = arg;
	atomic_fetch_add(&b->ran, 1);
}

static void on_done(void *arg)
{
	struct box *b = arg;
	if (!pthread_equal(pthread_self(), b->loop))
		atomic_fetch_add(&b->wrong_thread, 1);
	atomic_fetch_add(&b->done, 1);
}

static void open_box(struct box *b)
{
	pthread_mutex_lock(&b->lock);
	b->open = true;
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->lock);
}

static void wait_for(atomic_int *v, int want)
{
	for (int i = 0; i < 500 && atomic_load(v) < want; i++)
		usleep(10000);
	assert_int_equal(atomic_load(v), want);
}

static void setup_box(struct box *b, struct loop_thread *l)
{
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->cond, NULL);
	assert_int_equal(loop_thread_start(l), 0);
	b->base = l->base;
	b->loop = l->thread;
}

static void done_runs_on_the_loop_thread(void **state)
{
	(void)state;
	struct box b = {0};
	struct loop_thread t;
	setup_box(&b, &t);
	struct svc_pool *p = svc_pool_new(b.base, "t", 3, 100);
	assert_non_null(p);
	assert_int_equal(svc_pool_start(p), 0);
	for (int i = 0; i < 50; i++)
		assert_int_equal(svc_pool_submit(p, work_quick, on_done, &b), 0);
	wait_for(&b.done, 50);
	assert_int_equal(atomic_load(&b.ran), 50);
	assert_int_equal(atomic_load(&b.wrong_thread), 0);
	loop_thread_stop(&t);
	svc_pool_free(p);
	event_base_free(b.base);
}

static void a_full_queue_refuses_at_once(void **state)
{
	(void)state;
	struct box b = {0};
	struct loop_thread t;
	setup_box(&b, &t);
	struct svc_pool *p = svc_pool_new(b.base, "t", 2, 3);
	assert_int_equal(svc_pool_start(p), 0);
	/* Two jobs hold both threads; three wait; the sixth is refused. */
	for (int i = 0; i < 2; i++)
		assert_int_equal(svc_pool_submit(p, work_blocking, on_done, &b), 0);
	for (int i = 0; i < 100 && svc_pool_queued(p) != 0; i++)
		usleep(10000);
	for (int i = 0; i < 3; i++)
		assert_int_equal(svc_pool_submit(p, work_blocking, on_done, &b), 0);
	assert_int_equal(svc_pool_queued(p), 3);
	assert_int_equal(svc_pool_submit(p, work_blocking, on_done, &b), -1);
	open_box(&b);
	wait_for(&b.done, 5);
	/* Room again once the queue drained. */
	assert_int_equal(svc_pool_submit(p, work_quick, on_done, &b), 0);
	wait_for(&b.done, 6);
	loop_thread_stop(&t);
	svc_pool_free(p);
	event_base_free(b.base);
}

static void stop_finishes_what_was_queued(void **state)
{
	(void)state;
	struct box b = {0};
	struct loop_thread t;
	setup_box(&b, &t);
	struct svc_pool *p = svc_pool_new(b.base, "t", 1, 10);
	assert_int_equal(svc_pool_start(p), 0);
	for (int i = 0; i < 6; i++)
		assert_int_equal(svc_pool_submit(p, work_blocking, on_done, &b), 0);
	loop_thread_stop(&t); /* the loop is gone: stop runs the dones itself */
	b.loop = pthread_self();
	open_box(&b);
	svc_pool_stop(p);
	assert_int_equal(atomic_load(&b.ran), 6);
	assert_int_equal(atomic_load(&b.done), 6);
	assert_int_equal(atomic_load(&b.wrong_thread), 0);
	assert_int_equal(svc_pool_submit(p, work_quick, on_done, &b), -1);
	svc_pool_free(p);
	event_base_free(b.base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(done_runs_on_the_loop_thread),
		cmocka_unit_test(a_full_queue_refuses_at_once),
		cmocka_unit_test(stop_finishes_what_was_queued),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
