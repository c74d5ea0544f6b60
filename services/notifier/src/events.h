/* What notifier does with each event it consumes. */
#ifndef NTF_EVENTS_H
#define NTF_EVENTS_H

#include "svc/app.h"

struct ntf_ctx {
	struct svc_app *app;
	const char *conninfo;
};

/* The topics notifier subscribes to, NULL-terminated. */
extern const char *const ntf_topics[];

/* Handles one delivery: records it once per event_id. RETRY when the store
 * is unavailable, DROP when the event is not one of ours. */
enum svc_delivery ntf_on_event(void *arg, const struct svc_event *ev,
			       const char *request_id);

/* Subject of an event: the id of the entity it is about, or NULL. */
const char *ntf_event_subject(const struct svc_event *ev);

#endif
