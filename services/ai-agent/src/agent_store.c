#include "agent_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "svc/cursor.h"
#include "svc/json.h"
#include "svc/text.h"
#include "svc/util.h"

static const struct svc_migration migrations[] = {
	{1, "conversations and messages",
	 "CREATE TABLE agent.conversations ("
	 "  id uuid PRIMARY KEY,"
	 "  user_id text NOT NULL,"
	 "  title text NOT NULL,"
	 "  time_zone text,"
	 "  context jsonb NOT NULL DEFAULT '{}',"
	 "  created_at timestamptz NOT NULL DEFAULT now(),"
	 "  updated_at timestamptz NOT NULL DEFAULT now()"
	 ");"
	 "CREATE INDEX conversations_user ON agent.conversations"
	 "  (user_id, updated_at DESC, id DESC);"
	 "CREATE TABLE agent.messages ("
	 "  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	 "  id uuid NOT NULL UNIQUE,"
	 "  conversation_id uuid NOT NULL REFERENCES agent.conversations (id) ON DELETE CASCADE,"
	 "  role text NOT NULL CHECK (role IN ('user', 'assistant')),"
	 "  content text NOT NULL,"
	 "  tool_calls jsonb NOT NULL DEFAULT '[]',"
	 "  created_at timestamptz NOT NULL DEFAULT now()"
	 ");"
	 "CREATE INDEX messages_conversation ON agent.messages (conversation_id, seq);"},
};

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
/* The cursor key of a conversation: its updated_at to the microsecond. */
#define KEY(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

enum svc_result agt_store_migrate(const char *conninfo, struct svc_err *err)
{
	return svc_pg_migrate_at_start(conninfo, "agent", migrations,
				       sizeof migrations / sizeof migrations[0], 60000, err);
}

static enum svc_result oom(struct svc_err *err)
{
	return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
}

static enum svc_result no_conversation(struct svc_err *err)
{
	return svc_err_set(err, SVC_ENOTFOUND, NULL, "no such conversation");
}

void agt_conv_cleanup(struct agt_conv *c)
{
	cJSON_Delete(c->context);
	c->context = NULL;
}

/* The first row of res (id, time zone, context) into *out; frees res.
 * SVC_ENOTFOUND when there is none. */
static enum svc_result conv_row(PGresult *res, struct agt_conv *out, struct svc_err *err)
{
	if (PQntuples(res) == 0) {
		PQclear(res);
		return no_conversation(err);
	}
	snprintf(out->id, sizeof out->id, "%s", PQgetvalue(res, 0, 0));
	snprintf(out->time_zone, sizeof out->time_zone, "%s", PQgetvalue(res, 0, 1));
	out->context = cJSON_Parse(PQgetvalue(res, 0, 2));
	PQclear(res);
	return out->context ? SVC_OK : oom(err);
}

enum svc_result agt_store_conv_get(struct svc_pg *pg, const char *user, const char *id,
				   struct agt_conv *out, struct svc_err *err)
{
	memset(out, 0, sizeof *out);
	if (!svc_uuid_valid(id))
		return no_conversation(err);
	const char *p[] = {id, user};
	PGresult *res = NULL;
	enum svc_result r = svc_pg_query(pg,
					 "SELECT id, coalesce(time_zone, ''), context::text"
					 " FROM agent.conversations WHERE id = $1 AND user_id = $2",
					 2, p, &res, err);
	return r == SVC_OK ? conv_row(res, out, err) : r;
}

enum svc_result agt_store_conv_recent(struct svc_pg *pg, const char *user, long max_age_s,
				      struct agt_conv *out, struct svc_err *err)
{
	memset(out, 0, sizeof *out);
	char age[24];
	snprintf(age, sizeof age, "%ld", max_age_s);
	const char *p[] = {user, age};
	PGresult *res = NULL;
	enum svc_result r = svc_pg_query(pg,
					 "SELECT id, coalesce(time_zone, ''), context::text"
					 " FROM agent.conversations WHERE user_id = $1"
					 " AND updated_at > now() - make_interval(secs => $2::integer)"
					 " ORDER BY updated_at DESC LIMIT 1",
					 2, p, &res, err);
	return r == SVC_OK ? conv_row(res, out, err) : r;
}

