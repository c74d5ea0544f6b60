#include "task_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "svc/cursor.h"
#include "svc/event.h"
#include "svc/json.h"
#include "svc/log.h"
#include "svc/pg.h"
#include "svc/util.h"

static const struct svc_migration migrations[] = {
	{1, "tasks and outbox",
	 "CREATE TABLE tasks.tasks ("
	 "  id uuid PRIMARY KEY,"
	 "  user_id text NOT NULL,"
	 "  title text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 500),"
	 "  description text NOT NULL DEFAULT '',"
	 "  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','completed')),"
	 "  priority text NOT NULL DEFAULT 'medium' CHECK (priority IN ('high','medium','low')),"
	 "  tags text[] NOT NULL DEFAULT '{}',"
	 "  due_at timestamptz,"
	 "  remind_at timestamptz,"
	 "  rrule text,"
	 "  series_id uuid,"
	 "  created_at timestamptz NOT NULL DEFAULT now(),"
	 "  updated_at timestamptz NOT NULL DEFAULT now(),"
	 "  completed_at timestamptz,"
	 "  version integer NOT NULL DEFAULT 1"
	 ");"
	 "CREATE INDEX tasks_user_created ON tasks.tasks (user_id, created_at DESC, id);"
	 "CREATE TABLE tasks.outbox ("
	 "  id bigserial PRIMARY KEY,"
	 "  event_id uuid NOT NULL UNIQUE,"
	 "  topic text NOT NULL,"
	 "  aggregate_id uuid NOT NULL,"
	 "  payload text NOT NULL,"
	 "  created_at timestamptz NOT NULL DEFAULT now(),"
	 "  published_at timestamptz,"
	 "  attempts integer NOT NULL DEFAULT 0,"
	 "  last_error text"
	 ");"
	 "CREATE INDEX outbox_pending ON tasks.outbox (id) WHERE published_at IS NULL;"},
	{2, "reminders, list indexes, search",
	 "CREATE EXTENSION IF NOT EXISTS pg_trgm;"
	 "ALTER TABLE tasks.tasks"
	 "  ADD COLUMN remind_before_minutes integer"
	 "    CHECK (remind_before_minutes BETWEEN 0 AND 525600),"
	 "  ADD COLUMN priority_rank smallint GENERATED ALWAYS AS"
	 "    (CASE priority WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END) STORED,"
	 "  ADD CONSTRAINT tasks_tags_max CHECK (cardinality(tags) <= 20),"
	 "  ADD CONSTRAINT tasks_remind_needs_due"
	 "    CHECK (remind_before_minutes IS NULL OR due_at IS NOT NULL),"
	 "  ADD CONSTRAINT tasks_completed_at"
	 "    CHECK ((status = 'completed') = (completed_at IS NOT NULL));"
	 /* One index per sort, each ending in id: a page is an index range
	  * scan from the cursor, in either direction. Tasks without a due
	  * date come last both ways, hence two due indexes. */
	 "DROP INDEX tasks.tasks_user_created;"
	 "CREATE INDEX tasks_user_created ON tasks.tasks (user_id, created_at, id);"
	 "CREATE INDEX tasks_user_due_asc ON tasks.tasks"
	 "  (user_id, coalesce(due_at, 'infinity'::timestamptz), id);"
	 "CREATE INDEX tasks_user_due_desc ON tasks.tasks"
	 "  (user_id, coalesce(due_at, '-infinity'::timestamptz), id);"
	 "CREATE INDEX tasks_user_priority ON tasks.tasks (user_id, priority_rank, id);"
	 "CREATE INDEX tasks_user_title ON tasks.tasks (user_id, (lower(title) COLLATE \"C\"), id);"
	 "CREATE INDEX tasks_user_overdue ON tasks.tasks (user_id, due_at) WHERE status = 'pending';"
	 "CREATE INDEX tasks_tags ON tasks.tasks USING gin (tags);"
	 "CREATE INDEX tasks_search ON tasks.tasks"
	 "  USING gin ((title || ' ' || description) gin_trgm_ops);"
	 "CREATE INDEX tasks_series ON tasks.tasks (series_id) WHERE series_id IS NOT NULL;"
	 "CREATE INDEX outbox_sent ON tasks.outbox (published_at) WHERE published_at IS NOT NULL;"},
	{3, "recurring series: time zone, counting from completion, occurrences",
	 "ALTER TABLE tasks.tasks"
	 "  ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC' CHECK (char_length(time_zone) <= 64),"
	 "  ADD COLUMN recur_from text NOT NULL DEFAULT 'due'"
	 "    CHECK (recur_from IN ('due', 'completion')),"
	 "  ADD COLUMN occurrence_at timestamptz;"
	 /* Exactly one task per (series, occurrence time), however often
	  * recurrence-service asks. */
	 "CREATE UNIQUE INDEX tasks_series_occurrence ON tasks.tasks (series_id, occurrence_at)"
	 "  WHERE occurrence_at IS NOT NULL;"
	 "CREATE TABLE tasks.ended_series ("
	 "  series_id uuid PRIMARY KEY,"
	 "  user_id text NOT NULL,"
	 "  ended_at timestamptz NOT NULL DEFAULT now()"
	 ");"},
	{4, "occurrences made, remembered after their task is deleted",
	 /* The unique key per (series, occurrence) outlives the task: a
	  * request for an occurrence that was made and then deleted (skipped)
	  * must not make it again, however late it comes. */
	 "CREATE TABLE tasks.series_occurrences ("
	 "  series_id uuid NOT NULL,"
	 "  occurrence_at timestamptz NOT NULL,"
	 "  task_id uuid NOT NULL,"
	 "  created_at timestamptz NOT NULL DEFAULT now(),"
	 "  PRIMARY KEY (series_id, occurrence_at)"
	 ");"
	 "INSERT INTO tasks.series_occurrences (series_id, occurrence_at, task_id)"
	 "  SELECT series_id, occurrence_at, id FROM tasks.tasks WHERE occurrence_at IS NOT NULL;"},
};

