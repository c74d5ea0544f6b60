#include "notifier_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "svc/cursor.h"
#include "svc/pg.h"
#include "svc/util.h"

static const struct svc_migration migrations[] = {
	{1, "processed events",
	 "CREATE TABLE notify.processed_events ("
	 "  event_id text PRIMARY KEY,"
	 "  topic text NOT NULL,"
	 "  user_id text,"
	 "  subject text,"
	 "  received_at timestamptz NOT NULL DEFAULT now()"
	 ");"},
	{2, "notifications, settings, deliveries and their log",
	 "CREATE TABLE notify.notifications ("
	 "  id bigserial PRIMARY KEY,"
	 "  user_id text NOT NULL,"
	 "  event_id uuid NOT NULL UNIQUE," /* one notification per event */
	 "  kind text NOT NULL CHECK (kind IN ('reminder', 'recurrence')),"
	 "  title text NOT NULL,"
	 "  body text NOT NULL,"
	 "  task_id uuid,"
	 "  created_at timestamptz NOT NULL DEFAULT now(),"
	 "  read_at timestamptz"
	 ");"
	 "CREATE INDEX notifications_user ON notify.notifications (user_id, id);"
	 "CREATE INDEX notifications_user_unread ON notify.notifications (user_id, id)"
	 "  WHERE read_at IS NULL;"
	 "CREATE TABLE notify.settings ("
	 "  user_id text PRIMARY KEY,"
	 "  webhook_url text CHECK (char_length(webhook_url) <= 2048),"
	 "  webhook_secret text,"
	 "  email text,"
	 "  email_enabled boolean NOT NULL DEFAULT false,"
	 "  updated_at timestamptz NOT NULL DEFAULT now(),"
	 "  CHECK (NOT email_enabled OR email IS NOT NULL),"
	 "  CHECK (webhook_url IS NULL OR webhook_secret IS NOT NULL)"
	 ");"
	 "CREATE TABLE notify.deliveries ("
	 "  id bigserial PRIMARY KEY,"
	 "  notification_id bigint NOT NULL REFERENCES notify.notifications (id)"
	 "    ON DELETE CASCADE,"
	 "  channel text NOT NULL CHECK (channel IN ('webhook', 'email')),"
	 "  status text NOT NULL DEFAULT 'pending'"
	 "    CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),"
	 "  attempts integer NOT NULL DEFAULT 0,"
	 "  next_attempt_at timestamptz NOT NULL DEFAULT now(),"
	 "  delivered_at timestamptz,"
	 "  last_error text,"
	 "  created_at timestamptz NOT NULL DEFAULT now(),"
	 "  UNIQUE (notification_id, channel)"
	 ");"
	 "CREATE INDEX deliveries_due ON notify.deliveries (next_attempt_at, id)"
	 "  WHERE status = 'pending';"
	 "CREATE TABLE notify.delivery_attempts ("
	 "  id bigserial PRIMARY KEY,"
	 "  delivery_id bigint NOT NULL REFERENCES notify.deliveries (id) ON DELETE CASCADE,"
	 "  attempt integer NOT NULL,"
	 "  started_at timestamptz NOT NULL,"
	 "  duration_ms integer NOT NULL,"
	 "  target text NOT NULL,"
	 "  ok boolean NOT NULL,"
	 "  status integer,"
	 "  error text,"
	 "  UNIQUE (delivery_id, attempt)"
	 ");"
	 /* At most one success per delivery, whatever happens above. */
	 "CREATE UNIQUE INDEX delivery_attempts_one_success"
	 "  ON notify.delivery_attempts (delivery_id) WHERE ok;"},
	{3, "deliveries claimed with a lease",
	 /* A worker claims a delivery by moving its next_attempt_at past the
	  * attempt (the lease) and stamping it with a token of its own, then
	  * attempts it with no row lock held. */
	 "ALTER TABLE notify.deliveries ADD COLUMN claim uuid;"},
};

/* A notification as the API, Redis and SSE show it (alias n). */
#define NOTIFICATION_SQL \
	"json_build_object('id', n.id, 'kind', n.kind, 'title', n.title, 'body', n.body," \
	" 'task_id', n.task_id, 'event_id', n.event_id, 'created_at', n.created_at," \
	" 'read_at', n.read_at)::text"

/* Settings (alias s, possibly all NULL from an outer join). */
#define SETTINGS_SQL \
	"json_build_object('webhook_url', s.webhook_url, 'webhook_secret', s.webhook_secret," \
	" 'email', s.email, 'email_enabled', coalesce(s.email_enabled, false)," \
	" 'updated_at', s.updated_at)::text"