enum svc_result agt_store_history(struct svc_pg *pg, const char *conv_id, size_t max,
				  cJSON **out, struct svc_err *err)
{
	*out = NULL;
	char n[24];
	snprintf(n, sizeof n, "%zu", max);
	const char *p[] = {conv_id, n};
	PGresult *res = NULL;
	enum svc_result r = svc_pg_query(pg,
					 "SELECT role, content FROM (SELECT seq, role, content"
					 " FROM agent.messages WHERE conversation_id = $1"
					 " ORDER BY seq DESC LIMIT $2::integer) m ORDER BY seq",
					 2, p, &res, err);
	if (r != SVC_OK)
		return r;
	cJSON *arr = cJSON_CreateArray();
	for (int i = 0; arr && i < PQntuples(res); i++) {
		cJSON *m = cJSON_CreateObject();
		if (!m || !cJSON_AddStringToObject(m, "role", PQgetvalue(res, i, 0)) ||
		    !cJSON_AddStringToObject(m, "content", PQgetvalue(res, i, 1))) {
			cJSON_Delete(m);
			cJSON_Delete(arr);
			arr = NULL;
			break;
		}
		cJSON_AddItemToArray(arr, m); /* arr takes ownership */
	}
	PQclear(res);
	if (!arr)
		return oom(err);
	*out = arr;
	return SVC_OK;
}

/* The conversation's title from its first message: its first line, cut to
 * AGT_TITLE_MAX code points at a character boundary. */
static void title_of(const char *message, char *out, size_t n)
{
	size_t b, e;
	svc_utf8_trim_span(message, &b, &e);
	size_t len = strcspn(message + b, "\r\n");
	if (len > e - b)
		len = e - b;
	size_t cut = svc_utf8_prefix(message + b, AGT_TITLE_MAX);
	if (cut < len)
		len = cut;
	if (len >= n)
		len = n - 1;
	memcpy(out, message + b, len);
	out[len] = '\0';
}

static enum svc_result add_message(struct svc_pg *pg, const char *conv, const char *role,
				   const char *content, const char *calls, char id[37],
				   struct svc_err *err)
{
	if (svc_uuid_v4(id) != 0)
		return svc_err_set(err, SVC_EINTERNAL, NULL, "no random bytes");
	const char *p[] = {id, conv, role, content, calls};
	return svc_pg_query(pg,
			    "INSERT INTO agent.messages (id, conversation_id, role, content, tool_calls)"
			    " VALUES ($1, $2, $3, $4, $5::jsonb)",
			    5, p, NULL, err);
}

enum svc_result agt_store_save_turn(struct svc_pg *pg, struct agt_turn_rows *t,
				    struct svc_err *err)
{
	t->user_msg_id[0] = t->reply_msg_id[0] = '\0';
	enum svc_result r = svc_pg_begin(pg, err);
	if (r != SVC_OK)
		return r;
	const char *zone = t->time_zone && t->time_zone[0] ? t->time_zone : NULL;
	if (t->create) {
		char title[AGT_TITLE_MAX * 4 + 1];
		title_of(t->message, title, sizeof title);
		const char *p[] = {t->conv_id, t->user, title, zone, t->context};
		r = svc_pg_query(pg,
				 "INSERT INTO agent.conversations (id, user_id, title, time_zone, context)"
				 " VALUES ($1, $2, $3, $4, $5::jsonb)",
				 5, p, NULL, err);
	} else {
		const char *p[] = {t->conv_id, t->user, zone, t->context};
		PGresult *res = NULL;
		r = svc_pg_query(pg,
				 "UPDATE agent.conversations SET updated_at = clock_timestamp(),"
				 " time_zone = coalesce($3, time_zone), context = $4::jsonb"
				 " WHERE id = $1 AND user_id = $2 RETURNING id",
				 4, p, &res, err);
		/* Deleted while the turn ran: nothing to add to. */
		if (r == SVC_OK && PQntuples(res) == 0)
			r = no_conversation(err);
		PQclear(res);
	}
	if (r == SVC_OK)
		r = add_message(pg, t->conv_id, "user", t->message, "[]", t->user_msg_id, err);
	if (r == SVC_OK)
		r = add_message(pg, t->conv_id, "assistant", t->reply, t->tool_calls,
				t->reply_msg_id, err);
	return svc_pg_finish(pg, r, err);
}

enum svc_result agt_store_conv_page(struct svc_pg *pg, const char *user, const char *cursor,
				    long limit, char **out, struct svc_err *err)
{
	*out = NULL;
	const char *parts[] = {"conversations"};
	char fp[17];
	svc_fingerprint(parts, 1, fp);
	char key[64] = "", id[64] = "";
	if (cursor) {
		enum svc_result r = svc_cursor_read(cursor, fp, key, sizeof key, id, sizeof id, err);
		if (r == SVC_OK && (!svc_uuid_valid(id) || svc_time_parse_rfc3339(key, NULL) != 0))
			r = svc_err_set(err, SVC_EINVAL, "cursor", "cursor is not valid");
		if (r != SVC_OK)
			return r;
	}
	char lim[24];
	snprintf(lim, sizeof lim, "%ld", limit + 1);
	const char *p[] = {user, lim, cursor ? key : NULL, cursor ? id : NULL};
	PGresult *res = NULL;
	enum svc_result r = svc_pg_query(
		pg,
		"SELECT json_build_object('id', id, 'title', title, 'created_at', " TS("created_at")
		", 'updated_at', " TS("updated_at") ")::text, " KEY("updated_at") ", id"
		" FROM agent.conversations WHERE user_id = $1 AND ($3::timestamptz IS NULL OR"
		" (updated_at, id) < ($3::timestamptz, $4::uuid))"
		" ORDER BY updated_at DESC, id DESC LIMIT $2::integer",
		4, p, &res, err);
	if (r != SVC_OK)
		return r;
	struct svc_page page;
	svc_page_init(&page, (size_t)limit);
	int rows = PQntuples(res), i = 0;
	while (i < rows && svc_page_add(&page, PQgetvalue(res, i, 0)))
		i++;
	char *next = page.more ? svc_cursor_make(fp, PQgetvalue(res, i - 1, 1),
						 PQgetvalue(res, i - 1, 2))
			       : NULL;
	*out = svc_page_finish(&page, next);
	free(next);
	PQclear(res);
	return *out ? SVC_OK : oom(err);
}

