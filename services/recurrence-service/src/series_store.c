#include "series_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "recur.h"
#include "svc/json.h"
#include "svc/pg.h"
#include "svc/util.h"

static const struct svc_migration migrations[] = {
	{1, "series and occurrences",
	 "CREATE TABLE recurrence.series ("
	 "  series_id uuid PRIMARY KEY,"
	 "  user_id text NOT NULL,"
	 "  dtstart timestamptz NOT NULL,"
	 "  generated integer NOT NULL DEFAULT 1,"
	 "  latest_task_id uuid NOT NULL,"
	 "  latest_version integer NOT NULL,"
	 "  latest_at timestamptz,"
	 "  latest text NOT NULL,"
	 "  ended_at timestamptz,"
	 "  updated_at timestamptz NOT NULL DEFAULT now()"
	 ");"
	 /* The cron tick's question: which open series' latest is overdue. */
	 "CREATE INDEX series_overdue ON recurrence.series (latest_at)"
	 "  WHERE ended_at IS NULL AND latest_at IS NOT NULL;"
	 "CREATE TABLE recurrence.occurrences ("
	 "  series_id uuid NOT NULL,"
	 "  occurrence_at timestamptz NOT NULL,"
	 "  task_id uuid NOT NULL,"
	 "  created_at timestamptz NOT NULL DEFAULT now(),"
	 "  published_at timestamptz,"
	 "  PRIMARY KEY (series_id, occurrence_at)"
	 ");"},
	{2, "claims with leases instead of locks held across calls",
	 /* An occurrence keeps the event that announces it until it has gone
	  * out; a publisher claims it for a while (claim, claimed_until). */
	 "ALTER TABLE recurrence.occurrences"
	 "  ADD COLUMN event text,"
	 "  ADD COLUMN claim uuid,"
	 "  ADD COLUMN claimed_until timestamptz,"
	 "  ADD COLUMN publish_attempts integer NOT NULL DEFAULT 0,"
	 "  ADD COLUMN last_error text;"
	 "CREATE INDEX occurrences_unpublished ON recurrence.occurrences (created_at)"
	 "  WHERE published_at IS NULL;"
	 /* The cron tick claims an overdue series until tick_until. */
	 "ALTER TABLE recurrence.series ADD COLUMN tick_until timestamptz;"},
};

#define ROW_SQL                                                                         \
	"SELECT series_id, user_id, latest_task_id, latest_version,"                    \
	" extract(epoch FROM dtstart)::bigint, generated,"                              \
	" extract(epoch FROM latest_at)::bigint, latest, ended_at IS NOT NULL"          \
	" FROM recurrence.series WHERE series_id = $1 FOR UPDATE"

static enum svc_result oom(struct svc_err *err)
{
	return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
}

enum svc_result rec_store_migrate(const char *conninfo, struct svc_err *err)
{
	return svc_pg_migrate_at_start(conninfo, "recurrence", migrations,
				       sizeof migrations / sizeof migrations[0], 60000, err);
}

void rec_row_cleanup(struct rec_row *row)
{
	cJSON_Delete(row->latest);
	row->latest = NULL;
}

static enum svc_result read_row(const PGresult *res, struct rec_row *row, struct svc_err *err)
{
	memset(row, 0, sizeof *row);
	snprintf(row->series_id, sizeof row->series_id, "%s", PQgetvalue(res, 0, 0));
	snprintf(row->user_id, sizeof row->user_id, "%s", PQgetvalue(res, 0, 1));
	snprintf(row->latest_task_id, sizeof row->latest_task_id, "%s", PQgetvalue(res, 0, 2));
	row->latest_version = strtol(PQgetvalue(res, 0, 3), NULL, 10);
	row->dtstart = strtoll(PQgetvalue(res, 0, 4), NULL, 10);
	row->generated = strtol(PQgetvalue(res, 0, 5), NULL, 10);
	row->has_latest_at = !PQgetisnull(res, 0, 6);
	row->latest_at = row->has_latest_at ? strtoll(PQgetvalue(res, 0, 6), NULL, 10) : 0;
	row->ended = PQgetvalue(res, 0, 8)[0] == 't';
	const char *latest = PQgetvalue(res, 0, 7);
	if (svc_json_parse(latest, strlen(latest), &row->latest, err) != SVC_OK)
		return svc_err_set(err, SVC_EINTERNAL, NULL, "bad series snapshot in store");
	return SVC_OK;
}

