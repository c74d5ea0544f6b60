/* reminder-service's handlers: the task events and the reminder-cron
 * binding. */
#ifndef REM_ROUTES_H
#define REM_ROUTES_H

#include "firing.h"
#include "svc/app.h"
#include "svc/pubsub.h"

/* The topics reminder-service consumes, NULL-terminated. */
extern const char *const rem_topics[];

/* Handles one task event (arg: struct rem_firing): applies it to the stored
 * reminder under the state's ETag, then updates the due index. SUCCESS when
 * applied or ignored as stale, RETRY when the store or Redis failed, DROP
 * when the event is not a well-formed task event. */
enum svc_delivery rem_on_task_event(void *arg, const struct svc_event *ev,
				    const char *request_id);

/* The reminder-cron binding (arg: struct rem_firing): one claim pass. */
enum svc_result rem_on_cron(void *arg, const struct svc_req *req, struct svc_err *err);

/* Subscribes to rem_topics and registers the binding. Returns 0 or -1. */
int rem_routes_register(struct svc_pubsub *ps, struct rem_firing *f);

#endif