static enum svc_result oom(struct svc_err *err)
{
	return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
}

/* Copies row 0, column 0 of res to *out. */
static enum svc_result take_text(PGresult *res, char **out, struct svc_err *err)
{
	*out = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return *out ? SVC_OK : oom(err);
}

/* Runs a statement; *count receives how many rows it touched. */
static enum svc_result exec_count(struct svc_pg *pg, const char *sql, int n,
				  const char *const *p, long *count, struct svc_err *err)
{
	PGresult *res = NULL;
	enum svc_result r = svc_pg_query(pg, sql, n, p, &res, err);
	if (r == SVC_OK) {
		*count = strtol(PQcmdTuples(res), NULL, 10);
		PQclear(res);
	}
	return r;
}

enum svc_result ntf_store_migrate(const char *conninfo, struct svc_err *err)
{
	return svc_pg_migrate_at_start(conninfo, "notify", migrations,
				       sizeof migrations / sizeof migrations[0], 60000, err);
}

/* Inserts the processed_events row; *first when it is new. */
static enum svc_result mark(struct svc_pg *pg, const char *event_id, const char *topic,
			    const char *user_id, const char *subject, bool *first,
			    struct svc_err *err)
{
	const char *p[] = {event_id, topic, user_id, subject};
	long n = 0;
	enum svc_result r = exec_count(pg,
				       "INSERT INTO notify.processed_events"
				       " (event_id, topic, user_id, subject) VALUES ($1, $2, $3, $4)"
				       " ON CONFLICT (event_id) DO NOTHING",
				       4, p, &n, err);
	*first = n == 1;
	return r;
}

enum svc_result ntf_store_mark_event(struct svc_pg *pg, const char *event_id,
				     const char *topic, const char *user_id,
				     const char *subject, bool *first,
				     struct svc_err *err)
{
	*first = false;
	return mark(pg, event_id, topic, user_id, subject, first, err);
}

enum svc_result ntf_store_user_lock(struct svc_pg *pg, const char *user_id,
				    struct svc_err *err)
{
	const char *p[] = {user_id};
	return svc_pg_query(pg, "SELECT pg_advisory_lock(hashtext('notify-user:' || $1))", 1, p,
			    NULL, err);
}

void ntf_store_user_unlock(struct svc_pg *pg, const char *user_id)
{
	struct svc_err err;
	const char *p[] = {user_id};
	/* A lost connection took the lock with it; one that cannot say is
	 * closed, which ends it for certain. */
	if (svc_pg_query(pg, "SELECT pg_advisory_unlock(hashtext('notify-user:' || $1))", 1, p,
			 NULL, &err) != SVC_OK)
		svc_pg_disconnect(pg);
}

enum svc_result ntf_store_notify(struct svc_pg *pg, const struct ntf_new *n,
				 char **json, int *queued, struct svc_err *err)
{
	*json = NULL;
	*queued = 0;
	const struct ntf_draft *d = n->draft;
	const char *task_id = d->task_id[0] ? d->task_id : NULL;
	bool first = false;
	enum svc_result r = svc_pg_begin(pg, err);
	if (r != SVC_OK)
		return r;
	r = mark(pg, n->event_id, n->topic, n->user_id, task_id, &first, err);
	if (r != SVC_OK || !first)
		goto done;
	const char *p[] = {n->user_id, n->event_id, d->kind, d->title, d->body, task_id};
	PGresult *res = NULL;
	r = svc_pg_query(pg,
			 "INSERT INTO notify.notifications AS n"
			 " (user_id, event_id, kind, title, body, task_id)"
			 " VALUES ($1, $2, $3, $4, $5, $6) RETURNING n.id, " NOTIFICATION_SQL,
			 6, p, &res, err);
	if (r != SVC_OK)
		goto done;
	char id[24];
	snprintf(id, sizeof id, "%s", PQgetvalue(res, 0, 0));
	*json = strdup(PQgetvalue(res, 0, 1));
	PQclear(res);
	if (!*json) {
		r = oom(err);
		goto done;
	}
	const char *q[] = {id, n->user_id, n->email_on ? "true" : "false"};
	long count = 0;
	r = exec_count(pg,
		       "INSERT INTO notify.deliveries (notification_id, channel)"
		       " SELECT $1::bigint, v.channel FROM notify.settings s,"
		       " LATERAL (VALUES ('webhook', s.webhook_url IS NOT NULL),"
		       "  ('email', s.email_enabled AND s.email IS NOT NULL AND $3::boolean))"
		       "  AS v (channel, wanted)"
		       " WHERE s.user_id = $2 AND v.wanted",
		       3, q, &count, err);
	*queued = (int)count;
done:
	if ((r = svc_pg_finish(pg, r, err)) != SVC_OK) {
		free(*json);
		*json = NULL;
		*queued = 0;
	}
	return r;
}

