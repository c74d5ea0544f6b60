#include "firing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/log.h"
#include "svc/metrics.h"

#define MAX_ROUNDS 100 /* batches per pass: bounds one pass's work */
#define MAX_ATTEMPTS 5 /* state conflicts tolerated while firing one claim */

static void count(const char *name, const char *help, const char *result)
{
	char labels[64];
	snprintf(labels, sizeof labels, "result=\"%s\"", result);
	svc_metrics_inc(name, help, labels, 1);
}

/* Publishes reminder-due for s's reminder claimed by c, stamped now. */
static enum svc_result publish(struct rem_firing *f, const struct rem_state *s,
			       const struct rem_claim *c, struct svc_err *err)
{
	long long now = rem_timer_now_ms();
	cJSON *ce = rem_due_event(s, c->at_ms, now);
	char *text = ce ? cJSON_PrintUnformatted(ce) : NULL;
	cJSON_Delete(ce);
	if (!text)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	enum svc_result r = svc_dapr_publish(f->dapr, f->pubsub, "reminder-due", text,
					     strlen(text), s->task_id, err);
	free(text);
	if (r != SVC_OK)
		return r;
	char id[37];
	rem_event_id(s->task_id, c->at_ms, id);
	long long late = now - c->at_ms;
	svc_metrics_observe("reminder_lateness_seconds",
			    "Time from remind_at to publishing reminder-due.", "",
			    late > 0 ? (double)late / 1000.0 : 0.0);
	svc_info(id, "reminder-due published for task %s (%lld ms after remind_at)", s->task_id,
		 late);
	return SVC_OK;
}

/* The firing failed for now: the claim comes back after the retry delay. */
static void retry_later(struct rem_firing *f, const struct rem_claim *c,
			const struct svc_err *why)
{
	struct svc_err err = {0};
	svc_warn(c->task_id, "reminder for %lld not fired yet, retrying in %ld ms: %s",
		 c->at_ms, f->retry_ms, why->message);
	count("reminders_fired_total", "Claimed reminders by outcome.", "retry");
	if (rem_store_retry(&f->store, c, rem_timer_now_ms() + f->retry_ms, &err) != SVC_OK)
		svc_warn(c->task_id, "cannot shorten the claim (its lease ends it): %s",
			 err.message);
}

static void done(struct rem_firing *f, const struct rem_claim *c, const char *outcome)
{
	struct svc_err err = {0};
	count("reminders_fired_total", "Claimed reminders by outcome.", outcome);
	/* A claim left behind comes back when its lease ends and is dropped
	 * then: the state says it fired. */
	if (rem_store_done(&f->store, c, &err) != SVC_OK)
		svc_warn(c->task_id, "cannot complete the claim: %s", err.message);
}

/* Checks the claim against the stored state s (NULL: none). Returns true
 * when that finished the claim (dropped, or moved to the state's time), false
 * when it published (the firing is to be recorded next). *r is the result of
 * what it did. */
static bool check_and_publish(struct rem_firing *f, const struct rem_claim *c,
			      const struct rem_state *s, struct svc_err *err,
			      enum svc_result *r)
{
	enum rem_fire_verdict v = rem_fire_check(s, c->at_ms);
	if (v == REM_FIRE) {
		*r = publish(f, s, c, err);
		return false;
	}
	*r = SVC_OK;
	if (v == REM_RESCHEDULE)
		*r = rem_store_index(&f->store, s->task_id, s->version, s->remind_at_ms, err);
	if (*r == SVC_OK)
		done(f, c, v == REM_RESCHEDULE ? "rescheduled" : "dropped");
	return true;
}

