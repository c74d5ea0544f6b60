/* Keeping every recurring series' next occurrence open as a task: what task
 * events and the cron tick do to a series.
 *
 * No lock and no transaction is held across a network call. A change is
 * decided in a short transaction under the series' row lock (the plan);
 * the occurrence is then made through task-service, which keeps one task
 * per (series, occurrence), so two workers that planned the same one get
 * the same task; what came back is merged into the row in a second short
 * transaction, where a series only ever moves forward, and recorded with
 * the recurring-task-generated event that announces it; that event goes
 * out once, published by whoever claims it first (a claim with a lease, so
 * a publisher that dies leaves it to the next). */
#ifndef REC_SERIES_H
#define REC_SERIES_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "svc/dapr.h"
#include "svc/pg.h"
#include "svc/result.h"

struct svc_app;
struct svc_auth;
struct rec_row;

/* Who touches what: everything is set up before the server starts and
 * read-only after, but tick_pg, which only the thread holding tick_lock
 * uses. */
struct rec_ctx {
	struct svc_app *app;
	struct svc_pg_opts pg;        /* DATABASE_URL, pool size, wait */
	struct svc_pg_pool *db;       /* event handlers acquire a handle here */
	struct svc_auth *auth;
	struct svc_peer task_service; /* TASK_SERVICE_URL, or through the sidecar */
	long timeout_ms;
	/* The cron tick's own handle: one tick at a time per process (an
	 * overlapping one returns at once), and never waiting behind events
	 * for a handle. */
	pthread_mutex_t tick_lock;
	struct svc_pg *tick_pg;
};

/* Makes ctx's pool and tick handle from ctx->pg. 0, or -1 on OOM. */
int rec_ctx_open(struct rec_ctx *ctx);
/* Frees what rec_ctx_open made, once no handler runs any more. */
void rec_ctx_close(struct rec_ctx *ctx);

enum rec_trigger {
	REC_SEEN,         /* created or updated: learn the series, follow edits */
	REC_COMPLETED,    /* make the occurrence after this one */
	REC_DELETED,      /* a skipped occurrence: keep the series going */
	REC_SERIES_ENDED, /* deleted with ?series=all */
};

/* Applies a task event's snapshot (borrowed) to its series, on the
 * caller's handle pg (outside any transaction): follows it, makes the
 * occurrence the trigger asks for, and publishes what the series has left
 * unpublished. SVC_EINVAL for an event that can never be applied (drop
 * it); other errors are worth a retry. */
enum svc_result rec_on_task(struct rec_ctx *ctx, struct svc_pg *pg, const cJSON *task,
			    enum rec_trigger trigger, const char *request_id, struct svc_err *err);

/* The cron tick, on ctx's tick handle: every open series whose latest
 * occurrence is overdue gets its next one (skipping dates missed
 * meanwhile), one claimed series at a time; then events left unpublished
 * by anyone (a publisher that died) go out. *made counts the occurrences
 * made. */
enum svc_result rec_tick(struct rec_ctx *ctx, const char *request_id, size_t *made,
			 struct svc_err *err);

/* ---- the rules, no I/O -------------------------------------------------- */

/* The row of a series first seen in task's snapshot (borrowed; the row
 * keeps a copy): its id, user, start (the task's occurrence, due or
 * creation time) and the task as its latest occurrence. SVC_EINVAL when
 * the snapshot lacks those. On success free with rec_row_cleanup. */
enum svc_result rec_row_from(struct rec_row *row, const cJSON *task, struct svc_err *err);

/* Follows what a snapshot of the series' task says: an edit of the latest
 * occurrence (a new rule restarts the count from it; no rule ends the
 * series), or a newer occurrence than the one we knew. The caller saves
 * the row. */
enum svc_result rec_row_follow(struct rec_row *row, const cJSON *task, struct svc_err *err);

/* An occurrence to make. */
struct rec_plan {
	bool make;            /* false: nothing to make */
	long long at;         /* its time */
	char occurrence_at[32];
	char series_id[37];
	char user_id[64];
	char previous[37];    /* the occurrence before it (the row's latest then) */
	cJSON *fields;        /* the task to make; owned, rec_plan_cleanup frees */
};
void rec_plan_cleanup(struct rec_plan *plan);

/* The series' occurrence after `after` into *plan (with after_now, the
 * first one after now as well; with from_completion, counting from the
 * completion at `after`), unless the rule has run out or is gone: then
 * row->ended is set and plan->make is false. */
enum svc_result rec_row_plan(struct rec_row *row, long long after, bool from_completion,
			     bool after_now, long long now, struct rec_plan *plan,
			     struct svc_err *err);

/* What a trigger on task (the event's snapshot, already followed) asks of
 * row: a plan, the series' end, or nothing. now is the time (a completion
 * without completed_at counts from it). */
enum svc_result rec_row_trigger(struct rec_row *row, const cJSON *task,
				enum rec_trigger trigger, long long now, struct rec_plan *plan,
				struct svc_err *err);

/* Merges the occurrence at `at` that task-service made (task, its
 * snapshot) into row, which may have moved since the plan: one more made
 * when it is recorded for the first time (first), and it becomes the
 * latest occurrence only when it is later than the one row knows, so a
 * series never moves backwards. */
enum svc_result rec_row_made(struct rec_row *row, long long at, const cJSON *task, bool first,
			     struct svc_err *err);

/* The occurrence at `at` was made once and has been deleted since (a skip
 * that this worker had not heard of): when it is later than row's latest,
 * *plan is the one after it, as deleting the latest asks; otherwise the
 * series has moved past it and plan->make is false. */
enum svc_result rec_row_skipped(struct rec_row *row, long long at, long long now,
				struct rec_plan *plan, struct svc_err *err);

/* The recurring-task-generated CloudEvent for plan's occurrence, made as
 * task (its snapshot), at time now (RFC 3339): its id is derived from
 * (series, occurrence), so it is the same however often it is built. JSON
 * text, caller frees; NULL on OOM. */
char *rec_event_text(const struct rec_plan *plan, const cJSON *task, const char *now);

#endif
