/* The recurrence schema: what recurrence-service knows of each series (its
 * latest occurrence, start, how many were made, whether it has ended) and
 * the occurrences it made. Every function runs on the calling thread's own
 * connection; a series is changed under its row lock, inside a transaction
 * begun by rec_store_lock. */
#ifndef REC_SERIES_STORE_H
#define REC_SERIES_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "svc/result.h"

enum svc_result rec_store_migrate(const char *conninfo, struct svc_err *err);

/* A series row, locked. latest is owned (free with rec_series_cleanup). */
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

/* Begins a transaction and locks the series' row into *row. *found false
 * when there is none (the transaction stays open). With skip_locked, a row
 * another worker holds counts as not found. */
enum svc_result rec_store_lock(const char *conninfo, const char *series_id, bool skip_locked,
			       struct rec_row *row, bool *found, struct svc_err *err);
/* Inside the transaction: inserts row as a new series (ignored if one
 * appeared meanwhile) and locks it. */
enum svc_result rec_store_insert(const char *conninfo, const struct rec_row *row,
				 struct svc_err *err);
/* Inside the transaction: writes row back. */
enum svc_result rec_store_save(const char *conninfo, const struct rec_row *row,
			       struct svc_err *err);
/* Inside the transaction: records an occurrence made; *first false when it
 * was recorded before. *published tells whether its event went out. */
enum svc_result rec_store_occurrence(const char *conninfo, const char *series_id,
				     const char *occurrence_at, const char *task_id,
				     bool *first, bool *published, struct svc_err *err);
enum svc_result rec_store_published(const char *conninfo, const char *series_id,
				    const char *occurrence_at, struct svc_err *err);
enum svc_result rec_store_commit(const char *conninfo, struct svc_err *err);
void rec_store_rollback(const char *conninfo);

/* Up to max series (ids into ids[max][37]) whose latest occurrence's due
 * time has passed: the cron tick makes their next occurrence. */
enum svc_result rec_store_due(const char *conninfo, size_t max, char (*ids)[37], size_t *n,
			      struct svc_err *err);

#endif
