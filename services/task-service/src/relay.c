#include "relay.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/log.h"
#include "svc/metrics.h"
#include "svc/pg.h"
#include "svc/sleep.h"
#include "svc/util.h"
#include "task_store.h"

#define BATCH 100
#define IDLE_MS 1000
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define CLEANUP_EVERY_MS 60000
#define CLEANUP_BATCH 1000

/* Who touches what: the relay's thread alone uses pg and cleaned_ms; other
 * threads only kick or stop it through sleep. */
struct tsk_relay {
	struct svc_pg *pg; /* the relay's own handle */
	const struct svc_dapr *dapr;
	const char *pubsub;
	long retention_s;
	long long cleaned_ms;
	pthread_t thread;
	struct svc_sleep sleep;
};

static enum svc_result publish(struct tsk_relay *r, const struct tsk_outbox_event *ev,
			       struct svc_err *err)
{
	enum svc_result rc = svc_dapr_publish(r->dapr, r->pubsub, ev->topic, ev->payload,
					      strlen(ev->payload), ev->key, err);
	if (rc == SVC_OK)
		svc_info(ev->event_id, "published %s for task %s", ev->topic, ev->key);
	return rc;
}

/* Deletes published events past their retention, a batch at a time, at
 * most once a minute. */
static void cleanup(struct tsk_relay *r)
{
	long long now = svc_now_ms();
	if (r->cleaned_ms && now - r->cleaned_ms < CLEANUP_EVERY_MS)
		return;
	r->cleaned_ms = now;
	size_t n = 0, total = 0;
	struct svc_err err = {0};
	do {
		if (tsk_store_outbox_cleanup(r->pg, r->retention_s, CLEANUP_BATCH, &n, &err) !=
		    SVC_OK) {
			svc_warn(NULL, "outbox cleanup: %s", err.message);
			return;
		}
		total += n;
	} while (n == CLEANUP_BATCH && !svc_sleep_stopping(&r->sleep));
	if (total)
		svc_info(NULL, "outbox cleanup removed %zu published events", total);
}

/* Publishes what is pending, in order, while this relay leads; *published
 * counts what went out. Stops at the first failure so that events of one
 * task never overtake each other. No transaction is open while an event
 * is published: the lead is a session lock, each record a statement. */
static enum svc_result batch(struct tsk_relay *r, size_t *published, struct svc_err *err)
{
	*published = 0;
	bool leader = false;
	enum svc_result rc = tsk_store_relay_lead(r->pg, &leader, err);
	if (rc != SVC_OK || !leader)
		return rc;
	unsigned long session = svc_pg_session(r->pg);
	struct tsk_outbox_event *evs = NULL;
	size_t n = 0;
	rc = tsk_store_outbox_pending(r->pg, BATCH, &evs, &n, err);
	for (size_t i = 0; i < n && rc == SVC_OK; i++) {
		/* A connection re-made meanwhile took the lock with it: another
		 * relay may lead now. */
		if (svc_pg_session(r->pg) != session) {
			rc = svc_err_set(err, SVC_EUNAVAIL, NULL,
					 "the relay lock went with a lost connection");
			break;
		}
		rc = publish(r, &evs[i], err);
		if (rc != SVC_OK)
			tsk_store_outbox_failed(r->pg, evs[i].id, err->message);
		else if ((rc = tsk_store_outbox_sent(r->pg, evs[i].id, err)) == SVC_OK)
			(*published)++;
	}
	tsk_outbox_free(evs, n);
	if (svc_pg_session(r->pg) == session)
		tsk_store_relay_unlead(r->pg);
	return rc;
}

static void *run(void *arg)
{
	struct tsk_relay *r = arg;
	long backoff = 0;
	for (;;) {
		cleanup(r);
		size_t n = 0;
		struct svc_err err = {0};
		enum svc_result rc = batch(r, &n, &err);
		long pause;
		if (rc != SVC_OK) {
			svc_sleep_backoff(&backoff, BACKOFF_MIN_MS, BACKOFF_MAX_MS);
			svc_warn(NULL, "outbox relay: %s (retrying in %ld ms)", err.message, backoff);
			pause = backoff;
		} else {
			backoff = 0;
			pause = n == BATCH ? 0 : IDLE_MS;
		}
		/* After a failure only time ends the pause: a kick must not turn
		 * the backoff into a busy loop against a broker that is down. */
		if (svc_sleep_wait(&r->sleep, pause, rc == SVC_OK))
			return NULL;
	}
}

struct tsk_relay *tsk_relay_start(const char *conninfo, const struct svc_dapr *dapr,
				  const char *pubsub, long retention_s)
{
	struct tsk_relay *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	if (!(r->pg = svc_pg_new(conninfo))) {
		free(r);
		return NULL;
	}
	r->dapr = dapr;
	r->pubsub = pubsub;
	r->retention_s = retention_s;
	svc_sleep_init(&r->sleep);
	if (pthread_create(&r->thread, NULL, run, r) != 0) {
		svc_sleep_cleanup(&r->sleep);
		svc_pg_free(r->pg);
		free(r);
		return NULL;
	}
	return r;
}

void tsk_relay_kick(struct tsk_relay *r)
{
	svc_sleep_kick(&r->sleep);
}

void tsk_relay_stop(struct tsk_relay *r)
{
	if (!r)
		return;
	svc_sleep_stop(&r->sleep);
	pthread_join(r->thread, NULL);
	svc_sleep_cleanup(&r->sleep);
	svc_pg_free(r->pg);
	free(r);
}
