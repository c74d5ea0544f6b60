/* The tasks schema: tasks and their outbox. Every function runs on the
 * calling thread's own connection. */
#ifndef TSK_STORE_H
#define TSK_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "svc/result.h"
#include "task.h"

/* Applies the schema's migrations (at start-up). */
enum svc_result tsk_store_migrate(const char *conninfo, struct svc_err *err);

/* A task as the API and the events show it. */
struct tsk_record {
	char *json; /* the snapshot as JSON text; free with tsk_record_cleanup */
	long version; /* for the ETag */
};
void tsk_record_cleanup(struct tsk_record *rec);

/* Inserts the task and its task-created event in one transaction. */
enum svc_result tsk_store_create(const char *conninfo, const char *user_id,
				 const struct tsk_new *in, struct tsk_record *out,
				 struct svc_err *err);

/* The task if it exists and belongs to user_id; otherwise SVC_ENOTFOUND
 * (another user's task is as missing as a missing one). */
enum svc_result tsk_store_get(const char *conninfo, const char *user_id,
			      const char *id, struct tsk_record *out, struct svc_err *err);

/* One pending outbox event, oldest first. */
struct tsk_outbox_event {
	char id[24];
	char event_id[40];
	char topic[64];
	char key[40];
	char *payload; /* the CloudEvent JSON text */
};

/* The relay's side: one call publishes what is pending, in order.
 * publish returns SVC_OK when the event is safely handed over. Only one
 * relay in the whole deployment works at a time (an advisory lock); the
 * others return at once with *published = 0. Stops at the first failure so
 * that events of one task never overtake each other. */
typedef enum svc_result (*tsk_publish_fn)(void *arg, const struct tsk_outbox_event *ev,
					  struct svc_err *err);
enum svc_result tsk_store_relay_batch(const char *conninfo, size_t limit,
				      tsk_publish_fn publish, void *arg,
				      size_t *published, struct svc_err *err);

#endif