/* The API's and the events' view of a task row (alias t). */
#define SNAPSHOT_SQL \
	"json_build_object('id', t.id, 'user_id', t.user_id, 'title', t.title," \
	" 'description', t.description, 'status', t.status, 'priority', t.priority," \
	" 'tags', t.tags, 'due_at', t.due_at, 'remind_at', t.remind_at," \
	" 'remind_before_minutes', t.remind_before_minutes," \
	" 'rrule', t.rrule, 'series_id', t.series_id, 'occurrence_at', t.occurrence_at," \
	" 'recur_from', t.recur_from, 'time_zone', t.time_zone, 'created_at', t.created_at," \
	" 'updated_at', t.updated_at, 'completed_at', t.completed_at," \
	" 'version', t.version)::text, t.version"

/* remind_at from $7 due_at, $8 remind_at and $9 minutes before. */
#define REMIND_AT_SQL \
	"CASE WHEN $9::integer IS NOT NULL" \
	" THEN $7::timestamptz - make_interval(mins => $9::integer)" \
	" ELSE $8::timestamptz END"

void tsk_record_cleanup(struct tsk_record *rec)
{
	free(rec->json);
	rec->json = NULL;
}

static enum svc_result oom(struct svc_err *err)
{
	return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
}

static enum svc_result lock_series(struct svc_pg *pg, const char *series_id,
				   struct svc_err *err);

/* Takes row 0 of res (snapshot, version) into out. */
static enum svc_result take_record(const PGresult *res, struct tsk_record *out,
				   struct svc_err *err)
{
	out->json = strdup(PQgetvalue(res, 0, 0));
	out->version = strtol(PQgetvalue(res, 0, 1), NULL, 10);
	return out->json ? SVC_OK : oom(err);
}

enum svc_result tsk_store_migrate(const char *conninfo, struct svc_err *err)
{
	return svc_pg_migrate_at_start(conninfo, "tasks", migrations,
				       sizeof migrations / sizeof migrations[0], 60000, err);
}

/* Appends the event for a task change to the outbox, inside the caller's
 * transaction. task is the snapshot and changes the diff (may be NULL);
 * both are borrowed. A task-deleted event also says whether the deletion
 * ends the task's recurring series. */
static enum svc_result outbox_add(struct svc_pg *pg, const char *topic, const char *task_id,
				  const char *user_id, const cJSON *task, const cJSON *changes,
				  bool ends_series, struct svc_err *err)
{
	char event_id[37], now[40];
	svc_uuid_v4(event_id);
	svc_time_now_rfc3339(now, sizeof now);
	cJSON *t = cJSON_Duplicate(task, 1);
	cJSON *c = changes ? cJSON_Duplicate(changes, 1) : NULL;
	if (!t || (changes && !c)) {
		cJSON_Delete(t);
		cJSON_Delete(c);
		return oom(err);
	}
	/* svc_event_build takes ownership of t and c. */
	cJSON *ce = svc_event_build(event_id, topic, "task-service", task_id, user_id, now,
				    "task", t, c);
	if (ce && strcmp(topic, "task-deleted") == 0 &&
	    !cJSON_AddBoolToObject(cJSON_GetObjectItemCaseSensitive(ce, "data"), "ends_series",
				   ends_series)) {
		cJSON_Delete(ce);
		ce = NULL;
	}
	char *payload = ce ? cJSON_PrintUnformatted(ce) : NULL;
	cJSON_Delete(ce);
	if (!payload)
		return oom(err);
	const char *p[] = {event_id, topic, task_id, payload};
	enum svc_result r = svc_pg_query(pg,
					 "INSERT INTO tasks.outbox (event_id, topic, aggregate_id, payload)"
					 " VALUES ($1, $2, $3, $4)",
					 4, p, NULL, err);
	free(payload);
	return r;
}

