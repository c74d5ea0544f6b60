#include "events.h"

#include <string.h>

#include "notifier_store.h"
#include "svc/log.h"

const char *const ntf_topics[] = {"task-created", "task-updated", "task-completed",
				  "task-deleted", NULL};

const char *ntf_event_subject(const struct svc_event *ev)
{
	const cJSON *task = cJSON_GetObjectItemCaseSensitive(ev->data, "task");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(task, "id");
	return cJSON_IsString(id) ? id->valuestring : NULL;
}

enum svc_delivery ntf_on_event(void *arg, const struct svc_event *ev, const char *request_id)
{
	struct ntf_ctx *ctx = arg;
	bool known = false;
	for (const char *const *t = ntf_topics; *t && !known; t++)
		known = strcmp(*t, ev->type) == 0;
	if (!known) {
		svc_warn(request_id, "dropping event of unknown type %s", ev->type);
		return SVC_DELIVERY_DROP;
	}
	const char *subject = ntf_event_subject(ev);
	bool first = false;
	struct svc_err err = {0};
	if (ntf_store_mark_event(ctx->conninfo, ev->id, ev->type, ev->user_id, subject, &first,
				 &err) != SVC_OK) {
		svc_warn(request_id, "cannot record %s event: %s", ev->type, err.message);
		return err.code == SVC_EINVAL ? SVC_DELIVERY_DROP : SVC_DELIVERY_RETRY;
	}
	if (first)
		svc_info(request_id, "received %s for %s", ev->type, subject ? subject : "-");
	else
		svc_info(request_id, "duplicate %s delivery ignored", ev->type);
	return SVC_DELIVERY_SUCCESS;
}
