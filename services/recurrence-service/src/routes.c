/* decode -> validate -> call -> encode, for events and the cron tick. */
#include "routes.h"

#include <string.h>

#include "series.h"
#include "svc/app.h"
#include "svc/pubsub.h"
#include "svc/log.h"

static const char *const topics[] = {"task-created", "task-updated", "task-completed",
				     "task-deleted", NULL};

static enum svc_delivery on_task_event(void *arg, const struct svc_event *ev,
				       const char *request_id)
{
	struct rec_ctx *ctx = arg;
	const cJSON *task = cJSON_GetObjectItemCaseSensitive(ev->data, "task");
	if (!cJSON_IsObject(task)) {
		svc_warn(request_id, "dropping %s %s without a task", ev->type, ev->id);
		return SVC_DELIVERY_DROP;
	}
	enum rec_trigger trigger = REC_SEEN;
	if (strcmp(ev->type, "task-completed") == 0)
		trigger = REC_COMPLETED;
	else if (strcmp(ev->type, "task-deleted") == 0)
		trigger = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev->data, "ends_series"))
				  ? REC_SERIES_ENDED
				  : REC_DELETED;
	struct svc_err err = {0};
	struct svc_pg *pg = svc_pg_acquire(ctx->db, ctx->pg.wait_ms, &err);
	enum svc_result r = pg ? rec_on_task(ctx, pg, task, trigger, request_id, &err) : err.code;
	svc_pg_release(ctx->db, pg);
	if (r == SVC_OK)
		return SVC_DELIVERY_SUCCESS;
	if (r == SVC_EINVAL) {
		svc_warn(request_id, "dropping %s %s: %s", ev->type, ev->id, err.message);
		return SVC_DELIVERY_DROP;
	}
	svc_warn(request_id, "%s %s: %s (retrying)", ev->type, ev->id, err.message);
	return SVC_DELIVERY_RETRY;
}

static enum svc_result on_tick(void *arg, const struct svc_req *req, struct svc_err *err)
{
	struct rec_ctx *ctx = arg;
	size_t made = 0;
	enum svc_result r = rec_tick(ctx, req->request_id, &made, err);
	if (made)
		svc_info(req->request_id, "cron tick made %zu occurrences", made);
	return r;
}

int rec_routes_register(struct svc_pubsub *ps, struct rec_ctx *ctx)
{
	int rc = 0;
	for (const char *const *t = topics; *t; t++)
		rc |= svc_pubsub_subscribe(ps, *t, on_task_event, ctx);
	rc |= svc_pubsub_binding(ps, "recurrence-cron", on_tick, ctx);
	return rc;
}