/* The write parameters $3..$12 for the fields tsk_merge produced. */
struct write_params {
	const char *p[12];
	struct svc_buf tags;
	char before[24];
};

static enum svc_result write_params_init(struct write_params *w, const char *id,
					 const char *user_id, const cJSON *f,
					 struct svc_err *err)
{
	memset(w, 0, sizeof *w);
	svc_buf_init(&w->tags, 64 * 1024);
	const cJSON *tags = cJSON_GetObjectItemCaseSensitive(f, "tags");
	const char *items[TSK_TAGS_MAX];
	size_t n = 0;
	const cJSON *t;
	cJSON_ArrayForEach(t, tags) if (n < TSK_TAGS_MAX) items[n++] = t->valuestring;
	tsk_pg_text_array(&w->tags, items, n);
	if (w->tags.failed)
		return oom(err);
	const cJSON *before = cJSON_GetObjectItemCaseSensitive(f, "remind_before_minutes");
	if (cJSON_IsNumber(before))
		snprintf(w->before, sizeof w->before, "%d", before->valueint);
	w->p[0] = id;
	w->p[1] = user_id;
	w->p[2] = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "title"));
	w->p[3] = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "description"));
	w->p[4] = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "priority"));
	w->p[5] = w->tags.data;
	w->p[6] = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "due_at"));
	w->p[7] = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "remind_at"));
	w->p[8] = w->before[0] ? w->before : NULL;
	w->p[9] = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "rrule"));
	w->p[10] = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "time_zone"));
	w->p[11] = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "recur_from"));
	return SVC_OK;
}

/* Runs one statement that returns the task's snapshot row into *rec and
 * *task (parsed; task may be NULL). SVC_ENOTFOUND when it returns no row. */
static enum svc_result snapshot_query(struct svc_pg *pg, const char *sql, int n,
				      const char *const *p, struct tsk_record *rec,
				      cJSON **task, struct svc_err *err)
{
	PGresult *res = NULL;
	enum svc_result r = svc_pg_query(pg, sql, n, p, &res, err);
	if (r != SVC_OK)
		return r;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return svc_err_set(err, SVC_ENOTFOUND, NULL, "task not found");
	}
	r = take_record(res, rec, err);
	PQclear(res);
	if (r == SVC_OK && task &&
	    svc_json_parse(rec->json, strlen(rec->json), task, err) != SVC_OK)
		r = svc_err_set(err, SVC_EINTERNAL, NULL, "bad snapshot from store");
	return r;
}

/* Inside the transaction: inserts the task p describes (write_params,
 * then $13 its series and $14 its occurrence, both NULL for a new task:
 * a rule then makes it the start of its own series) and its task-created
 * event. *inserted false, with nothing written, when that occurrence
 * exists already. */
static enum svc_result insert_task(struct svc_pg *pg, const char *const *p,
				   struct tsk_record *out, bool *inserted, struct svc_err *err)
{
	*inserted = false;
	PGresult *res = NULL;
	enum svc_result r = svc_pg_query(
		pg,
		"INSERT INTO tasks.tasks AS t (id, user_id, title, description, priority,"
		" tags, due_at, remind_at, remind_before_minutes, rrule, series_id,"
		" time_zone, recur_from, occurrence_at)"
		" VALUES ($1, $2, $3, $4, $5, $6::text[], $7::timestamptz, " REMIND_AT_SQL
		", $9::integer, $10,"
		" coalesce($13::uuid, CASE WHEN $10::text IS NOT NULL THEN $1::uuid END),"
		" $11, $12, $14::timestamptz)"
		" ON CONFLICT (series_id, occurrence_at) WHERE occurrence_at IS NOT NULL"
		" DO NOTHING RETURNING " SNAPSHOT_SQL,
		14, p, &res, err);
	if (r != SVC_OK)
		return r;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return SVC_OK;
	}
	r = take_record(res, out, err);
	PQclear(res);
	cJSON *task = NULL;
	if (r == SVC_OK && svc_json_parse(out->json, strlen(out->json), &task, err) != SVC_OK)
		r = svc_err_set(err, SVC_EINTERNAL, NULL, "bad snapshot from store");
	if (r == SVC_OK)
		r = outbox_add(pg, "task-created", p[0], p[1], task, NULL, false, err);
	cJSON_Delete(task);
	*inserted = r == SVC_OK;
	return r;
}

