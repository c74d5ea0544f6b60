#include "svc/pool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>

#include "svc/log.h"
#include "svc/metrics.h"

struct job {
	struct job *next;
	svc_pool_fn work, done;
	void *arg;
};

/* Under lock: the queue, the done list, the counters and stopping. */
struct svc_pool {
	char name[32];
	char labels[48];
	struct event_base *base;
	int nthreads;
	pthread_t *threads;
	int started;
	size_t max_queued;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job *head, *tail;
	size_t queued;
	struct job *done_head, *done_tail;
	bool stopping;
	struct event *done_ev;
};

static void gauge(struct svc_pool *p, size_t queued)
{
	svc_metrics_set("pool_queued", "Jobs waiting for a worker thread.", p->labels,
			(double)queued);
}

/* Runs the done callbacks handed back, in the order their work ended. */
static void run_done(struct svc_pool *p)
{
	pthread_mutex_lock(&p->lock);
	struct job *list = p->done_head;
	p->done_head = p->done_tail = NULL;
	pthread_mutex_unlock(&p->lock);
	while (list) {
		struct job *j = list;
		list = j->next;
		if (j->done)
			j->done(j->arg);
		free(j);
	}
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	run_done(arg);
}

static void *worker(void *arg)
{
	struct svc_pool *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		while (!p->head && !p->stopping)
			pthread_cond_wait(&p->cond, &p->lock);
		struct job *j = p->head;
		if (!j) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		p->head = j->next;
		if (!p->head)
			p->tail = NULL;
		size_t queued = --p->queued;
		pthread_mutex_unlock(&p->lock);
		gauge(p, queued);

		j->work(j->arg);

		j->next = NULL;
		pthread_mutex_lock(&p->lock);
		if (p->done_tail)
			p->done_tail->next = j;
		else
			p->done_head = j;
		p->done_tail = j;
		pthread_mutex_unlock(&p->lock);
		event_active(p->done_ev, EV_READ, 0);
	}
}

struct svc_pool *svc_pool_new(struct event_base *base, const char *name, int threads,
			      size_t max_queued)
{
	struct svc_pool *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	snprintf(p->name, sizeof p->name, "%s", name);
	snprintf(p->labels, sizeof p->labels, "pool=\"%s\"", p->name);
	p->base = base;
	p->nthreads = threads < 1 ? 1 : threads;
	p->max_queued = max_queued;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->threads = calloc((size_t)p->nthreads, sizeof *p->threads);
	p->done_ev = event_new(base, -1, 0, on_done, p);
	if (!p->threads || !p->done_ev) {
		svc_pool_free(p);
		return NULL;
	}
	return p;
}

int svc_pool_start(struct svc_pool *p)
{
	for (; p->started < p->nthreads; p->started++) {
		if (pthread_create(&p->threads[p->started], NULL, worker, p) != 0) {
			svc_error(NULL, "pool %s: cannot start worker threads", p->name);
			return -1;
		}
	}
	gauge(p, 0);
	return 0;
}

int svc_pool_submit(struct svc_pool *p, svc_pool_fn work, svc_pool_fn done, void *arg)
{
	struct job *j = malloc(sizeof *j);
	if (!j)
		return -1;
	j->next = NULL;
	j->work = work;
	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&p->lock);
	bool room = !p->stopping && p->queued < p->max_queued;
	size_t queued = p->queued;
	if (room) {
		if (p->tail)
			p->tail->next = j;
		else
			p->head = j;
		p->tail = j;
		queued = ++p->queued;
		pthread_cond_signal(&p->cond);
	}
	pthread_mutex_unlock(&p->lock);
	if (!room) {
		free(j);
		svc_metrics_inc("pool_rejected_total",
				"Jobs refused because the pool's queue was full.", p->labels, 1);
		return -1;
	}
	gauge(p, queued);
	return 0;
}

size_t svc_pool_queued(struct svc_pool *p)
{
	pthread_mutex_lock(&p->lock);
	size_t n = p->queued;
	pthread_mutex_unlock(&p->lock);
	return n;
}

const char *svc_pool_name(const struct svc_pool *p)
{
	return p->name;
}

void svc_pool_stop(struct svc_pool *p)
{
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; i < p->started; i++)
		pthread_join(p->threads[i], NULL);
	p->started = 0;
	/* Jobs no thread took (none ever started): run them here. */
	pthread_mutex_lock(&p->lock);
	struct job *left = p->head;
	p->head = p->tail = NULL;
	p->queued = 0;
	pthread_mutex_unlock(&p->lock);
	while (left) {
		struct job *j = left;
		left = j->next;
		j->work(j->arg);
		if (j->done)
			j->done(j->arg);
		free(j);
	}
	run_done(p);
}

void svc_pool_free(struct svc_pool *p)
{
	if (!p)
		return;
	if (p->done_ev)
		svc_pool_stop(p);
	if (p->done_ev)
		event_free(p->done_ev);
	free(p->threads);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p);
}
