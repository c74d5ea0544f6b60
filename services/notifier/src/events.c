#include "events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "live.h"
#include "notifier_store.h"
#include "notify.h"
#include "svc/log.h"
#include "svc/metrics.h"
#include "svc/util.h"

const char *ntf_event_subject(const struct svc_event *ev)
{
	const cJSON *task = cJSON_GetObjectItemCaseSensitive(ev->data, "task");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(task, "id");
	return cJSON_IsString(id) ? id->valuestring : NULL;
}

static enum svc_delivery failed(const char *request_id, const char *type,
				const struct svc_err *err)
{
	svc_warn(request_id, "cannot record %s event: %s", type, err->message);
	return err->code == SVC_EINVAL ? SVC_DELIVERY_DROP : SVC_DELIVERY_RETRY;
}

/* A task event: the user made that change, so nothing to tell them; it is
 * recorded once all the same. */
static enum svc_delivery record_only(struct svc_pg *pg, const struct svc_event *ev,
				     const char *request_id)
{
	const char *subject = ntf_event_subject(ev);
	bool first = false;
	struct svc_err err = {0};
	if (ntf_store_mark_event(pg, ev->id, ev->type, ev->user_id, subject, &first, &err) !=
	    SVC_OK)
		return failed(request_id, ev->type, &err);
	if (first)
		svc_info(request_id, "received %s for %s", ev->type, subject ? subject : "-");
	else
		svc_info(request_id, "duplicate %s delivery ignored", ev->type);
	return SVC_DELIVERY_SUCCESS;
}

/* An event on the handler's handle pg. */
static enum svc_delivery on_event(struct ntf_ctx *ctx, struct svc_pg *pg,
				  const struct svc_event *ev, const char *request_id)
{
	struct ntf_draft d;
	bool notify = false;
	struct svc_err err = {0};
	if (ntf_draft_from_event(ev->type, ev->user_id, ev->data, &notify, &d, &err) != SVC_OK) {
		if (err.code == SVC_ENOMEM)
			return SVC_DELIVERY_RETRY;
		svc_warn(request_id, "dropping %s event: %s", ev->type, err.message);
		return SVC_DELIVERY_DROP;
	}
	if (!notify)
		return record_only(pg, ev, request_id);
	if (!svc_uuid_valid(ev->id)) {
		ntf_draft_cleanup(&d);
		svc_warn(request_id, "dropping %s event: its id is not a UUID", ev->type);
		return SVC_DELIVERY_DROP;
	}
	struct ntf_new n = {.event_id = ev->id, .topic = ev->type, .user_id = ev->user_id,
			    .draft = &d, .email_on = ctx->deliver.email.smtp_url != NULL};
	char *json = NULL;
	int queued = 0;
	/* The push to Redis happens under the user's session lock, with no
	 * transaction open (ntf_store_user_lock). */
	enum svc_result r = ntf_store_user_lock(pg, ev->user_id, &err);
	if (r == SVC_OK) {
		r = ntf_store_notify(pg, &n, &json, &queued, &err);
		if (r == SVC_OK && json &&
		    ntf_live_publish(&ctx->redis, ev->user_id, json, &err) != SVC_OK)
			svc_warn(request_id, "live push failed (the inbox has it): %s", err.message);
		ntf_store_user_unlock(pg, ev->user_id);
	}
	const char *kind = d.kind; /* static */
	ntf_draft_cleanup(&d);
	if (r != SVC_OK)
		return failed(request_id, ev->type, &err);
	if (!json) {
		svc_info(request_id, "duplicate %s delivery ignored", ev->type);
		return SVC_DELIVERY_SUCCESS;
	}
	if (queued)
		ntf_deliver_kick(ctx->workers);
	char labels[64];
	snprintf(labels, sizeof labels, "kind=\"%s\"", kind);
	svc_metrics_inc("notifier_notifications_total", "Notifications made.", labels, 1);
	svc_info(request_id, "%s notification for user %s, %d deliveries queued", kind,
		 ev->user_id, queued);
	free(json);
	return SVC_DELIVERY_SUCCESS;
}

enum svc_delivery ntf_on_event(void *arg, const struct svc_event *ev, const char *request_id)
{
	struct ntf_ctx *ctx = arg;
	struct svc_err err = {0};
	struct svc_pg *pg = svc_pg_acquire(ctx->db, ctx->pg.wait_ms, &err);
	if (!pg)
		return failed(request_id, ev->type, &err);
	enum svc_delivery d = on_event(ctx, pg, ev, request_id);
	svc_pg_release(ctx->db, pg);
	return d;
}