/* Answers a series' existing occurrence (inside the transaction). */
static enum svc_result existing_occurrence(struct svc_pg *pg, const char *user_id,
					   const char *series_id, const char *occurrence_at,
					   struct tsk_record *out, struct svc_err *err)
{
	const char *q[] = {series_id, occurrence_at, user_id};
	return snapshot_query(pg,
			      "SELECT " SNAPSHOT_SQL " FROM tasks.tasks t WHERE t.series_id = $1"
			      " AND t.occurrence_at = $2::timestamptz AND t.user_id = $3",
			      3, q, out, NULL, err);
}

/* Whether an occurrence may be made: the series is the user's (another
 * user's series id is as unknown as a missing one) and has not ended. */
static enum svc_result series_open(struct svc_pg *pg, const char *user_id,
				   const char *series_id, struct svc_err *err)
{
	const char *own[] = {series_id, user_id};
	PGresult *res = NULL;
	enum svc_result r = lock_series(pg, series_id, err);
	if (r == SVC_OK)
		r = svc_pg_query(pg,
				 "SELECT EXISTS (SELECT 1 FROM tasks.tasks WHERE series_id = $1"
				 " AND user_id <> $2), EXISTS (SELECT 1 FROM tasks.ended_series"
				 " WHERE series_id = $1)",
				 2, own, &res, err);
	if (r != SVC_OK)
		return r;
	if (PQgetvalue(res, 0, 0)[0] == 't')
		r = svc_err_set(err, SVC_ENOTFOUND, NULL, "series not found");
	else if (PQgetvalue(res, 0, 1)[0] == 't')
		r = svc_err_set(err, SVC_ECONFLICT, NULL, "the series has ended");
	PQclear(res);
	return r;
}

/* Inside the transaction, with the series locked: claims the occurrence
 * for task id. *first false when it was claimed before (its task may have
 * been deleted since). */
static enum svc_result claim_occurrence(struct svc_pg *pg, const char *series_id,
					const char *occurrence_at, const char *id, bool *first,
					struct svc_err *err)
{
	const char *p[] = {series_id, occurrence_at, id};
	PGresult *res = NULL;
	enum svc_result r = svc_pg_query(pg,
					 "INSERT INTO tasks.series_occurrences (series_id, occurrence_at,"
					 " task_id) VALUES ($1, $2::timestamptz, $3)"
					 " ON CONFLICT DO NOTHING RETURNING 1",
					 3, p, &res, err);
	if (r == SVC_OK) {
		*first = PQntuples(res) == 1;
		PQclear(res);
	}
	return r;
}

/* A new task (series_id NULL) or a series' occurrence, in one transaction. */
static enum svc_result create(struct svc_pg *pg, const char *user_id,
			      const char *series_id, const char *occurrence_at,
			      const cJSON *fields, struct tsk_record *out, enum tsk_made *made,
			      struct svc_err *err)
{
	memset(out, 0, sizeof *out);
	*made = TSK_MADE_BEFORE;
	bool created = false, first = true;
	char id[37];
	svc_uuid_v4(id);
	struct write_params w;
	enum svc_result r = write_params_init(&w, id, user_id, fields, err);
	const char *p[14];
	memcpy(p, w.p, sizeof w.p);
	p[12] = series_id;
	p[13] = occurrence_at;
	if (r != SVC_OK || (r = svc_pg_begin(pg, err)) != SVC_OK)
		goto done;
	if (series_id)
		r = series_open(pg, user_id, series_id, err);
	if (r == SVC_OK && series_id)
		r = claim_occurrence(pg, series_id, occurrence_at, id, &first, err);
	if (r == SVC_OK && first)
		r = insert_task(pg, p, out, &created, err);
	if (r == SVC_OK && !created) {
		/* Made before: answer with it, change nothing; its task may have
		 * been deleted since, which never makes it again. */
		r = existing_occurrence(pg, user_id, series_id, occurrence_at, out, err);
		if (r == SVC_ENOTFOUND) {
			svc_err_clear(err);
			r = SVC_OK;
			*made = TSK_MADE_GONE;
		}
		svc_pg_rollback(pg);
	} else if (r == SVC_OK) {
		r = svc_pg_commit(pg, err);
		*made = TSK_MADE_NEW;
	}
	if (r != SVC_OK) {
		svc_pg_rollback(pg);
		tsk_record_cleanup(out);
		*made = TSK_MADE_BEFORE;
	}
done:
	svc_buf_cleanup(&w.tags);
	return r;
}

enum svc_result tsk_store_create(struct svc_pg *pg, const char *user_id,
				 const cJSON *fields, struct tsk_record *out,
				 struct svc_err *err)
{
	enum tsk_made made;
	return create(pg, user_id, NULL, NULL, fields, out, &made, err);
}

