#include "task_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
};

/* The API's and the events' view of a task row (alias t). */
#define SNAPSHOT_SQL \
	"json_build_object('id', t.id, 'user_id', t.user_id, 'title', t.title," \
	" 'description', t.description, 'status', t.status, 'priority', t.priority," \
	" 'tags', t.tags, 'due_at', t.due_at, 'remind_at', t.remind_at," \
	" 'rrule', t.rrule, 'series_id', t.series_id, 'created_at', t.created_at," \
	" 'updated_at', t.updated_at, 'completed_at', t.completed_at," \
	" 'version', t.version)::text, t.version"

void tsk_record_cleanup(struct tsk_record *rec)
{
	free(rec->json);
	rec->json = NULL;
}

/* Takes row 0 of res (snapshot, version) into out. */
static enum svc_result take_record(const PGresult *res, struct tsk_record *out,
				   struct svc_err *err)
{
	out->json = strdup(PQgetvalue(res, 0, 0));
	out->version = strtol(PQgetvalue(res, 0, 1), NULL, 10);
	return out->json ? SVC_OK : svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
}

enum svc_result tsk_store_migrate(const char *conninfo, struct svc_err *err)
{
	return svc_pg_migrate_at_start(conninfo, "tasks", migrations,
				       sizeof migrations / sizeof migrations[0], 60000, err);
}

/* Appends the event for a task change to the outbox, inside the caller's
 * transaction. snapshot is the task's JSON text. */
static enum svc_result outbox_add(struct svc_pg *pg, const char *topic, const char *task_id,
				  const char *user_id, const char *snapshot,
				  struct svc_err *err)
{
	cJSON *task = NULL;
	enum svc_result r = svc_json_parse(snapshot, strlen(snapshot), &task, err);
	if (r != SVC_OK)
		return svc_err_set(err, SVC_EINTERNAL, NULL, "bad snapshot from store");
	char event_id[37], now[40];
	svc_uuid_v4(event_id);
	svc_time_now_rfc3339(now, sizeof now);
	/* svc_event_build takes ownership of task. */
	cJSON *ce = svc_event_build(event_id, topic, "task-service", task_id, user_id, now,
				    "task", task, NULL);
	char *payload = ce ? cJSON_PrintUnformatted(ce) : NULL;
	cJSON_Delete(ce);
	if (!payload)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	const char *p[] = {event_id, topic, task_id, payload};
	r = svc_pg_query(pg,
			 "INSERT INTO tasks.outbox (event_id, topic, aggregate_id, payload)"
			 " VALUES ($1, $2, $3, $4)",
			 4, p, NULL, err);
	free(payload);
	return r;
}

enum svc_result tsk_store_create(const char *conninfo, const char *user_id,
				 const struct tsk_new *in, struct tsk_record *out,
				 struct svc_err *err)
{
	memset(out, 0, sizeof *out);
	struct svc_pg *pg = svc_pg_thread(conninfo);
	if (!pg)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	char id[37];
	svc_uuid_v4(id);
	enum svc_result r = svc_pg_begin(pg, err);
	if (r != SVC_OK)
		return r;
	const char *p[] = {id, user_id, in->title, in->description, in->priority};
	PGresult *res = NULL;
	r = svc_pg_query(pg,
			 "INSERT INTO tasks.tasks AS t (id, user_id, title, description, priority)"
			 " VALUES ($1, $2, $3, $4, $5) RETURNING " SNAPSHOT_SQL,
			 5, p, &res, err);
	if (r != SVC_OK)
		goto fail;
	r = take_record(res, out, err);
	PQclear(res);
	if (r == SVC_OK)
		r = outbox_add(pg, "task-created", id, user_id, out->json, err);
	if (r == SVC_OK)
		r = svc_pg_commit(pg, err);
	if (r != SVC_OK) {
		tsk_record_cleanup(out);
		goto fail;
	}
	return SVC_OK;
fail:
	svc_pg_rollback(pg);
	return r;
}

enum svc_result tsk_store_get(const char *conninfo, const char *user_id,
			      const char *id, struct tsk_record *out, struct svc_err *err)
{
	memset(out, 0, sizeof *out);
	if (!svc_uuid_valid(id))
		return svc_err_set(err, SVC_ENOTFOUND, NULL, "task not found");
	struct svc_pg *pg = svc_pg_thread(conninfo);
	if (!pg)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	const char *p[] = {id, user_id};
	PGresult *res = NULL;
	enum svc_result r = svc_pg_query(pg,
					 "SELECT " SNAPSHOT_SQL " FROM tasks.tasks t"
					 " WHERE t.id = $1 AND t.user_id = $2",
					 2, p, &res, err);
	if (r != SVC_OK)
		return r;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return svc_err_set(err, SVC_ENOTFOUND, NULL, "task not found");
	}
	r = take_record(res, out, err);
	PQclear(res);
	return r;
}

enum svc_result tsk_store_relay_batch(const char *conninfo, size_t limit,
				      tsk_publish_fn publish, void *arg,
				      size_t *published, struct svc_err *err)
{
	*published = 0;
	struct svc_pg *pg = svc_pg_thread(conninfo);
	if (!pg)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	enum svc_result r = svc_pg_begin(pg, err);
	if (r != SVC_OK)
		return r;
	PGresult *res = NULL;
	r = svc_pg_query(pg, "SELECT pg_try_advisory_xact_lock(hashtext('tasks-outbox-relay'))",
			 0, NULL, &res, err);
	if (r != SVC_OK)
		goto out;
	bool leader = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (!leader)
		goto out;
	char lim[24];
	snprintf(lim, sizeof lim, "%zu", limit);
	const char *p[] = {lim};
	r = svc_pg_query(pg,
			 "SELECT id, topic, aggregate_id, payload, event_id FROM tasks.outbox"
			 " WHERE published_at IS NULL ORDER BY id LIMIT $1",
			 1, p, &res, err);
	if (r != SVC_OK)
		goto out;
	int n = PQntuples(res);
	for (int i = 0; i < n; i++) {
		struct tsk_outbox_event ev = {0};
		snprintf(ev.id, sizeof ev.id, "%s", PQgetvalue(res, i, 0));
		snprintf(ev.topic, sizeof ev.topic, "%s", PQgetvalue(res, i, 1));
		snprintf(ev.key, sizeof ev.key, "%s", PQgetvalue(res, i, 2));
		ev.payload = PQgetvalue(res, i, 3);
		snprintf(ev.event_id, sizeof ev.event_id, "%s", PQgetvalue(res, i, 4));
		struct svc_err perr = {0};
		enum svc_result pr = publish(arg, &ev, &perr);
		const char *up[] = {ev.id, perr.message};
		if (pr != SVC_OK) {
			svc_pg_query(pg,
				     "UPDATE tasks.outbox SET attempts = attempts + 1,"
				     " last_error = $2 WHERE id = $1",
				     2, up, NULL, NULL);
			r = svc_err_set(err, pr, NULL, "%s", perr.message);
			break;
		}
		r = svc_pg_query(pg,
				 "UPDATE tasks.outbox SET published_at = now(),"
				 " attempts = attempts + 1, last_error = NULL WHERE id = $1",
				 1, up, NULL, err);
		if (r != SVC_OK)
			break;
		(*published)++;
	}
	PQclear(res);
out:
	{
		struct svc_err cerr;
		enum svc_result cr = svc_pg_commit(pg, &cerr);
		if (cr != SVC_OK) {
			svc_pg_rollback(pg);
			if (r == SVC_OK)
				r = svc_err_set(err, cr, NULL, "%s", cerr.message);
			*published = 0;
		}
	}
	return r;
}
