/* Keeping every recurring series' next occurrence open as a task: what task
 * events and the cron tick do to a series. Each change happens under the
 * series' row lock; occurrences are made through task-service, which keeps
 * one task per (series, occurrence), so replicas and repeated deliveries
 * never make one twice. */
#ifndef REC_SERIES_H
#define REC_SERIES_H

#include <cjson/cJSON.h>

#include "svc/dapr.h"
#include "svc/result.h"

struct svc_app;
struct svc_auth;

struct rec_ctx {
	struct svc_app *app;
	struct svc_auth *auth;
	const char *conninfo;
	struct svc_peer task_service; /* TASK_SERVICE_URL, or through the sidecar */
	long timeout_ms;
};

enum rec_trigger {
	REC_SEEN,         /* created or updated: learn the series, follow edits */
	REC_COMPLETED,    /* make the occurrence after this one */
	REC_DELETED,      /* a skipped occurrence: keep the series going */
	REC_SERIES_ENDED, /* deleted with ?series=all */
};

/* Applies a task event's snapshot (borrowed) to its series. SVC_EINVAL for
 * an event that can never be applied (drop it); other errors are worth a
 * retry. */
enum svc_result rec_on_task(struct rec_ctx *ctx, const cJSON *task, enum rec_trigger trigger,
			    const char *request_id, struct svc_err *err);

/* The row of a series first seen in task's snapshot (borrowed; the row
 * keeps a copy): its id, user, start (the task's occurrence, due or
 * creation time) and the task as its latest occurrence. SVC_EINVAL when
 * the snapshot lacks those. On success free with rec_row_cleanup. */
struct rec_row;
enum svc_result rec_row_from(struct rec_row *row, const cJSON *task, struct svc_err *err);

/* Follows what a snapshot of the series' task says: an edit of the latest
 * occurrence (a new rule restarts the count from it; no rule ends the
 * series), or a newer occurrence than the one we knew. No I/O; the caller
 * saves the row. */
enum svc_result rec_row_follow(struct rec_row *row, const cJSON *task, struct svc_err *err);

/* The cron tick: every open series whose latest occurrence is overdue
 * gets its next one (skipping dates missed meanwhile). *made counts them. */
enum svc_result rec_tick(struct rec_ctx *ctx, const char *request_id, size_t *made,
			 struct svc_err *err);

#endif
