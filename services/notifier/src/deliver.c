#include "deliver.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/log.h"
#include "svc/metrics.h"
#include "svc/sleep.h"

#define IDLE_MS 1000 /* other replicas queue work too: look again this often */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define MAX_THREADS 16

struct ntf_deliver {
	const struct ntf_deliver_cfg *cfg;
	struct svc_sleep sleep;
	pthread_t threads[MAX_THREADS];
	int nthreads;
};

static const char *result_name(enum ntf_result r)
{
	static const char *const names[] = {"sent", "failed", "refused", "cancelled"};
	return names[r];
}

/* Runs one attempt (the store holds the delivery's row lock meanwhile). */
static void dispatch(void *arg, const struct ntf_job *job, struct ntf_outcome *out)
{
	struct ntf_deliver *d = arg;
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

static void *run(void *arg)
{
	struct ntf_deliver *d = arg;
	long backoff = 0;
	for (;;) {
		bool did = false;
		long next_ms = -1;
		struct svc_err err = {0};
		enum svc_result rc = ntf_store_deliver_next(d->cfg->conninfo, &d->cfg->retry,
							    dispatch, d, &did, &next_ms, &err);
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
	svc_sleep_init(&d->sleep);
	int want = cfg->threads < 1 ? 1 : cfg->threads > MAX_THREADS ? MAX_THREADS : cfg->threads;
	for (; d->nthreads < want; d->nthreads++) {
		if (pthread_create(&d->threads[d->nthreads], NULL, run, d) != 0) {
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
	for (int i = 0; i < d->nthreads; i++)
		pthread_join(d->threads[i], NULL);
	svc_sleep_cleanup(&d->sleep);
	free(d);
}
