/* The tasks schema: tasks and their outbox. Every function runs on the
 * calling thread's own connection. Every change writes the row and its
 * event in one transaction. */
#ifndef TSK_STORE_H
#define TSK_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "svc/result.h"
#include "task.h"

/* Applies the schema's migrations (at start-up). */
enum svc_result tsk_store_migrate(const char *conninfo, struct svc_err *err);

/* A task as the API and the events show it. */
struct tsk_record {
	char *json;   /* the snapshot as JSON text; free with tsk_record_cleanup */
	long version; /* for the ETag */
};
void tsk_record_cleanup(struct tsk_record *rec);

/* Inserts a task with the fields tsk_merge produced (borrowed) and its
 * task-created event. */
enum svc_result tsk_store_create(const char *conninfo, const char *user_id,
				 const cJSON *fields, struct tsk_record *out,
				 struct svc_err *err);

/* Creates the task for occurrence_at of series_id (fields as tsk_merge
 * produced them, borrowed) with its task-created event, unless that
 * occurrence exists already: then out is the existing task and *created is
 * false. One task per (series, occurrence), however often it is asked for.
 * SVC_ENOTFOUND when the series has tasks of another user; SVC_ECONFLICT
 * when the series has ended (deleted with ?series=all). */
enum svc_result tsk_store_occurrence(const char *conninfo, const char *user_id,
				     const char *series_id, const char *occurrence_at,
				     const cJSON *fields, struct tsk_record *out, bool *created,
				     struct svc_err *err);

/* The task if it exists and belongs to user_id; otherwise SVC_ENOTFOUND
 * (another user's task is as missing as a missing one). */
enum svc_result tsk_store_get(const char *conninfo, const char *user_id,
			      const char *id, struct tsk_record *out, struct svc_err *err);

enum tsk_op { TSK_OP_PATCH, TSK_OP_COMPLETE, TSK_OP_REOPEN, TSK_OP_DELETE };

/* One change to one task. body is the PATCH body (borrowed); if_match the
 * If-Match header or NULL; all_series (delete only) also ends the task's
 * recurring series and deletes its other pending occurrences. */
struct tsk_change {
	enum tsk_op op;
	const cJSON *body;
	const char *if_match;
	bool all_series;
};

/* Applies a change under the task's row lock: SVC_ENOTFOUND as for get,
 * SVC_EPRECOND when if_match does not match the version, a tsk_merge error
 * for a bad PATCH body. On success out holds the task after the change
 * (before it, for delete) and *changed tells whether anything changed and
 * an event was written: a PATCH that changes nothing, completing a
 * completed task or reopening a pending one leaves the task and its version
 * as they were. */
enum svc_result tsk_store_change(const char *conninfo, const char *user_id,
				 const char *id, const struct tsk_change *c,
				 struct tsk_record *out, bool *changed, struct svc_err *err);

/* One page of the user's tasks: {"items": [...], "next_cursor": ..|null}
 * as JSON text in *out (caller frees with free()). */
enum svc_result tsk_store_list(const char *conninfo, const char *user_id,
			       const struct tsk_query *q, char **out, struct svc_err *err);

/* The user's tags with how many tasks carry each:
 * {"tags": [{"tag", "count"}...]} by count, then tag. *out as above. */
enum svc_result tsk_store_tags(const char *conninfo, const char *user_id, char **out,
			       struct svc_err *err);

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

/* Deletes up to limit published events older than retention_s seconds.
 * *deleted receives how many. */
enum svc_result tsk_store_outbox_cleanup(const char *conninfo, long retention_s,
					 size_t limit, size_t *deleted, struct svc_err *err);

#endif