enum svc_result rec_store_lock(struct svc_pg *pg, const char *series_id, struct rec_row *row,
			       bool *found, struct svc_err *err)
{
	*found = false;
	memset(row, 0, sizeof *row);
	const char *p[] = {series_id};
	PGresult *res = NULL;
	enum svc_result r = svc_pg_query(pg, ROW_SQL, 1, p, &res, err);
	if (r == SVC_OK && PQntuples(res) == 1) {
		*found = true;
		r = read_row(res, row, err);
	}
	PQclear(res);
	return r;
}

/* A row's values as query parameter text. */
struct row_text {
	char *latest;
	char dtstart[32], latest_at[32], version[24], generated[24];
};

static enum svc_result row_text(const struct rec_row *row, struct row_text *t,
				struct svc_err *err)
{
	t->latest = cJSON_PrintUnformatted(row->latest);
	if (!t->latest)
		return oom(err);
	rec_time_format(row->dtstart, t->dtstart, sizeof t->dtstart);
	rec_time_format(row->latest_at, t->latest_at, sizeof t->latest_at);
	snprintf(t->version, sizeof t->version, "%ld", row->latest_version);
	snprintf(t->generated, sizeof t->generated, "%ld", row->generated);
	return SVC_OK;
}

/* Writes row: a new series (*inserted false when one was there), or the
 * locked one back. */
static enum svc_result put(struct svc_pg *pg, const struct rec_row *row, bool is_new,
			   bool *inserted, struct svc_err *err)
{
	struct row_text t;
	enum svc_result r = row_text(row, &t, err);
	if (r != SVC_OK)
		return r;
	const char *p[] = {row->series_id, row->user_id, t.dtstart, t.generated,
			   row->latest_task_id, t.version, row->has_latest_at ? t.latest_at : NULL,
			   t.latest, row->ended ? "t" : "f"};
	PGresult *res = NULL;
	r = svc_pg_query(
		pg,
		is_new ? "INSERT INTO recurrence.series (series_id, user_id, dtstart, generated,"
			 " latest_task_id, latest_version, latest_at, latest, ended_at)"
			 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8,"
			 " CASE WHEN $9::boolean THEN now() END) ON CONFLICT (series_id) DO NOTHING"
		       : "UPDATE recurrence.series SET dtstart = $3, generated = $4,"
			 " latest_task_id = $5, latest_version = $6, latest_at = $7, latest = $8,"
			 " ended_at = CASE WHEN $9::boolean THEN coalesce(ended_at, now()) END,"
			 " updated_at = now() WHERE series_id = $1 AND user_id = $2",
		9, p, &res, err);
	free(t.latest);
	if (r != SVC_OK)
		return r;
	if (inserted)
		*inserted = strcmp(PQcmdTuples(res), "1") == 0;
	PQclear(res);
	return SVC_OK;
}

enum svc_result rec_store_insert(struct svc_pg *pg, const struct rec_row *row, bool *inserted,
				 struct svc_err *err)
{
	/* A row inserted by this transaction is its own until it ends. */
	return put(pg, row, true, inserted, err);
}

enum svc_result rec_store_save(struct svc_pg *pg, const struct rec_row *row,
			       struct svc_err *err)
{
	return put(pg, row, false, NULL, err);
}

enum svc_result rec_store_occurrence(struct svc_pg *pg, const char *series_id,
				     const char *occurrence_at, const char *task_id,
				     const char *event, bool *first, struct svc_err *err)
{
	*first = false;
	const char *p[] = {series_id, occurrence_at, task_id, event};
	PGresult *res = NULL;
	enum svc_result r = svc_pg_query(pg,
					 "INSERT INTO recurrence.occurrences"
					 " (series_id, occurrence_at, task_id, event) VALUES ($1, $2, $3, $4)"
					 " ON CONFLICT DO NOTHING",
					 4, p, &res, err);
	if (r != SVC_OK)
		return r;
	*first = strcmp(PQcmdTuples(res), "1") == 0;
	PQclear(res);
	return SVC_OK;
}