enum svc_result ntf_store_list(struct svc_pg *pg, const char *user_id,
			       const struct ntf_query *q, char **out, struct svc_err *err)
{
	*out = NULL;
	char sql[512], pos[24], limit[24];
	snprintf(pos, sizeof pos, "%lld", q->after ? q->pos : 0);
	snprintf(limit, sizeof limit, "%ld", q->limit + 1);
	/* Keyset pagination on the id, in either order; every variant is an
	 * index range scan of (user_id, id). $2 is always bound, so a first
	 * page names it too (Postgres wants a type for every parameter). */
	snprintf(sql, sizeof sql,
		 "SELECT " NOTIFICATION_SQL ", n.id FROM notify.notifications n"
		 " WHERE n.user_id = $1%s%s ORDER BY n.id %s LIMIT $3",
		 q->unread ? " AND n.read_at IS NULL" : "",
		 !q->after ? " AND $2::bigint IS NOT NULL"
			   : q->ascending ? " AND n.id > $2::bigint" : " AND n.id < $2::bigint",
		 q->ascending ? "ASC" : "DESC");
	const char *p[] = {user_id, pos, limit};
	PGresult *res = NULL;
	enum svc_result r = svc_pg_query(pg, sql, 3, p, &res, err);
	if (r != SVC_OK)
		return r;
	struct svc_page page;
	svc_page_init(&page, (size_t)q->limit);
	int rows = PQntuples(res), i = 0;
	while (i < rows && svc_page_add(&page, PQgetvalue(res, i, 0)))
		i++;
	char *cur = page.more ? ntf_cursor_make(q, strtoll(PQgetvalue(res, i - 1, 1), NULL, 10))
			      : NULL;
	*out = svc_page_finish(&page, cur);
	free(cur);
	PQclear(res);
	return *out ? SVC_OK : oom(err);
}

enum svc_result ntf_store_mark_read(struct svc_pg *pg, const char *user_id,
				    long long id, char **out, struct svc_err *err)
{
	*out = NULL;
	char ids[24];
	snprintf(ids, sizeof ids, "%lld", id);
	const char *p[] = {ids, user_id};
	PGresult *res = NULL;
	enum svc_result r = svc_pg_query(pg,
					 "UPDATE notify.notifications AS n"
					 " SET read_at = coalesce(n.read_at, now())"
					 " WHERE n.id = $1::bigint AND n.user_id = $2"
					 " RETURNING " NOTIFICATION_SQL,
					 2, p, &res, err);
	if (r != SVC_OK)
		return r;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return svc_err_set(err, SVC_ENOTFOUND, NULL, "notification not found");
	}
	return take_text(res, out, err);
}

enum svc_result ntf_store_read_all(struct svc_pg *pg, const char *user_id,
				   long *updated, struct svc_err *err)
{
	*updated = 0;
	const char *p[] = {user_id};
	return exec_count(pg,
			  "UPDATE notify.notifications SET read_at = now()"
			  " WHERE user_id = $1 AND read_at IS NULL",
			  1, p, updated, err);
}

enum svc_result ntf_store_settings_get(struct svc_pg *pg, const char *user_id,
				       char **out, struct svc_err *err)
{
	*out = NULL;
	const char *p[] = {user_id};
	PGresult *res = NULL;
	enum svc_result r = svc_pg_query(pg,
					 "SELECT " SETTINGS_SQL " FROM (SELECT $1::text AS user_id) u"
					 " LEFT JOIN notify.settings s ON s.user_id = u.user_id",
					 1, p, &res, err);
	return r == SVC_OK ? take_text(res, out, err) : r;
}

/* The settings row after the patch, as SQL parameters. */
struct merged {
	const char *webhook_url, *webhook_secret, *email;
	bool email_enabled;
	char secret[80];
};