enum svc_result tsk_store_occurrence(struct svc_pg *pg, const char *user_id,
				     const char *series_id, const char *occurrence_at,
				     const cJSON *fields, struct tsk_record *out,
				     enum tsk_made *made, struct svc_err *err)
{
	return create(pg, user_id, series_id, occurrence_at, fields, out, made, err);
}

enum svc_result tsk_store_get(struct svc_pg *pg, const char *user_id,
			      const char *id, struct tsk_record *out, struct svc_err *err)
{
	memset(out, 0, sizeof *out);
	if (!svc_uuid_valid(id))
		return svc_err_set(err, SVC_ENOTFOUND, NULL, "task not found");
	const char *p[] = {id, user_id};
	return snapshot_query(pg,
			      "SELECT " SNAPSHOT_SQL " FROM tasks.tasks t"
			      " WHERE t.id = $1 AND t.user_id = $2",
			      2, p, out, NULL, err);
}

/* The statement for a change that is not a PATCH; $1 id, $2 user. */
static const char *simple_sql(enum tsk_op op)
{
	switch (op) {
	case TSK_OP_COMPLETE:
		return "UPDATE tasks.tasks AS t SET status = 'completed', completed_at = now(),"
		       " updated_at = now(), version = t.version + 1"
		       " WHERE t.id = $1 AND t.user_id = $2 RETURNING " SNAPSHOT_SQL;
	case TSK_OP_REOPEN:
		return "UPDATE tasks.tasks AS t SET status = 'pending', completed_at = NULL,"
		       " updated_at = now(), version = t.version + 1"
		       " WHERE t.id = $1 AND t.user_id = $2 RETURNING " SNAPSHOT_SQL;
	default:
		return "DELETE FROM tasks.tasks AS t WHERE t.id = $1 AND t.user_id = $2"
		       " RETURNING " SNAPSHOT_SQL;
	}
}

/* Serializes everything done to one series inside a transaction: creating
 * an occurrence and ending the series. */
static enum svc_result lock_series(struct svc_pg *pg, const char *series_id,
				   struct svc_err *err)
{
	const char *p[] = {series_id};
	return svc_pg_query(pg, "SELECT pg_advisory_xact_lock(hashtext('tasks-series:' || $1))",
			    1, p, NULL, err);
}

/* After deleting task (its last snapshot) with ?series=all: records that its
 * series has ended, so no occurrence is made any more, and deletes the
 * series' other pending tasks, each with its task-deleted event. Completed
 * occurrences stay as history. */
static enum svc_result end_series(struct svc_pg *pg, const char *user_id, const char *id,
				  const cJSON *task, struct svc_err *err)
{
	const char *series =
		cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(task, "series_id"));
	if (!series)
		return SVC_OK;
	const char *p[] = {series, user_id, id};
	PGresult *res = NULL;
	enum svc_result r = lock_series(pg, series, err);
	if (r == SVC_OK)
		r = svc_pg_query(pg,
				 "INSERT INTO tasks.ended_series (series_id, user_id) VALUES ($1, $2)"
				 " ON CONFLICT DO NOTHING",
				 2, p, NULL, err);
	if (r == SVC_OK)
		r = svc_pg_query(pg,
				 "DELETE FROM tasks.tasks AS t WHERE t.series_id = $1 AND t.user_id = $2"
				 " AND t.status = 'pending' AND t.id <> $3 RETURNING " SNAPSHOT_SQL
				 ", t.id",
				 3, p, &res, err);
	if (r != SVC_OK)
		return r;
	for (int i = 0; i < PQntuples(res) && r == SVC_OK; i++) {
		const char *json = PQgetvalue(res, i, 0);
		cJSON *gone = NULL;
		if (svc_json_parse(json, strlen(json), &gone, err) != SVC_OK)
			r = svc_err_set(err, SVC_EINTERNAL, NULL, "bad snapshot from store");
		else
			r = outbox_add(pg, "task-deleted", PQgetvalue(res, i, 2), user_id, gone, NULL,
				       true, err);
		cJSON_Delete(gone);
	}
	PQclear(res);
	return r;
}

/* Inside the transaction, with old locked: makes the change, fills out and
 * writes the event. *changed false means roll back and answer old. */
