/* The tasks schema: tasks and their outbox. Every function runs on the
 * caller's handle pg, outside any transaction of the caller's; every
 * change writes the row and its event in one transaction that the
 * function begins and finishes before it returns. */
#ifndef TSK_STORE_H
#define TSK_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "svc/pg.h"
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
enum svc_result tsk_store_create(struct svc_pg *pg, const char *user_id,
				 const cJSON *fields, struct tsk_record *out,
				 struct svc_err *err);

/* What tsk_store_occurrence did. */
enum tsk_made {
	TSK_MADE_NEW,    /* made now: out is the new task */
	TSK_MADE_BEFORE, /* made before: out is that task */
	TSK_MADE_GONE,   /* made before and deleted since: out is empty */
};

/* Creates the task for occurrence_at of series_id (fields as tsk_merge
 * produced them, borrowed) with its task-created event, unless that
 * occurrence was made before. One task per (series, occurrence), however
 * often and however late it is asked for: the key outlives the task, so an
 * occurrence deleted (skipped) is never made again. SVC_ENOTFOUND when the
 * series has tasks of another user; SVC_ECONFLICT when the series has
 * ended (deleted with ?series=all). */
enum svc_result tsk_store_occurrence(struct svc_pg *pg, const char *user_id,
				     const char *series_id, const char *occurrence_at,
				     const cJSON *fields, struct tsk_record *out,
				     enum tsk_made *made, struct svc_err *err);

/* The task if it exists and belongs to user_id; otherwise SVC_ENOTFOUND
 * (another user's task is as missing as a missing one). */
enum svc_result tsk_store_get(struct svc_pg *pg, const char *user_id,
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
enum svc_result tsk_store_change(struct svc_pg *pg, const char *user_id,
				 const char *id, const struct tsk_change *c,
				 struct tsk_record *out, bool *changed, struct svc_err *err);

/* One page of the user's tasks: {"items": [...], "next_cursor": ..|null}
 * as JSON text in *out (caller frees with free()). */
enum svc_result tsk_store_list(struct svc_pg *pg, const char *user_id,
			       const struct tsk_query *q, char **out, struct svc_err *err);

/* The user's tags with how many tasks carry each:
 * {"tags": [{"tag", "count"}...]} by count, then tag. *out as above. */
enum svc_result tsk_store_tags(struct svc_pg *pg, const char *user_id, char **out,
			       struct svc_err *err);

/* One pending outbox event, oldest first. */
struct tsk_outbox_event {
	char id[24];
	char event_id[40];
	char topic[64];
	char key[40];
	char *payload; /* the CloudEvent JSON text; tsk_outbox_free frees it */
};

/* The relay's side, on the relay's own handle. One relay in the whole
 * deployment publishes at a time, so that events of one task never
 * overtake each other: tsk_store_relay_lead takes a session advisory lock
 * on pg, at once or not at all (*leader false: another relay leads);
 * tsk_store_relay_unlead gives it back. The lock lives as long as pg's
 * connection (svc_pg_session tells when that was re-made). While leading,
 * the relay reads what is pending, publishes each event outside any
 * transaction, and records the outcome. */
enum svc_result tsk_store_relay_lead(struct svc_pg *pg, bool *leader, struct svc_err *err);
void tsk_store_relay_unlead(struct svc_pg *pg);

/* Up to limit pending events, oldest first, into *evs (caller frees with
 * tsk_outbox_free) and *n. */
enum svc_result tsk_store_outbox_pending(struct svc_pg *pg, size_t limit,
					 struct tsk_outbox_event **evs, size_t *n,
					 struct svc_err *err);
void tsk_outbox_free(struct tsk_outbox_event *evs, size_t n);

/* Records that the event with outbox id went out. */
enum svc_result tsk_store_outbox_sent(struct svc_pg *pg, const char *id, struct svc_err *err);
/* Records a failed attempt and why (best effort: the event stays pending
 * either way). */
void tsk_store_outbox_failed(struct svc_pg *pg, const char *id, const char *error);

/* Deletes up to limit published events older than retention_s seconds.
 * *deleted receives how many. */
enum svc_result tsk_store_outbox_cleanup(struct svc_pg *pg, long retention_s,
					 size_t limit, size_t *deleted, struct svc_err *err);

#endif
