/* What notifier does with each event it consumes. */
#ifndef NTF_EVENTS_H
#define NTF_EVENTS_H

#include "notifier.h"
#include "svc/app.h"
#include "svc/pubsub.h"

/* Handles one delivery (arg is the struct ntf_ctx), exactly once per
 * event_id: reminder-due and recurring-task-generated become a
 * notification (stored, queued for webhook and e-mail, pushed live); task
 * events are recorded only. RETRY when the store is unavailable, DROP when
 * the event is not one of ours or lacks what it needs. */
enum svc_delivery ntf_on_event(void *arg, const struct svc_event *ev,
			       const char *request_id);

/* Subject of an event: the id of the task it is about, or NULL. */
const char *ntf_event_subject(const struct svc_event *ev);

#endif