enum svc_result agt_store_conv_show(struct svc_pg *pg, const char *user, const char *id,
				    const char *cursor, long limit, char **out,
				    struct svc_err *err)
{
	*out = NULL;
	if (!svc_uuid_valid(id))
		return no_conversation(err);
	const char *parts[] = {"messages", id};
	char fp[17];
	svc_fingerprint(parts, 2, fp);
	char key[32] = "0";
	long after = 0;
	if (cursor) {
		enum svc_result r = svc_cursor_read(cursor, fp, key, sizeof key, NULL, 0, err);
		if (r == SVC_OK && svc_parse_long(key, 0, 0x7fffffffffffffffL, &after) != 0)
			r = svc_err_set(err, SVC_EINVAL, "cursor", "cursor is not valid");
		if (r != SVC_OK)
			return r;
	}
	const char *p[] = {id, user};
	PGresult *conv = NULL, *msgs = NULL;
	enum svc_result r = svc_pg_query(
		pg,
		"SELECT json_build_object('id', id, 'title', title, 'created_at', " TS("created_at")
		", 'updated_at', " TS("updated_at") ")::text"
		" FROM agent.conversations WHERE id = $1 AND user_id = $2",
		2, p, &conv, err);
	if (r != SVC_OK)
		return r;
	if (PQntuples(conv) == 0) {
		PQclear(conv);
		return no_conversation(err);
	}
	char lim[24], from[24];
	snprintf(lim, sizeof lim, "%ld", limit + 1);
	snprintf(from, sizeof from, "%ld", after);
	const char *mp[] = {id, from, lim};
	r = svc_pg_query(pg,
			 "SELECT json_build_object('id', id, 'role', role, 'content', content,"
			 " 'tool_calls', tool_calls, 'created_at', " TS("created_at") ")::text, seq"
			 " FROM agent.messages WHERE conversation_id = $1 AND seq > $2::bigint"
			 " ORDER BY seq LIMIT $3::integer",
			 3, mp, &msgs, err);
	if (r != SVC_OK) {
		PQclear(conv);
		return r;
	}
	/* The conversation's object, opened again to take the messages. */
	const char *head = PQgetvalue(conv, 0, 0);
	struct svc_buf b;
	svc_buf_init(&b, (size_t)64 << 20);
	svc_buf_append(&b, head, strlen(head) - 1);
	svc_buf_puts(&b, ", \"messages\": [");
	int rows = PQntuples(msgs), n = rows > limit ? (int)limit : rows;
	for (int i = 0; i < n; i++) {
		if (i)
			svc_buf_puts(&b, ",");
		svc_buf_puts(&b, PQgetvalue(msgs, i, 0));
	}
	svc_buf_puts(&b, "], \"next_cursor\": ");
	char *next = rows > limit ? svc_cursor_make(fp, PQgetvalue(msgs, n - 1, 1), NULL) : NULL;
	if (next)
		svc_buf_json_string(&b, next);
	else
		svc_buf_puts(&b, "null");
	svc_buf_puts(&b, "}");
	free(next);
	PQclear(conv);
	PQclear(msgs);
	*out = svc_buf_take(&b, NULL);
	return *out ? SVC_OK : oom(err);
}

enum svc_result agt_store_conv_delete(struct svc_pg *pg, const char *user, const char *id,
				      struct svc_err *err)
{
	if (!svc_uuid_valid(id))
		return no_conversation(err);
	const char *p[] = {id, user};
	PGresult *res = NULL;
	enum svc_result r = svc_pg_query(pg,
					 "DELETE FROM agent.conversations WHERE id = $1 AND user_id = $2"
					 " RETURNING id",
					 2, p, &res, err);
	if (r == SVC_OK && PQntuples(res) == 0)
		r = no_conversation(err);
	PQclear(res);
	return r;
}
