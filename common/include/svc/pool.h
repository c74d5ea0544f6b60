/* A bounded pool of worker threads for blocking or CPU-heavy work
 * (Postgres, Argon2, calls to the sidecar from handlers), handing each job
 * back to the event loop once it ran.
 *
 * Who touches what: svc_pool_submit may be called from any thread; work
 * runs on one of the pool's threads; done runs on the loop thread of the
 * base the pool was made with, after work returned. The queue is bounded:
 * a submit that finds max_queued jobs waiting fails at once, and the
 * caller answers 503 with Retry-After instead of queueing without end. */
#ifndef SVC_POOL_H
#define SVC_POOL_H

#include <stddef.h>

struct event_base;
struct svc_pool;

typedef void (*svc_pool_fn)(void *arg);

/* A pool named name (copied; for logs and metrics) of threads threads on
 * base, holding at most max_queued jobs that wait for a thread. Nothing
 * runs before svc_pool_start. NULL on OOM. */
struct svc_pool *svc_pool_new(struct event_base *base, const char *name, int threads,
			      size_t max_queued);
/* Starts the threads. Returns 0, or -1 after logging why. */
int svc_pool_start(struct svc_pool *p);
/* Queues work(arg), then done(arg) on the loop thread (done may be NULL).
 * Returns 0, or -1 when the queue is full or the pool is stopping: nothing
 * was queued, and pool_rejected_total{pool} counted it. */
int svc_pool_submit(struct svc_pool *p, svc_pool_fn work, svc_pool_fn done, void *arg);
/* Jobs waiting for a thread now. */
size_t svc_pool_queued(struct svc_pool *p);
const char *svc_pool_name(const struct svc_pool *p);
/* Refuses new jobs, lets the threads finish every queued job, joins them,
 * and runs the done callbacks left on the calling thread (the loop
 * thread, or after the loop stopped). */
void svc_pool_stop(struct svc_pool *p);
/* Stops if needed, then frees. NULL is a no-op. */
void svc_pool_free(struct svc_pool *p);

#endif
