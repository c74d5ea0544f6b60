/* decode -> validate -> call -> encode */
#include "routes.h"

#include "reminder.h"
#include "reminder_store.h"
#include "svc/log.h"

#define MAX_ATTEMPTS 8 /* ETag conflicts tolerated per event before RETRY */

const char *const rem_topics[] = {"task-created", "task-updated", "task-completed",
				  "task-deleted", NULL};

static enum svc_delivery failed(const char *request_id, const struct svc_err *err)
{
	svc_warn(request_id, "task event not applied, will retry: %s", err->message);
	return SVC_DELIVERY_RETRY;
}

enum svc_delivery rem_on_task_event(void *arg, const struct svc_event *ev,
				    const char *request_id)
{
	struct rem_firing *f = arg;
	struct rem_event e;
	struct svc_err err = {0};
	if (rem_event_parse(ev->type, ev->data, &e, &err) != SVC_OK) {
		svc_warn(request_id, "dropping %s event: %s", ev->type, err.message);
		return SVC_DELIVERY_DROP;
	}
	for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
		struct rem_state old, now;
		char etag[128] = "";
		enum svc_result r = rem_store_get(&f->store, e.task_id, &old, etag, &err);
		/* An unreadable state tells nothing: this event's replaces it. */
		bool unreadable = r == SVC_EUNPROCESSABLE;
		if (unreadable)
			svc_error(request_id, "replacing the unreadable reminder state of task %s"
				  " with %s v%ld", e.task_id, ev->type, e.version);
		else if (r != SVC_OK && r != SVC_ENOTFOUND)
			return failed(request_id, &err);
		bool found = r == SVC_OK;
		if (rem_apply(found ? &old : NULL, &e, &now) == REM_IGNORE) {
			/* Stale or repeated. Its first delivery may have stored the
			 * state and died before the index: say again what the state
			 * asks for (a no-op when it is there). */
			r = rem_store_index(&f->store, old.task_id, old.version,
					    rem_index_time(&old), &err);
			rem_state_cleanup(&old);
			if (r != SVC_OK)
				return failed(request_id, &err);
			svc_debug(request_id, "%s v%ld of task %s ignored (stored v%ld)", ev->type,
				  e.version, e.task_id, old.version);
			return SVC_DELIVERY_SUCCESS;
		}
		r = rem_store_put(&f->store, &now, found || unreadable ? etag : NULL, &err);
		rem_state_cleanup(&old);
		if (r == SVC_ECONFLICT)
			continue; /* another event of this task got there first: redo */
		if (r != SVC_OK)
			return failed(request_id, &err);
		long long at = rem_index_time(&now);
		if (rem_store_index(&f->store, now.task_id, now.version, at, &err) != SVC_OK)
			return failed(request_id, &err);
		svc_info(request_id, "%s v%ld of task %s: reminder %s", ev->type, e.version,
			 e.task_id, now.deleted ? "gone (task deleted)" : at != REM_NO_TIME ? "armed" : "off");
		/* Due within the look-ahead (or past): claim it now rather than at
		 * the next tick. */
		if (at != REM_NO_TIME && at <= rem_timer_now_ms() + f->lookahead_ms &&
		    rem_firing_pass(f, false, &err) != SVC_OK)
			svc_warn(request_id, "claim pass failed (the next tick claims it): %s",
				 err.message);
		return SVC_DELIVERY_SUCCESS;
	}
	svc_err_set(&err, SVC_ECONFLICT, NULL, "task %s kept changing", e.task_id);
	return failed(request_id, &err);
}

enum svc_result rem_on_cron(void *arg, const struct svc_req *req, struct svc_err *err)
{
	(void)req;
	return rem_firing_pass(arg, true, err);
}

int rem_routes_register(struct svc_pubsub *ps, struct rem_firing *f)
{
	for (const char *const *t = rem_topics; *t; t++)
		if (svc_pubsub_subscribe(ps, *t, rem_on_task_event, f) != 0)
			return -1;
	return svc_pubsub_binding(ps, "reminder-cron", rem_on_cron, f);
}