void rem_firing_fire(void *arg, const struct rem_claim *c)
{
	struct rem_firing *f = arg;
	struct svc_err err = {0};
	bool published = false;
	for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
		struct rem_state s;
		char etag[128] = "";
		enum svc_result r = rem_store_get(&f->store, c->task_id, &s, etag, &err);
		if (r == SVC_EUNPROCESSABLE) {
			/* Not firable, and no retry reads it better: the claim goes
			 * (logged by the store); the task's next event stores a
			 * state and arms its reminder again. */
			done(f, c, published ? "fired" : "unreadable");
			return;
		}
		if (r != SVC_OK && r != SVC_ENOTFOUND)
			goto retry;
		bool found = r == SVC_OK;
		if (!published) {
			bool finished = check_and_publish(f, c, found ? &s : NULL, &err, &r);
			if (finished || r != SVC_OK) {
				rem_state_cleanup(&s);
				if (r != SVC_OK)
					goto retry;
				return;
			}
			published = true;
		}
		if (!found || s.deleted) {
			rem_state_cleanup(&s);
			done(f, c, "fired");
			return;
		}
		/* Record the firing, so neither this claim nor a later one
		 * fires this remind_at again. */
		rem_mark_fired(&s, c->at_ms);
		r = rem_store_put(&f->store, &s, etag, &err);
		if (r == SVC_OK) {
			struct svc_err ierr = {0};
			/* A stale entry left by a failure here is dropped when claimed. */
			if (rem_store_index(&f->store, s.task_id, s.version, rem_index_time(&s),
					    &ierr) != SVC_OK)
				svc_warn(s.task_id, "due index not updated: %s", ierr.message);
		}
		rem_state_cleanup(&s);
		if (r == SVC_ECONFLICT)
			continue; /* an event changed the state meanwhile: redo on the new one */
		if (r != SVC_OK)
			goto retry; /* published, not recorded: a retry publishes the same event_id */
		done(f, c, "fired");
		return;
	}
	svc_err_set(&err, SVC_ECONFLICT, NULL, "the state kept changing");
retry:
	retry_later(f, c, &err);
}

static void release(void *arg, const struct rem_claim *c)
{
	struct rem_firing *f = arg;
	struct svc_err err = {0};
	if (rem_store_release(&f->store, c, &err) != SVC_OK)
		svc_warn(c->task_id, "cannot give the claim back (its lease ends it): %s",
			 err.message);
}

int rem_firing_start(struct rem_firing *f, int threads)
{
	pthread_mutex_init(&f->lock, NULL);
	f->last_pass_ms = 0;
	f->timer = rem_timer_start(threads, rem_firing_fire, f);
	if (!f->timer) {
		pthread_mutex_destroy(&f->lock);
		return -1;
	}
	return 0;
}

void rem_firing_stop(struct rem_firing *f)
{
	/* A handler still running after the drain finds no timer and gives
	 * its claims back. */
	pthread_mutex_lock(&f->lock);
	struct rem_timer *t = f->timer;
	f->timer = NULL;
	pthread_mutex_unlock(&f->lock);
	if (!t)
		return;
	size_t n = rem_timer_pending(t);
	if (n)
		svc_info(NULL, "giving %zu claimed reminders back to the due index", n);
	rem_timer_stop(t, release, f);
}

void rem_firing_cleanup(struct rem_firing *f)
{
	rem_firing_stop(f);
	pthread_mutex_destroy(&f->lock);
}

/* Logs when cron ticks come further apart than expected: reminders are
 * late by that much when they are not claimed ahead. */
static void watch_ticks(struct rem_firing *f, long long now)
{
	pthread_mutex_lock(&f->lock);
	long long last = f->last_pass_ms;
	f->last_pass_ms = now;
	pthread_mutex_unlock(&f->lock);
	if (last && now - last > 3 * f->tick_ms)
		svc_warn(NULL,
			 "reminder-cron ticked after %lld ms (expected every %ld ms): "
			 "reminders due meanwhile fire late",
			 now - last, f->tick_ms);
}

enum svc_result rem_firing_pass(struct rem_firing *f, bool cron, struct svc_err *err)
{
	long long now = rem_timer_now_ms();
	if (cron)
		watch_ticks(f, now);
	for (int round = 0; round < MAX_ROUNDS; round++) {
		struct rem_claim *claims = NULL;
		size_t n = 0;
		enum svc_result r = rem_store_claim(&f->store, now, now + f->lookahead_ms,
						    f->lease_ms, f->batch, &claims, &n, err);
		if (r != SVC_OK)
			return r;
		pthread_mutex_lock(&f->lock);
		for (size_t i = 0; i < n; i++)
			if (!f->timer || rem_timer_add(f->timer, &claims[i]) != 0)
				release(f, &claims[i]); /* stopping (or out of memory) */
		pthread_mutex_unlock(&f->lock);
		free(claims);
		if (n)
			svc_metrics_inc("reminders_claimed_total", "Reminders claimed to fire.", "",
					(double)n);
		if (n < f->batch)
			break;
	}
	return SVC_OK;
}