static enum svc_result merge(const PGresult *cur, const struct ntf_settings_patch *p,
			     struct merged *m, struct svc_err *err)
{
	m->webhook_url = PQgetisnull(cur, 0, 0) ? NULL : PQgetvalue(cur, 0, 0);
	m->webhook_secret = PQgetisnull(cur, 0, 1) ? NULL : PQgetvalue(cur, 0, 1);
	m->email = PQgetisnull(cur, 0, 2) ? NULL : PQgetvalue(cur, 0, 2);
	m->email_enabled = strcmp(PQgetvalue(cur, 0, 3), "t") == 0;
	if (p->has_webhook_url)
		m->webhook_url = p->webhook_url;
	if (p->has_email)
		m->email = p->email_null ? NULL : p->email;
	if (p->has_email_enabled)
		m->email_enabled = p->email_enabled;
	/* The secret is made once, when a webhook is first set, and kept. */
	if (m->webhook_url && !m->webhook_secret) {
		unsigned char raw[32];
		if (svc_random_bytes(raw, sizeof raw) != 0)
			return svc_err_set(err, SVC_EINTERNAL, NULL, "no random bytes");
		memcpy(m->secret, "whsec_", 6);
		svc_hex(raw, sizeof raw, m->secret + 6);
		m->webhook_secret = m->secret;
	}
	return ntf_settings_check(m->email_enabled, m->email, err);
}

enum svc_result ntf_store_settings_put(struct svc_pg *pg, const char *user_id,
				       const struct ntf_settings_patch *p, char **out,
				       struct svc_err *err)
{
	*out = NULL;
	enum svc_result r = svc_pg_begin(pg, err);
	if (r != SVC_OK)
		return r;
	const char *u[] = {user_id};
	PGresult *res = NULL;
	r = svc_pg_query(pg,
			 "INSERT INTO notify.settings (user_id) VALUES ($1)"
			 " ON CONFLICT (user_id) DO NOTHING",
			 1, u, NULL, err);
	if (r == SVC_OK)
		r = svc_pg_query(pg,
				 "SELECT webhook_url, webhook_secret, email, email_enabled"
				 " FROM notify.settings WHERE user_id = $1 FOR UPDATE",
				 1, u, &res, err);
	if (r != SVC_OK)
		goto done;
	struct merged m = {0};
	r = merge(res, p, &m, err);
	if (r == SVC_OK) {
		const char *q[] = {user_id, m.webhook_url, m.webhook_secret, m.email,
				   m.email_enabled ? "true" : "false"};
		PGresult *upd = NULL;
		r = svc_pg_query(pg,
				 "UPDATE notify.settings AS s SET webhook_url = $2,"
				 " webhook_secret = $3, email = $4, email_enabled = $5::boolean,"
				 " updated_at = now() WHERE s.user_id = $1 RETURNING " SETTINGS_SQL,
				 5, q, &upd, err);
		if (r == SVC_OK)
			r = take_text(upd, out, err);
	}
	PQclear(res);
done:
	if ((r = svc_pg_finish(pg, r, err)) != SVC_OK) {
		free(*out);
		*out = NULL;
	}
	return r;
}

/* Claims the pending delivery due first (SKIP LOCKED: a row another worker
 * is claiming right now is left to it) by pushing its next attempt past
 * the lease ($2 ms) under the token $1, and reads what the attempt needs. */
#define CLAIM_SQL \
	"WITH claimed AS (UPDATE notify.deliveries SET claim = $1::uuid," \
	"  next_attempt_at = now() + make_interval(secs => $2::bigint / 1000.0)" \
	" WHERE id = (SELECT id FROM notify.deliveries" \
	"  WHERE status = 'pending' AND next_attempt_at <= now()" \
	"  ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)" \
	" RETURNING id, notification_id, channel, attempts)" \
	" SELECT d.id, d.channel, d.attempts + 1, n.event_id, " NOTIFICATION_SQL "," \
	" n.title, n.body, s.webhook_url, s.webhook_secret," \
	" CASE WHEN s.email_enabled THEN s.email END" \
	" FROM claimed d JOIN notify.notifications n ON n.id = d.notification_id" \
	" LEFT JOIN notify.settings s ON s.user_id = n.user_id"

static const char *opt(const PGresult *res, int col)
{
	return PQgetisnull(res, 0, col) ? NULL : PQgetvalue(res, 0, col);
}

void ntf_claim_cleanup(struct ntf_claim *c)
{
	PQclear(c->res);
	memset(c, 0, sizeof *c);
}

/* When no delivery is due: milliseconds until the next, or -1. */
static enum svc_result next_due(struct svc_pg *pg, long *next_ms, struct svc_err *err)
{
	PGresult *res = NULL;
	enum svc_result r = svc_pg_query(
		pg,
		"SELECT ceil(extract(epoch FROM min(next_attempt_at) - now()) * 1000)::bigint"
		" FROM notify.deliveries WHERE status = 'pending'",
		0, NULL, &res, err);
	if (r != SVC_OK)
		return r;
	*next_ms = PQgetisnull(res, 0, 0) ? -1 : strtol(PQgetvalue(res, 0, 0), NULL, 10);
	if (*next_ms < -1)
		*next_ms = 0;
	PQclear(res);
	return SVC_OK;
}

