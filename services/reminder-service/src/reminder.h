/* Reminder rules, no I/O: what a task event does to the reminder stored for
 * its task, how events of one task are ordered (by task version, with a
 * tombstone for deleted tasks), when a claimed reminder may fire, and the
 * reminder-due event.
 *
 * A reminder is "armed" when it is to fire: its task is pending, not
 * deleted, has a remind_at, and no reminder has fired for that remind_at
 * yet. The due index in Redis holds the armed ones (reminder_store.h). */
#ifndef REM_REMINDER_H
#define REM_REMINDER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "svc/result.h"

/* "No time": no reminder, or none fired yet. */
#define REM_NO_TIME LLONG_MIN
#define REM_USER_ID_MAX 255
#define REM_TIME_MAX 64 /* room for rem_time_format_ms */

enum rem_kind { REM_CREATED, REM_UPDATED, REM_COMPLETED, REM_DELETED };

/* A task event, as far as reminders care. Pointers are borrowed from the
 * event's JSON. */
struct rem_event {
	enum rem_kind kind;
	const char *task_id;
	const char *user_id;
	long version;
	bool completed;
	long long remind_at_ms; /* REM_NO_TIME when the task has no reminder */
	long long occurred_ms;  /* when the change happened */
	const cJSON *task;      /* the snapshot */
};

/* What is kept per task (the Dapr state value). */
struct rem_state {
	char task_id[37];
	char user_id[REM_USER_ID_MAX + 1];
	long version;  /* the newest task version seen */
	bool deleted;  /* a tombstone: the task is gone, every later event is ignored */
	bool completed;
	long long remind_at_ms; /* REM_NO_TIME: none */
	bool armed;
	long long fired_ms; /* remind_at of the last reminder fired, or REM_NO_TIME */
	/* The latest snapshot while armed (what reminder-due carries), else
	 * NULL. Borrowed: from root after rem_state_decode, from the event
	 * after rem_apply. */
	const cJSON *task;
	cJSON *root; /* owns what rem_state_decode parsed; NULL otherwise */
};

/* Parses an RFC 3339 timestamp (as svc_time_parse_rfc3339) to milliseconds
 * since 1970 (digits past the milliseconds are dropped). Returns 0 or -1. */
int rem_time_parse_ms(const char *s, long long *ms);
/* Formats ms as UTC RFC 3339 with milliseconds, e.g.
 * 2026-01-02T03:04:05.678Z. */
void rem_time_format_ms(long long ms, char out[REM_TIME_MAX]);

/* Reads a delivered task event: type is its event_type, data its data
 * (borrowed; out points into it). SVC_EINVAL with a message for anything
 * that is not a well-formed task event (the caller drops it). */
enum svc_result rem_event_parse(const char *type, const cJSON *data, struct rem_event *out,
				struct svc_err *err);

enum rem_verdict {
	REM_IGNORE, /* stale, a duplicate, or the task is deleted: change nothing */
	REM_SAVE,   /* store *out, then index it */
};

/* What ev does to the stored state old (NULL when nothing is stored yet).
 * On REM_SAVE, *out is the new state (its task borrowed from ev while
 * armed; root NULL). Rules:
 *  - a deletion always wins and leaves a tombstone; a tombstone ignores
 *    everything after it;
 *  - an event whose version is not newer than the stored one is ignored;
 *  - the reminder is armed when the task is pending, has a remind_at, and
 *    nothing fired for that remind_at yet, and one of: the remind_at is new
 *    or moved (a reminder already past fires at once); the task was
 *    reopened while its remind_at was still ahead (of the reopening);
 *    it was armed before. */
enum rem_verdict rem_apply(const struct rem_state *old, const struct rem_event *ev,
			   struct rem_state *out);

enum rem_fire_verdict {
	REM_FIRE,       /* publish reminder-due now */
	REM_RESCHEDULE, /* armed, but for another time: index it at s->remind_at_ms */
	REM_DROP,       /* not armed (any more): nothing to do */
};

/* Whether a reminder claimed for at_ms may fire, given the stored state (NULL
 * when none). */
enum rem_fire_verdict rem_fire_check(const struct rem_state *s, long long at_ms);

/* Records that the reminder for at_ms fired: it never fires again for that
 * time. */
void rem_mark_fired(struct rem_state *s, long long at_ms);

/* The due index entry the state calls for: its time, or REM_NO_TIME for
 * none. */
long long rem_index_time(const struct rem_state *s);

/* The state as JSON text (caller frees with free()); NULL on OOM. */
char *rem_state_encode(const struct rem_state *s);
/* Parses what rem_state_encode wrote. On success out->root owns the parse:
 * free with rem_state_cleanup. SVC_EINVAL when it is not a state. */
enum svc_result rem_state_decode(const char *json, size_t len, struct rem_state *out,
				 struct svc_err *err);
void rem_state_cleanup(struct rem_state *s);

/* The reminder-due event id: a UUID derived from the task id and the
 * reminder's time, so a reminder published twice keeps one id. */
void rem_event_id(const char *task_id, long long at_ms, char out[37]);

/* The reminder-due CloudEvent for the reminder of s due at at_ms, published
 * at fired_ms. Caller frees with cJSON_Delete; NULL on OOM or when s holds
 * no snapshot. */
cJSON *rem_due_event(const struct rem_state *s, long long at_ms, long long fired_ms);

/* A claimed reminder in the index: "<task_id>|<at_ms>". */
struct rem_claim {
	char member[64];
	char task_id[37];
	long long at_ms;
};

/* Fills c from a member string. Returns 0, or -1 when it is not one. */
int rem_claim_parse(const char *member, struct rem_claim *c);

#endif
