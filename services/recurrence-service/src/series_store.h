/* The recurrence schema: what recurrence-service knows of each series (its
 * latest occurrence, start, how many were made, whether it has ended), the
 * occurrences it made, and the publication of their events.
 *
 * Every function runs on the caller's handle pg. Those said to run inside
 * the caller's transaction expect the caller to have begun one
 * (svc_pg_begin) and to finish it (svc_pg_finish) as soon as the row is
 * written back, before any network I/O: a series' row lock is held for a
 * few statements, never across a call to task-service or a publish. The
 * others are single statements of their own. Work that spans network I/O
 * is claimed instead, with a lease that runs out if its holder dies. */
#ifndef REC_SERIES_STORE_H
#define REC_SERIES_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "svc/pg.h"
#include "svc/result.h"

enum svc_result rec_store_migrate(const char *conninfo, struct svc_err *err);

/* A series row. latest is owned (free with rec_row_cleanup). */
struct rec_row {
	char series_id[37];
	char user_id[64];
	char latest_task_id[37];
	long latest_version;
	long long dtstart;
	long generated;
	bool has_latest_at;
	long long latest_at; /* the latest occurrence's time (its due date) */
	cJSON *latest;       /* the latest occurrence's snapshot: the template */
	bool ended;
};
void rec_row_cleanup(struct rec_row *row);

/* Inside the caller's transaction: locks the series' row (waiting while
 * another short transaction holds it) and reads it into *row. *found false
 * when there is none. */
enum svc_result rec_store_lock(struct svc_pg *pg, const char *series_id, struct rec_row *row,
			       bool *found, struct svc_err *err);
/* Inside the caller's transaction: inserts row as a new series and locks
 * it. *inserted false, with nothing written, when one appeared meanwhile
 * (lock and read that one instead). */
enum svc_result rec_store_insert(struct svc_pg *pg, const struct rec_row *row, bool *inserted,
				 struct svc_err *err);
/* Inside the caller's transaction: writes the locked row back. */
enum svc_result rec_store_save(struct svc_pg *pg, const struct rec_row *row,
			       struct svc_err *err);
/* Inside the caller's transaction: records an occurrence made, with the
 * CloudEvent that announces it (JSON text, borrowed), to be published once
 * (rec_store_claim_publication). *first false when it was recorded before:
 * the event recorded then is kept. */
enum svc_result rec_store_occurrence(struct svc_pg *pg, const char *series_id,
				     const char *occurrence_at, const char *task_id,
				     const char *event, bool *first, struct svc_err *err);

/* The cron tick's work, claimed one series at a time so that replicas
 * share it and one whose calls stall holds up a single series: the
 * series whose latest occurrence's due time has passed first, among the
 * open, due-based series no other tick holds; it is the caller's for
 * lease_ms. *found false when none is left. */
enum svc_result rec_store_claim_due(struct svc_pg *pg, long lease_ms, char series_id[37],
				    bool *found, struct svc_err *err);
/* Gives the tick's claim on the series back: at once (retry_ms 0), or
 * after retry_ms (a failure: the tick leaves it to a later one). */
enum svc_result rec_store_unclaim_due(struct svc_pg *pg, const char *series_id, long retry_ms,
				      struct svc_err *err);

/* An occurrence's event, claimed for publication. */
struct rec_pending {
	char series_id[37];
	char occurrence_at[64]; /* as the store gives it; only handed back */
	char task_id[37];       /* the event's partition key */
	char claim[37];         /* proves the claim is still the holder's */
	char *event;            /* the CloudEvent JSON text; rec_pending_cleanup frees it */
};
void rec_pending_cleanup(struct rec_pending *p);

/* Claims the publication of the earliest recorded occurrence (of
 * series_id; of any series when NULL) whose event has not gone out and
 * that nobody else is publishing: it is the caller's to publish for
 * lease_ms, after which another may take it (a crash mid-publish is
 * retried, by the tick at the latest). *found false when there is none. */
enum svc_result rec_store_claim_publication(struct svc_pg *pg, const char *series_id,
					    long lease_ms, struct rec_pending *out, bool *found,
					    struct svc_err *err);
/* The claimed event went out: it never goes out again. */
enum svc_result rec_store_published(struct svc_pg *pg, const struct rec_pending *p,
				    struct svc_err *err);
/* It did not: gives the claim back at once and keeps why (best effort). */
void rec_store_unclaim_publication(struct svc_pg *pg, const struct rec_pending *p,
				   const char *error);

#endif