static enum svc_result apply(struct svc_pg *pg, const char *user_id, const char *id,
			     const struct tsk_change *c, const cJSON *old,
			     struct tsk_record *out, bool *changed, struct svc_err *err)
{
	const char *status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(old, "status"));
	bool completed = status && strcmp(status, "completed") == 0;
	if ((c->op == TSK_OP_COMPLETE && completed) || (c->op == TSK_OP_REOPEN && !completed))
		return SVC_OK;
	cJSON *fields = NULL, *now = NULL, *changes = NULL;
	struct write_params w = {0};
	svc_buf_init(&w.tags, 0);
	enum svc_result r;
	if (c->op == TSK_OP_PATCH) {
		if ((r = tsk_merge(old, c->body, &fields, err)) != SVC_OK ||
		    (r = write_params_init(&w, id, user_id, fields, err)) != SVC_OK)
			goto done;
		r = snapshot_query(pg,
				   "UPDATE tasks.tasks AS t SET title = $3, description = $4,"
				   " priority = $5, tags = $6::text[], due_at = $7::timestamptz,"
				   " remind_at = " REMIND_AT_SQL ", remind_before_minutes = $9::integer,"
				   " rrule = $10, series_id = CASE WHEN $10::text IS NULL THEN t.series_id"
				   " ELSE coalesce(t.series_id, t.id) END,"
				   " time_zone = $11, recur_from = $12,"
				   " updated_at = now(), version = t.version + 1"
				   " WHERE t.id = $1 AND t.user_id = $2 RETURNING " SNAPSHOT_SQL,
				   12, w.p, out, &now, err);
	} else {
		const char *p[] = {id, user_id};
		r = snapshot_query(pg, simple_sql(c->op), 2, p, out, &now, err);
	}
	if (r != SVC_OK)
		goto done;
	const char *topic;
	switch (c->op) {
	case TSK_OP_COMPLETE:
		topic = "task-completed";
		break;
	case TSK_OP_DELETE:
		topic = "task-deleted";
		break;
	default:
		topic = "task-updated";
		changes = tsk_diff(old, now);
		if (!changes) {
			tsk_record_cleanup(out);
			goto done; /* nothing changed: no event, no new version */
		}
	}
	r = outbox_add(pg, topic, id, user_id, now, changes, c->all_series, err);
	if (r == SVC_OK && c->op == TSK_OP_DELETE && c->all_series)
		r = end_series(pg, user_id, id, now, err);
	*changed = r == SVC_OK;
done:
	svc_buf_cleanup(&w.tags);
	cJSON_Delete(fields);
	cJSON_Delete(now);
	cJSON_Delete(changes);
	if (r != SVC_OK)
		tsk_record_cleanup(out);
	return r;
}

enum svc_result tsk_store_change(struct svc_pg *pg, const char *user_id,
				 const char *id, const struct tsk_change *c,
				 struct tsk_record *out, bool *changed, struct svc_err *err)
{
	memset(out, 0, sizeof *out);
	*changed = false;
	if (!svc_uuid_valid(id))
		return svc_err_set(err, SVC_ENOTFOUND, NULL, "task not found");
	enum svc_result r = svc_pg_begin(pg, err);
	if (r != SVC_OK)
		return r;
	struct tsk_record before = {0};
	cJSON *old = NULL;
	const char *p[] = {id, user_id};
	r = snapshot_query(pg,
			   "SELECT " SNAPSHOT_SQL " FROM tasks.tasks t"
			   " WHERE t.id = $1 AND t.user_id = $2 FOR UPDATE",
			   2, p, &before, &old, err);
	if (r == SVC_OK && c->if_match && !tsk_if_match(c->if_match, before.version))
		r = svc_err_set(err, SVC_EPRECOND, NULL,
				"the task has changed (version %ld); fetch it again", before.version);
	if (r == SVC_OK)
		r = apply(pg, user_id, id, c, old, out, changed, err);
	if (r == SVC_OK && *changed)
		r = svc_pg_commit(pg, err);
	else
		svc_pg_rollback(pg);
	if (r == SVC_OK && *changed && c->op == TSK_OP_DELETE) {
		/* The answer to a delete is the task as it was. */
		tsk_record_cleanup(out);
		*out = before;
		before.json = NULL;
	} else if (r == SVC_OK && !*changed) {
		*out = before;
		before.json = NULL;
	} else if (r != SVC_OK) {
		*changed = false;
		tsk_record_cleanup(out);
	}
	tsk_record_cleanup(&before);
	cJSON_Delete(old);
	return r;
}

/* The sort key of a list query as SQL over alias t, and its type. */
static const char *sort_key_sql(const struct tsk_query *q, const char **type)
{
	switch (q->sort) {
	case TSK_SORT_DUE:
		*type = "timestamptz";
		return q->desc ? "coalesce(t.due_at, '-infinity'::timestamptz)"
			       : "coalesce(t.due_at, 'infinity'::timestamptz)";
	case TSK_SORT_PRIORITY:
		*type = "smallint";
		return "t.priority_rank";
	case TSK_SORT_TITLE:
		*type = "text";
		return "(lower(t.title) COLLATE \"C\")";
	default:
		*type = "timestamptz";
		return "t.created_at";
	}
}

/* Appends "$n" for the next parameter v. */
static void bind(struct svc_buf *sql, const char **params, int *n, const char *v)
{
	params[*n] = v;
	svc_buf_printf(sql, "$%d", ++*n);
}