enum svc_result ntf_store_claim_delivery(struct svc_pg *pg, long lease_ms, struct ntf_claim *c,
					 bool *found, long *next_ms, struct svc_err *err)
{
	memset(c, 0, sizeof *c);
	*found = false;
	*next_ms = -1;
	char lease[24];
	snprintf(lease, sizeof lease, "%ld", lease_ms);
	if (svc_uuid_v4(c->token) != 0)
		return svc_err_set(err, SVC_EINTERNAL, NULL, "no random bytes");
	const char *p[] = {c->token, lease};
	PGresult *res = NULL;
	enum svc_result r = svc_pg_query(pg, CLAIM_SQL, 2, p, &res, err);
	if (r != SVC_OK)
		return r;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return next_due(pg, next_ms, err);
	}
	*found = true;
	c->res = res;
	c->job = (struct ntf_job){
		.delivery_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10),
		.channel = PQgetvalue(res, 0, 1),
		.attempt = (int)strtol(PQgetvalue(res, 0, 2), NULL, 10),
		.event_id = PQgetvalue(res, 0, 3),
		.notification = PQgetvalue(res, 0, 4),
		.title = PQgetvalue(res, 0, 5),
		.body = PQgetvalue(res, 0, 6),
		.webhook_url = opt(res, 7),
		.webhook_secret = opt(res, 8),
		.email = opt(res, 9),
	};
	return SVC_OK;
}

/* Inside the transaction: writes the outcome of the claimed attempt to its
 * delivery (ending the claim) and to the log. */
static enum svc_result record(struct svc_pg *pg, const struct ntf_retry *retry,
			      const struct ntf_claim *c, const struct ntf_outcome *o,
			      struct svc_err *err)
{
	const struct ntf_job *job = &c->job;
	char id[24], attempt[16], pause[24], dur[24], status[16];
	snprintf(id, sizeof id, "%lld", job->delivery_id);
	snprintf(attempt, sizeof attempt, "%d", job->attempt);
	snprintf(dur, sizeof dur, "%ld", o->duration_ms);
	snprintf(status, sizeof status, "%ld", o->status);
	snprintf(pause, sizeof pause, "%ld",
		 ntf_backoff_ms(job->attempt, retry->base_ms, retry->max_ms));
	const char *state = "pending";
	if (o->result == NTF_SENT)
		state = "delivered";
	else if (o->result == NTF_CANCELLED)
		state = "cancelled";
	else if (o->result == NTF_REFUSED || job->attempt >= retry->max_attempts)
		state = "failed";
	const char *error = o->result == NTF_SENT ? NULL : o->error;
	const char *p[] = {id, state, pause, error, c->token};
	long n = 0;
	enum svc_result r = exec_count(
		pg,
		"UPDATE notify.deliveries SET status = $2, claim = NULL,"
		" attempts = attempts + CASE WHEN $2 = 'cancelled' THEN 0 ELSE 1 END,"
		" next_attempt_at = CASE WHEN $2 = 'pending'"
		"  THEN now() + make_interval(secs => $3::bigint / 1000.0) ELSE next_attempt_at END,"
		" delivered_at = CASE WHEN $2 = 'delivered' THEN now() END, last_error = $4"
		" WHERE id = $1::bigint AND claim = $5::uuid",
		5, p, &n, err);
	if (r == SVC_OK && n == 0)
		return svc_err_set(err, SVC_ECONFLICT, NULL,
				   "delivery %s: its claim ran out before the outcome was recorded", id);
	if (r != SVC_OK || o->result == NTF_CANCELLED)
		return r;
	/* The attempt started before this transaction: its duration back. */
	const char *a[] = {id, attempt, dur, o->target, o->result == NTF_SENT ? "true" : "false",
			   o->status ? status : NULL, error};
	return svc_pg_query(pg,
			    "INSERT INTO notify.delivery_attempts (delivery_id, attempt, started_at,"
			    " duration_ms, target, ok, status, error) VALUES ($1::bigint,"
			    " $2::integer, clock_timestamp() - make_interval(secs => $3::integer / 1000.0),"
			    " $3::integer, $4, $5::boolean, $6::integer, $7)",
			    7, a, NULL, err);
}

enum svc_result ntf_store_record_delivery(struct svc_pg *pg, const struct ntf_retry *retry,
					  const struct ntf_claim *c, const struct ntf_outcome *o,
					  struct svc_err *err)
{
	enum svc_result r = svc_pg_begin(pg, err);
	if (r != SVC_OK)
		return r;
	return svc_pg_finish(pg, record(pg, retry, c, o, err), err);
}