enum svc_result rec_store_claim_due(struct svc_pg *pg, long lease_ms, char series_id[37],
				    bool *found, struct svc_err *err)
{
	*found = false;
	series_id[0] = '\0';
	char lease[24];
	snprintf(lease, sizeof lease, "%ld", lease_ms);
	const char *p[] = {lease};
	PGresult *res = NULL;
	/* SKIP LOCKED: a series another tick is claiming this instant is
	 * left to it; the lease keeps it that tick's afterwards. */
	enum svc_result r = svc_pg_query(
		pg,
		"UPDATE recurrence.series SET tick_until = now() + make_interval(secs => $1::bigint"
		" / 1000.0) WHERE series_id = (SELECT series_id FROM recurrence.series"
		" WHERE ended_at IS NULL AND latest_at IS NOT NULL AND latest_at <= now()"
		" AND (latest::json ->> 'recur_from') IS DISTINCT FROM 'completion'"
		" AND (tick_until IS NULL OR tick_until <= now())"
		" ORDER BY latest_at LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING series_id",
		1, p, &res, err);
	if (r != SVC_OK)
		return r;
	if (PQntuples(res) == 1) {
		*found = true;
		snprintf(series_id, 37, "%s", PQgetvalue(res, 0, 0));
	}
	PQclear(res);
	return SVC_OK;
}

enum svc_result rec_store_unclaim_due(struct svc_pg *pg, const char *series_id, long retry_ms,
				      struct svc_err *err)
{
	char pause[24];
	snprintf(pause, sizeof pause, "%ld", retry_ms);
	const char *p[] = {series_id, pause};
	return svc_pg_query(pg,
			    "UPDATE recurrence.series SET tick_until = CASE WHEN $2::bigint > 0"
			    " THEN now() + make_interval(secs => $2::bigint / 1000.0) END"
			    " WHERE series_id = $1",
			    2, p, NULL, err);
}

void rec_pending_cleanup(struct rec_pending *p)
{
	free(p->event);
	memset(p, 0, sizeof *p);
}

enum svc_result rec_store_claim_publication(struct svc_pg *pg, const char *series_id,
					    long lease_ms, struct rec_pending *out, bool *found,
					    struct svc_err *err)
{
	memset(out, 0, sizeof *out);
	*found = false;
	char lease[24];
	snprintf(lease, sizeof lease, "%ld", lease_ms);
	if (svc_uuid_v4(out->claim) != 0)
		return svc_err_set(err, SVC_EINTERNAL, NULL, "no random bytes");
	const char *p[] = {series_id, lease, out->claim};
	PGresult *res = NULL;
	/* SKIP LOCKED and a claim that must have run out: of two claimers, one
	 * takes the row and the other sees it taken (a row updated meanwhile
	 * is checked again as it is now). */
	enum svc_result r = svc_pg_query(
		pg,
		"UPDATE recurrence.occurrences o SET claim = $3::uuid,"
		" claimed_until = now() + make_interval(secs => $2::bigint / 1000.0),"
		" publish_attempts = o.publish_attempts + 1"
		" FROM (SELECT series_id, occurrence_at FROM recurrence.occurrences"
		"  WHERE published_at IS NULL AND event IS NOT NULL"
		"  AND ($1::uuid IS NULL OR series_id = $1::uuid)"
		"  AND (claimed_until IS NULL OR claimed_until <= now())"
		"  ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED) AS next"
		" WHERE o.series_id = next.series_id AND o.occurrence_at = next.occurrence_at"
		" RETURNING o.series_id, o.occurrence_at, o.task_id, o.event",
		3, p, &res, err);
	if (r != SVC_OK)
		return r;
	if (PQntuples(res) == 1) {
		snprintf(out->series_id, sizeof out->series_id, "%s", PQgetvalue(res, 0, 0));
		snprintf(out->occurrence_at, sizeof out->occurrence_at, "%s", PQgetvalue(res, 0, 1));
		snprintf(out->task_id, sizeof out->task_id, "%s", PQgetvalue(res, 0, 2));
		out->event = strdup(PQgetvalue(res, 0, 3));
		*found = out->event != NULL;
		if (!out->event)
			r = oom(err);
	}
	PQclear(res);
	return r;
}

enum svc_result rec_store_published(struct svc_pg *pg, const struct rec_pending *p,
				    struct svc_err *err)
{
	const char *q[] = {p->series_id, p->occurrence_at};
	return svc_pg_query(pg,
			    "UPDATE recurrence.occurrences SET published_at = now(), claim = NULL,"
			    " claimed_until = NULL, last_error = NULL"
			    " WHERE series_id = $1 AND occurrence_at = $2",
			    2, q, NULL, err);
}

void rec_store_unclaim_publication(struct svc_pg *pg, const struct rec_pending *p,
				   const char *error)
{
	const char *q[] = {p->series_id, p->occurrence_at, p->claim, error};
	svc_pg_query(pg,
		     "UPDATE recurrence.occurrences SET claim = NULL, claimed_until = NULL,"
		     " last_error = $4 WHERE series_id = $1 AND occurrence_at = $2"
		     " AND claim = $3::uuid AND published_at IS NULL",
		     4, q, NULL, NULL);
}
