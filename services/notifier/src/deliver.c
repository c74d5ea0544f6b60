#include "deliver.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/log.h"
#include "svc/metrics.h"
#include "svc/pg.h"
#include "svc/sleep.h"

#define IDLE_MS 1000 /* other replicas queue work too: look again this often */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define MAX_THREADS 16
/* A claim outlasts the slowest attempt by this much, so that only a worker
 * that died gives its delivery back by running out. */
#define LEASE_MARGIN_MS 60000

struct ntf_deliver;

/* Who touches what: each worker's thread alone uses its pg; the rest of
 * ntf_deliver is read-only once started, but for sleep (kicks, stop). */
struct worker {
	struct ntf_deliver *d;
	struct svc_pg *pg; /* the worker's own handle */
	pthread_t thread;
};

struct ntf_deliver {
	const struct ntf_deliver_cfg *cfg;
	long lease_ms;
	struct svc_sleep sleep;
	struct worker workers[MAX_THREADS];
	int nthreads;
};

static const char *result_name(enum ntf_result r)
{
	static const char *const names[] = {"sent", "failed", "refused", "cancelled"};
	return names[r];
}

/* Runs one attempt of a claimed delivery (no transaction is open). */
static void dispatch(struct ntf_deliver *d, const struct ntf_job *job, struct ntf_outcome *out)
{
	bool webhook = strcmp(job->channel, "webhook") == 0;
	if (webhook)
		ntf_webhook_deliver(&d->cfg->webhook, job, out);
	else
		ntf_email_deliver(&d->cfg->email, job, out);
	char labels[96];
	snprintf(labels, sizeof labels, "channel=\"%s\",result=\"%s\"", job->channel,
		 result_name(out->result));
	svc_metrics_inc("notifier_deliveries_total", "Webhook and e-mail delivery attempts.",
			labels, 1);
	if (out->result == NTF_SENT)
		svc_info(job->event_id, "%s delivered to %s (attempt %d, %ld ms)", job->channel,
			 out->target, job->attempt, out->duration_ms);
	else
		svc_warn(job->event_id, "%s attempt %d %s: %s", job->channel, job->attempt,
			 result_name(out->result), out->error);
}

/* Claims the delivery due first, attempts it and records how that went;
 * *did tells whether there was one, *next_ms (when not) how long until
 * one is due. A delivery succeeds at most once across workers and
 * replicas: only the claim's holder records its outcome. */
static enum svc_result deliver_next(struct worker *w, bool *did, long *next_ms,
				    struct svc_err *err)
{
	struct ntf_claim c;
	enum svc_result rc = ntf_store_claim_delivery(w->pg, w->d->lease_ms, &c, did, next_ms, err);
	if (rc != SVC_OK || !*did)
		return rc;
	struct ntf_outcome o = {.result = NTF_FAILED};
	dispatch(w->d, &c.job, &o);
	rc = ntf_store_record_delivery(w->pg, &w->d->cfg->retry, &c, &o, err);
	ntf_claim_cleanup(&c);
	return rc;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	struct ntf_deliver *d = w->d;
	long backoff = 0;
	for (;;) {
		bool did = false;
		long next_ms = -1;
		struct svc_err err = {0};
		enum svc_result rc = deliver_next(w, &did, &next_ms, &err);
		long pause;
		if (rc != SVC_OK) {
			svc_sleep_backoff(&backoff, BACKOFF_MIN_MS, BACKOFF_MAX_MS);
			svc_warn(NULL, "delivery queue: %s (again in %ld ms)", err.message, backoff);
			pause = backoff;
		} else {
			backoff = 0;
			pause = did ? 0 : next_ms >= 0 && next_ms < IDLE_MS ? next_ms : IDLE_MS;
		}
		if (pause == 0 ? svc_sleep_stopping(&d->sleep)
			       : svc_sleep_wait(&d->sleep, pause, rc == SVC_OK))
			return NULL;
	}
}

struct ntf_deliver *ntf_deliver_start(const struct ntf_deliver_cfg *cfg)
{
	struct ntf_deliver *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->cfg = cfg;
	long slowest = cfg->webhook.timeout_ms > cfg->email.timeout_ms ? cfg->webhook.timeout_ms
								       : cfg->email.timeout_ms;
	d->lease_ms = slowest + LEASE_MARGIN_MS;
	svc_sleep_init(&d->sleep);
	int want = cfg->threads < 1 ? 1 : cfg->threads > MAX_THREADS ? MAX_THREADS : cfg->threads;
	for (; d->nthreads < want; d->nthreads++) {
		struct worker *w = &d->workers[d->nthreads];
		w->d = d;
		if (!(w->pg = svc_pg_new(cfg->conninfo)) ||
		    pthread_create(&w->thread, NULL, run, w) != 0) {
			svc_pg_free(w->pg);
			ntf_deliver_stop(d);
			return NULL;
		}
	}
	return d;
}

void ntf_deliver_kick(struct ntf_deliver *d)
{
	if (d)
		svc_sleep_kick(&d->sleep);
}

void ntf_deliver_stop(struct ntf_deliver *d)
{
	if (!d)
		return;
	svc_sleep_stop(&d->sleep);
	for (int i = 0; i < d->nthreads; i++) {
		pthread_join(d->workers[i].thread, NULL);
		svc_pg_free(d->workers[i].pg);
	}
	svc_sleep_cleanup(&d->sleep);
	free(d);
}
