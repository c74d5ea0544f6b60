/* Our event envelope: CloudEvents 1.0 (structured JSON) whose id is our
 * event_id, with data = {event_id, event_type, schema_version, occurred_at,
 * user_id, <entity>, changes?}. */
#ifndef SVC_EVENT_H
#define SVC_EVENT_H

#include <cjson/cJSON.h>

#include "svc/result.h"

#define SVC_EVENT_SCHEMA_VERSION 1

/* A parsed delivery. root owns everything; free with svc_event_cleanup. */
struct svc_event {
	cJSON *root;
	const char *id;         /* CloudEvent id == data.event_id */
	const char *type;       /* CloudEvent type == data.event_type */
	const char *source;
	const char *user_id;    /* data.user_id, may be NULL for system events */
	const char *occurred_at;
	const cJSON *data;
};

/* Builds the envelope. Takes ownership of entity and changes (either may be
 * NULL). entity_key names the snapshot member, e.g. "task". Returns NULL on
 * OOM; caller frees with cJSON_Delete. */
cJSON *svc_event_build(const char *event_id, const char *event_type,
		       const char *source, const char *subject, const char *user_id,
		       const char *occurred_at, const char *entity_key, cJSON *entity,
		       cJSON *changes);

/* Parses a CloudEvent as Dapr delivers it. SVC_EINVAL (with a message)
 * when it is not one of ours: wrong specversion, missing id or type, data
 * not an object, or data.event_id different from id. */
enum svc_result svc_event_parse(const char *body, size_t len, struct svc_event *out,
				struct svc_err *err);
void svc_event_cleanup(struct svc_event *ev);

#endif