static void escape_like(const char *in, struct svc_buf *out)
{
	svc_buf_puts(out, "%");
	for (const char *p = in; *p; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			svc_buf_puts(out, "\\");
		svc_buf_append(out, p, 1);
	}
	svc_buf_puts(out, "%");
}

enum svc_result tsk_store_list(struct svc_pg *pg, const char *user_id,
			       const struct tsk_query *q, char **out, struct svc_err *err)
{
	*out = NULL;
	const char *type;
	const char *key = sort_key_sql(q, &type);
	const char *dir = q->desc ? "DESC" : "ASC";
	const char *params[16];
	int n = 0;
	char limit[24];
	snprintf(limit, sizeof limit, "%ld", q->limit + 1);
	struct svc_buf sql, like, tags;
	svc_buf_init(&sql, 8192);
	svc_buf_init(&like, 4096);
	svc_buf_init(&tags, 16384);
	svc_buf_printf(&sql, "SELECT " SNAPSHOT_SQL ", t.id, to_json(%s) #>> '{}'"
			     " FROM tasks.tasks t WHERE t.user_id = ", key);
	bind(&sql, params, &n, user_id);
	if (q->status[0]) {
		svc_buf_puts(&sql, " AND t.status = ");
		bind(&sql, params, &n, q->status);
	}
	if (q->priority[0]) {
		svc_buf_puts(&sql, " AND t.priority = ");
		bind(&sql, params, &n, q->priority);
	}
	if (q->ntags) {
		const char *items[TSK_TAGS_MAX];
		for (size_t i = 0; i < q->ntags; i++)
			items[i] = q->tags[i];
		tsk_pg_text_array(&tags, items, q->ntags);
		svc_buf_puts(&sql, " AND t.tags @> ");
		bind(&sql, params, &n, tags.data);
		svc_buf_puts(&sql, "::text[]");
	}
	if (q->due_before[0]) {
		svc_buf_puts(&sql, " AND t.due_at < ");
		bind(&sql, params, &n, q->due_before);
		svc_buf_puts(&sql, "::timestamptz");
	}
	if (q->due_after[0]) {
		svc_buf_puts(&sql, " AND t.due_at >= ");
		bind(&sql, params, &n, q->due_after);
		svc_buf_puts(&sql, "::timestamptz");
	}
	if (q->overdue)
		svc_buf_puts(&sql, " AND t.status = 'pending' AND t.due_at < now()");
	if (q->q[0]) {
		escape_like(q->q, &like);
		svc_buf_puts(&sql, " AND (t.title || ' ' || t.description) ILIKE ");
		bind(&sql, params, &n, like.data);
	}
	if (q->after) {
		/* Keyset pagination: the rows after the cursor's (key, id). */
		svc_buf_printf(&sql, " AND (%s, t.id) %c (", key, q->desc ? '<' : '>');
		bind(&sql, params, &n, q->after_key);
		svc_buf_printf(&sql, "::%s%s, ", type,
			       q->sort == TSK_SORT_TITLE ? " COLLATE \"C\"" : "");
		bind(&sql, params, &n, q->after_id);
		svc_buf_puts(&sql, "::uuid)");
	}
	svc_buf_printf(&sql, " ORDER BY %s %s, t.id %s LIMIT ", key, dir, dir);
	bind(&sql, params, &n, limit);

	enum svc_result r = SVC_OK;
	PGresult *res = NULL;
	if (sql.failed || like.failed || tags.failed)
		r = oom(err);
	else
		r = svc_pg_query(pg, sql.data, n, params, &res, err);
	if (r == SVC_OK) {
		struct svc_page page;
		svc_page_init(&page, (size_t)q->limit);
		int rows = PQntuples(res), i = 0;
		while (i < rows && svc_page_add(&page, PQgetvalue(res, i, 0)))
			i++;
		char *cur = page.more ? tsk_cursor_make(q, PQgetvalue(res, i - 1, 3),
							PQgetvalue(res, i - 1, 2))
				      : NULL;
		*out = svc_page_finish(&page, cur);
		free(cur);
		PQclear(res);
		if (!*out)
			r = oom(err);
	}
	svc_buf_cleanup(&sql);
	svc_buf_cleanup(&like);
	svc_buf_cleanup(&tags);
	return r;
}

