#include "series_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recur.h"
#include "svc/json.h"
#include "svc/pg.h"

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

static struct svc_pg *conn(const char *conninfo)
{
	return svc_pg_thread(conninfo);
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

enum svc_result rec_store_lock(const char *conninfo, const char *series_id, bool skip_locked,
			       struct rec_row *row, bool *found, struct svc_err *err)
{
	*found = false;
	memset(row, 0, sizeof *row);
	struct svc_pg *pg = conn(conninfo);
	if (!pg)
		return oom(err);
	enum svc_result r = svc_pg_begin(pg, err);
	if (r != SVC_OK)
		return r;
	const char *p[] = {series_id};
	PGresult *res = NULL;
	r = svc_pg_query(pg, skip_locked ? ROW_SQL " SKIP LOCKED" : ROW_SQL, 1, p, &res, err);
	if (r == SVC_OK && PQntuples(res) == 1) {
		*found = true;
		r = read_row(res, row, err);
	}
	PQclear(res);
	if (r != SVC_OK)
		svc_pg_rollback(pg);
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

/* Writes row: a new series (kept if one appeared meanwhile, then locked),
 * or the locked one back. */
static enum svc_result put(const char *conninfo, const struct rec_row *row, bool is_new,
			   struct svc_err *err)
{
	struct svc_pg *pg = conn(conninfo);
	struct row_text t;
	enum svc_result r = pg ? row_text(row, &t, err) : oom(err);
	if (r != SVC_OK)
		return r;
	const char *p[] = {row->series_id, row->user_id, t.dtstart, t.generated,
			   row->latest_task_id, t.version, row->has_latest_at ? t.latest_at : NULL,
			   t.latest, row->ended ? "t" : "f"};
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
		9, p, NULL, err);
	free(t.latest);
	if (r == SVC_OK && is_new)
		r = svc_pg_query(pg, "SELECT 1 FROM recurrence.series WHERE series_id = $1 FOR UPDATE",
				 1, p, NULL, err);
	return r;
}

enum svc_result rec_store_insert(const char *conninfo, const struct rec_row *row,
				 struct svc_err *err)
{
	return put(conninfo, row, true, err);
}

enum svc_result rec_store_save(const char *conninfo, const struct rec_row *row,
			       struct svc_err *err)
{
	return put(conninfo, row, false, err);
}

enum svc_result rec_store_occurrence(const char *conninfo, const char *series_id,
				     const char *occurrence_at, const char *task_id,
				     bool *first, bool *published, struct svc_err *err)
{
	struct svc_pg *pg = conn(conninfo);
	if (!pg)
		return oom(err);
	const char *p[] = {series_id, occurrence_at, task_id};
	PGresult *res = NULL;
	enum svc_result r = svc_pg_query(
		pg,
		"WITH made AS (INSERT INTO recurrence.occurrences (series_id, occurrence_at, task_id)"
		" VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1)"
		" SELECT EXISTS (SELECT 1 FROM made), (SELECT published_at IS NOT NULL FROM"
		" recurrence.occurrences WHERE series_id = $1 AND occurrence_at = $2)",
		3, p, &res, err);
	if (r != SVC_OK)
		return r;
	*first = PQgetvalue(res, 0, 0)[0] == 't';
	/* A row made by this statement is not visible to its own subquery. */
	*published = !*first && PQgetvalue(res, 0, 1)[0] == 't';
	PQclear(res);
	return SVC_OK;
}

enum svc_result rec_store_published(const char *conninfo, const char *series_id,
				    const char *occurrence_at, struct svc_err *err)
{
	struct svc_pg *pg = conn(conninfo);
	if (!pg)
		return oom(err);
	const char *p[] = {series_id, occurrence_at};
	return svc_pg_query(pg,
			    "UPDATE recurrence.occurrences SET published_at = now()"
			    " WHERE series_id = $1 AND occurrence_at = $2",
			    2, p, NULL, err);
}

enum svc_result rec_store_commit(const char *conninfo, struct svc_err *err)
{
	struct svc_pg *pg = conn(conninfo);
	return pg ? svc_pg_commit(pg, err) : oom(err);
}

void rec_store_rollback(const char *conninfo)
{
	struct svc_pg *pg = conn(conninfo);
	if (pg)
		svc_pg_rollback(pg);
}

enum svc_result rec_store_due(const char *conninfo, size_t max, char (*ids)[37], size_t *n,
			      struct svc_err *err)
{
	*n = 0;
	struct svc_pg *pg = conn(conninfo);
	if (!pg)
		return oom(err);
	char lim[24];
	snprintf(lim, sizeof lim, "%zu", max);
	const char *p[] = {lim};
	PGresult *res = NULL;
	enum svc_result r = svc_pg_query(pg,
					 "SELECT series_id FROM recurrence.series"
					 " WHERE ended_at IS NULL AND latest_at IS NOT NULL"
					 " AND latest_at <= now()"
					 " AND (latest::json ->> 'recur_from') IS DISTINCT FROM 'completion'"
					 " ORDER BY latest_at LIMIT $1",
					 1, p, &res, err);
	if (r != SVC_OK)
		return r;
	for (int i = 0; i < PQntuples(res) && *n < max; i++)
		snprintf(ids[(*n)++], 37, "%s", PQgetvalue(res, i, 0));
	PQclear(res);
	return SVC_OK;
}
