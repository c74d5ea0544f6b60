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

/* Inserts the task and its task-created event in one transaction.
 * *snapshot receives the task as JSON text; caller frees with free(). */
enum svc_result tsk_store_create(const char *conninfo, const char *user_id,
				 const struct tsk_new *in, char **snapshot,
				 struct svc_err *err);

/* The task as JSON text if it exists and belongs to user_id; otherwise
 * SVC_ENOTFOUND (another user's task is as missing as a missing one).
 * Caller frees *snapshot with free(). */
enum svc_result tsk_store_get(const char *conninfo, const char *user_id,
			      const char *id, char **snapshot, struct svc_err *err);

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
