#include "timer.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_THREADS 64

struct rem_timer {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct rem_claim *heap; /* min-heap on at_ms */
	size_t n, size;
	bool stop;
	rem_timer_fn fire;
	void *arg;
	pthread_t threads[MAX_THREADS];
	int nthreads;
};

long long rem_timer_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void swap(struct rem_claim *a, struct rem_claim *b)
{
	struct rem_claim t = *a;
	*a = *b;
	*b = t;
}

static void sift_up(struct rem_claim *h, size_t i)
{
	while (i > 0 && h[(i - 1) / 2].at_ms > h[i].at_ms) {
		swap(&h[(i - 1) / 2], &h[i]);
		i = (i - 1) / 2;
	}
}

static void sift_down(struct rem_claim *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && h[l].at_ms < h[m].at_ms)
			m = l;
		if (r < n && h[r].at_ms < h[m].at_ms)
			m = r;
		if (m == i)
			return;
		swap(&h[m], &h[i]);
		i = m;
	}
}

static struct rem_claim pop(struct rem_timer *t)
{
	struct rem_claim top = t->heap[0];
	t->heap[0] = t->heap[--t->n];
	sift_down(t->heap, t->n, 0);
	return top;
}

static void *run(void *arg)
{
	struct rem_timer *t = arg;
	pthread_mutex_lock(&t->lock);
	while (!t->stop) {
		if (t->n == 0) {
			pthread_cond_wait(&t->cond, &t->lock);
			continue;
		}
		long long at = t->heap[0].at_ms;
		if (at <= rem_timer_now_ms()) {
			struct rem_claim c = pop(t);
			pthread_mutex_unlock(&t->lock);
			t->fire(t->arg, &c);
			pthread_mutex_lock(&t->lock);
			continue;
		}
		/* Until the earliest claim is due, or an earlier one is added. */
		struct timespec until = {(time_t)(at / 1000), (long)(at % 1000) * 1000000L};
		pthread_cond_timedwait(&t->cond, &t->lock, &until);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

struct rem_timer *rem_timer_start(int threads, rem_timer_fn fire, void *arg)
{
	if (threads < 1 || threads > MAX_THREADS)
		return NULL;
	struct rem_timer *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, NULL); /* CLOCK_REALTIME, as the fire times */
	t->fire = fire;
	t->arg = arg;
	for (int i = 0; i < threads; i++) {
		if (pthread_create(&t->threads[i], NULL, run, t) != 0) {
			rem_timer_stop(t, NULL, NULL);
			return NULL;
		}
		t->nthreads++;
	}
	return t;
}

int rem_timer_add(struct rem_timer *t, const struct rem_claim *c)
{
	int rc = -1;
	pthread_mutex_lock(&t->lock);
	if (t->stop)
		goto out;
	if (t->n == t->size) {
		size_t size = t->size ? t->size * 2 : 64;
		struct rem_claim *h = realloc(t->heap, size * sizeof *h);
		if (!h)
			goto out;
		t->heap = h;
		t->size = size;
	}
	t->heap[t->n] = *c;
	sift_up(t->heap, t->n++);
	/* Every waiter re-reads the earliest time. */
	pthread_cond_broadcast(&t->cond);
	rc = 0;
out:
	pthread_mutex_unlock(&t->lock);
	return rc;
}

size_t rem_timer_pending(struct rem_timer *t)
{
	pthread_mutex_lock(&t->lock);
	size_t n = t->n;
	pthread_mutex_unlock(&t->lock);
	return n;
}

void rem_timer_stop(struct rem_timer *t, rem_timer_fn leftover, void *arg)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	t->stop = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	for (int i = 0; i < t->nthreads; i++)
		pthread_join(t->threads[i], NULL);
	for (size_t i = 0; i < t->n; i++)
		if (leftover)
			leftover(arg, &t->heap[i]);
	free(t->heap);
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->cond);
	free(t);
}