enum svc_result tsk_store_tags(struct svc_pg *pg, const char *user_id, char **out,
			       struct svc_err *err)
{
	*out = NULL;
	const char *p[] = {user_id};
	PGresult *res = NULL;
	enum svc_result r = svc_pg_query(
		pg,
		"SELECT json_build_object('tags', coalesce(json_agg(json_build_object("
		"'tag', tag, 'count', n) ORDER BY n DESC, tag COLLATE \"C\"), '[]'))::text"
		" FROM (SELECT tag, count(*) AS n FROM tasks.tasks t, unnest(t.tags) AS tag"
		" WHERE t.user_id = $1 GROUP BY tag) AS counts",
		1, p, &res, err);
	if (r != SVC_OK)
		return r;
	*out = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return *out ? SVC_OK : oom(err);
}

/* The relay lock's key; session-level, so it outlives the short statements
 * between publishes without a transaction held open. */
#define RELAY_LOCK "hashtext('tasks-outbox-relay')"

enum svc_result tsk_store_relay_lead(struct svc_pg *pg, bool *leader, struct svc_err *err)
{
	*leader = false;
	PGresult *res = NULL;
	enum svc_result r =
		svc_pg_query(pg, "SELECT pg_try_advisory_lock(" RELAY_LOCK ")", 0, NULL, &res, err);
	if (r != SVC_OK)
		return r;
	*leader = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return SVC_OK;
}

void tsk_store_relay_unlead(struct svc_pg *pg)
{
	struct svc_err err;
	if (svc_pg_query(pg, "SELECT pg_advisory_unlock(" RELAY_LOCK ")", 0, NULL, NULL, &err) !=
	    SVC_OK)
		svc_pg_disconnect(pg); /* which ends the lock for certain */
}

void tsk_outbox_free(struct tsk_outbox_event *evs, size_t n)
{
	for (size_t i = 0; evs && i < n; i++)
		free(evs[i].payload);
	free(evs);
}

enum svc_result tsk_store_outbox_pending(struct svc_pg *pg, size_t limit,
					 struct tsk_outbox_event **evs, size_t *n,
					 struct svc_err *err)
{
	*evs = NULL;
	*n = 0;
	char lim[24];
	snprintf(lim, sizeof lim, "%zu", limit);
	const char *p[] = {lim};
	PGresult *res = NULL;
	enum svc_result r = svc_pg_query(pg,
					 "SELECT id, topic, aggregate_id, payload, event_id FROM tasks.outbox"
					 " WHERE published_at IS NULL ORDER BY id LIMIT $1",
					 1, p, &res, err);
	if (r != SVC_OK)
		return r;
	int rows = PQntuples(res);
	struct tsk_outbox_event *out = rows ? calloc((size_t)rows, sizeof *out) : NULL;
	if (rows && !out) {
		PQclear(res);
		return oom(err);
	}
	size_t got = 0;
	for (int i = 0; i < rows; i++, got++) {
		struct tsk_outbox_event *ev = &out[i];
		snprintf(ev->id, sizeof ev->id, "%s", PQgetvalue(res, i, 0));
		snprintf(ev->topic, sizeof ev->topic, "%s", PQgetvalue(res, i, 1));
		snprintf(ev->key, sizeof ev->key, "%s", PQgetvalue(res, i, 2));
		snprintf(ev->event_id, sizeof ev->event_id, "%s", PQgetvalue(res, i, 4));
		if (!(ev->payload = strdup(PQgetvalue(res, i, 3)))) {
			tsk_outbox_free(out, got);
			PQclear(res);
			return oom(err);
		}
	}
	PQclear(res);
	*evs = out;
	*n = got;
	return SVC_OK;
}

enum svc_result tsk_store_outbox_sent(struct svc_pg *pg, const char *id, struct svc_err *err)
{
	const char *p[] = {id};
	return svc_pg_query(pg,
			    "UPDATE tasks.outbox SET published_at = now(),"
			    " attempts = attempts + 1, last_error = NULL WHERE id = $1",
			    1, p, NULL, err);
}

void tsk_store_outbox_failed(struct svc_pg *pg, const char *id, const char *error)
{
	const char *p[] = {id, error};
	svc_pg_query(pg,
		     "UPDATE tasks.outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1",
		     2, p, NULL, NULL);
}

enum svc_result tsk_store_outbox_cleanup(struct svc_pg *pg, long retention_s,
					 size_t limit, size_t *deleted, struct svc_err *err)
{
	*deleted = 0;
	char secs[24], lim[24];
	snprintf(secs, sizeof secs, "%ld", retention_s);
	snprintf(lim, sizeof lim, "%zu", limit);
	const char *p[] = {secs, lim};
	PGresult *res = NULL;
	enum svc_result r = svc_pg_query(
		pg,
		"DELETE FROM tasks.outbox WHERE id IN (SELECT id FROM tasks.outbox"
		" WHERE published_at < now() - make_interval(secs => $1::integer)"
		" ORDER BY published_at LIMIT $2::integer)",
		2, p, &res, err);
	if (r != SVC_OK)
		return r;
	*deleted = strtoul(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return SVC_OK;
}
