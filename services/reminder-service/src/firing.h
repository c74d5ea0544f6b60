/* Firing reminders: a claim pass (the cron tick) claims what falls due
 * within the look-ahead and queues each claim on the timer; at its time a
 * claim is checked against the stored state, published as reminder-due and
 * completed. */
#ifndef REM_FIRING_H
#define REM_FIRING_H

#include <pthread.h>
#include <stddef.h>

#include "reminder_store.h"
#include "timer.h"

struct rem_firing {
	struct rem_store store;
	const struct svc_dapr *dapr; /* borrowed */
	const char *pubsub;          /* borrowed */
	long tick_ms;      /* the reminder-cron period the service expects */
	long lookahead_ms; /* a pass claims what falls due within this */
	long lease_ms;     /* a claim not done this long after its time is requeued */
	long retry_ms;     /* a failed firing is tried again after this */
	size_t batch;      /* claims per round trip */
	struct rem_timer *timer;
	pthread_mutex_t lock;
	long long last_pass_ms; /* wall clock of the last cron tick, 0 before it */
};

/* Initializes what f holds beyond its settings and starts the timer with
 * threads firing threads. Returns 0 or -1. */
int rem_firing_start(struct rem_firing *f, int threads);
/* Stops the timer after the firings in progress; claims not fired yet go
 * back to the due index, and so do claims a pass makes from now on. */
void rem_firing_stop(struct rem_firing *f);
/* Stops if still running and frees what rem_firing_start made; call when
 * no handler can run any more (after svc_app_free). */
void rem_firing_cleanup(struct rem_firing *f);

/* One claim pass: claims what is due within the look-ahead (in batches) and
 * queues it to fire at its time. cron is true for a cron tick (watched for
 * gaps), false for a pass an event asked for. */
enum svc_result rem_firing_pass(struct rem_firing *f, bool cron, struct svc_err *err);

/* Fires one claim now (the timer's callback; arg is the struct rem_firing). */
void rem_firing_fire(void *arg, const struct rem_claim *c);

#endif
