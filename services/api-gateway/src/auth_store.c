#include "auth_store.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "svc/pg.h"
#include "svc/util.h"

static const struct svc_migration migrations[] = {
	{1, "users and refresh tokens",
	 "CREATE TABLE auth.users ("
	 "  id uuid PRIMARY KEY,"
	 "  email text NOT NULL UNIQUE CHECK (char_length(email) BETWEEN 3 AND 254),"
	 "  password_hash text NOT NULL,"
	 "  created_at timestamptz NOT NULL DEFAULT now(),"
	 "  updated_at timestamptz NOT NULL DEFAULT now()"
	 ");"
	 "CREATE TABLE auth.refresh_tokens ("
	 "  id uuid PRIMARY KEY,"
	 "  user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,"
	 "  family_id uuid NOT NULL,"
	 "  token_hash text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),"
	 "  created_at timestamptz NOT NULL DEFAULT now(),"
	 "  expires_at timestamptz NOT NULL,"
	 "  used_at timestamptz,"
	 "  replaced_by uuid REFERENCES auth.refresh_tokens (id) ON DELETE SET NULL,"
	 "  revoked_at timestamptz"
	 ");"
	 "CREATE INDEX refresh_tokens_family ON auth.refresh_tokens (family_id);"
	 "CREATE INDEX refresh_tokens_user ON auth.refresh_tokens (user_id, expires_at);"},
	{2, "personal API tokens",
	 "CREATE TABLE auth.api_tokens ("
	 "  id uuid PRIMARY KEY,"
	 "  user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,"
	 "  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),"
	 "  token_hash text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),"
	 "  scopes text[] NOT NULL,"
	 "  created_at timestamptz NOT NULL DEFAULT now(),"
	 "  expires_at timestamptz NOT NULL,"
	 "  last_used_at timestamptz"
	 ");"
	 "CREATE INDEX api_tokens_user ON auth.api_tokens (user_id, created_at DESC);"},
};

/* The API's view of a user row (alias u). */
#define USER_COLS \
	"u.id, u.email," \
	" to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

#define STR2(x) #x
#define STR(x) STR2(x)

enum svc_result gw_store_migrate(const char *conninfo, struct svc_err *err)
{
	return svc_pg_migrate_at_start(conninfo, "auth", migrations,
				       sizeof migrations / sizeof migrations[0], 60000, err);
}

/* Copies the USER_COLS at col.. of row 0 into u. */
static void take_user(const PGresult *res, int col, struct gw_user *u)
{
	snprintf(u->id, sizeof u->id, "%s", PQgetvalue(res, 0, col));
	snprintf(u->email, sizeof u->email, "%s", PQgetvalue(res, 0, col + 1));
	snprintf(u->created_at, sizeof u->created_at, "%s", PQgetvalue(res, 0, col + 2));
}

/* Adds a token row that lives GW_REFRESH_TTL, inside the caller's
 * transaction if there is one; its id goes to id. */
static enum svc_result insert_token(struct svc_pg *pg, const char *user_id,
				    const char *family_id, const char *hash, char id[37],
				    struct svc_err *err)
{
	if (svc_uuid_v4(id) != 0)
		return svc_err_set(err, SVC_EINTERNAL, NULL, "no random bytes");
	const char *p[] = {id, user_id, family_id, hash, STR(GW_REFRESH_TTL)};
	return svc_pg_query(pg,
			    "INSERT INTO auth.refresh_tokens"
			    " (id, user_id, family_id, token_hash, expires_at)"
			    " VALUES ($1, $2, $3, $4, now() + $5::integer * interval '1 second')",
			    5, p, NULL, err);
}

/* Adds the first token of a new family (a login or a registration). */
static enum svc_result new_family(struct svc_pg *pg, const char *user_id, const char *hash,
				  struct svc_err *err)
{
	char family[37], id[37];
	if (svc_uuid_v4(family) != 0)
		return svc_err_set(err, SVC_EINTERNAL, NULL, "no random bytes");
	return insert_token(pg, user_id, family, hash, id, err);
}

enum svc_result gw_store_register(struct svc_pg *pg, const char *user_id,
				  const char *email, const char *password_hash,
				  const char *refresh_hash, struct gw_user *out,
				  struct svc_err *err)
{
	memset(out, 0, sizeof *out);
	enum svc_result r = svc_pg_begin(pg, err);
	if (r != SVC_OK)
		return r;
	const char *p[] = {user_id, email, password_hash};
	PGresult *res = NULL;
	r = svc_pg_query(pg,
			 "INSERT INTO auth.users AS u (id, email, password_hash)"
			 " VALUES ($1, $2, $3) RETURNING " USER_COLS,
			 3, p, &res, err);
	if (r == SVC_ECONFLICT)
		svc_err_set(err, r, "email", "an account with this email already exists");
	if (r == SVC_OK) {
		take_user(res, 0, out);
		PQclear(res);
		r = new_family(pg, user_id, refresh_hash, err);
	}
	r = svc_pg_finish(pg, r, err);
	if (r != SVC_OK)
		memset(out, 0, sizeof *out);
	return r;
}

/* Runs sql, whose columns are USER_COLS and then, when hash is not NULL,
 * the password hash, with the one parameter param; fills *out (and hash,
 * GW_PWHASH_BUF bytes) from its row. SVC_ENOTFOUND when there is none. */
static enum svc_result find_user(struct svc_pg *pg, const char *sql, const char *param,
				 struct gw_user *out, char *hash, struct svc_err *err)
{
	memset(out, 0, sizeof *out);
	if (hash)
		hash[0] = '\0';
	const char *p[] = {param};
	PGresult *res = NULL;
	enum svc_result r = svc_pg_query(pg, sql, 1, p, &res, err);
	if (r != SVC_OK)
		return r;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return svc_err_set(err, SVC_ENOTFOUND, NULL, "no such user");
	}
	take_user(res, 0, out);
	if (hash)
		snprintf(hash, GW_PWHASH_BUF, "%s", PQgetvalue(res, 0, 3));
	PQclear(res);
	return SVC_OK;
}

enum svc_result gw_store_find_by_email(struct svc_pg *pg, const char *email,
				       struct gw_user *out, char hash[GW_PWHASH_BUF],
				       struct svc_err *err)
{
	return find_user(pg,
			 "SELECT " USER_COLS ", u.password_hash FROM auth.users u"
			 " WHERE u.email = $1",
			 email, out, hash, err);
}

enum svc_result gw_store_user(struct svc_pg *pg, const char *user_id,
			      struct gw_user *out, struct svc_err *err)
{
	if (!svc_uuid_valid(user_id)) {
		memset(out, 0, sizeof *out);
		return svc_err_set(err, SVC_ENOTFOUND, NULL, "no such user");
	}
	return find_user(pg, "SELECT " USER_COLS " FROM auth.users u WHERE u.id = $1",
			 user_id, out, NULL, err);
}

enum svc_result gw_store_set_password_hash(struct svc_pg *pg, const char *user_id,
					   const char *old_hash, const char *new_hash,
					   struct svc_err *err)
{
	const char *p[] = {user_id, old_hash, new_hash};
	return svc_pg_query(pg,
			    "UPDATE auth.users SET password_hash = $3, updated_at = now()"
			    " WHERE id = $1 AND password_hash = $2",
			    3, p, NULL, err);
}

enum svc_result gw_store_open_family(struct svc_pg *pg, const char *user_id,
				     const char *refresh_hash, struct svc_err *err)
{
	const char *p[] = {user_id};
	enum svc_result r = svc_pg_query(pg,
					 "DELETE FROM auth.refresh_tokens"
					 " WHERE user_id = $1 AND expires_at < now()",
					 1, p, NULL, err);
	if (r != SVC_OK)
		return r;
	return new_family(pg, user_id, refresh_hash, err);
}

/* Revokes what is left of a family; inside the caller's transaction. */
static enum svc_result revoke(struct svc_pg *pg, const char *family_id, struct svc_err *err)
{
	const char *p[] = {family_id};
	return svc_pg_query(pg,
			    "UPDATE auth.refresh_tokens SET revoked_at = now()"
			    " WHERE family_id = $1 AND revoked_at IS NULL",
			    1, p, NULL, err);
}

/* Begins a transaction on pg and runs sql, which locks the token row whose
 * hash is $1. On success *res is set: the caller PQclears it, then
 * commits or rolls back. On failure nothing is left open. */
static enum svc_result begin_locked(struct svc_pg *pg, const char *sql, const char *hash,
				    PGresult **res, struct svc_err *err)
{
	enum svc_result r = svc_pg_begin(pg, err);
	if (r != SVC_OK)
		return r;
	const char *p[] = {hash};
	r = svc_pg_query(pg, sql, 1, p, res, err);
	if (r != SVC_OK)
		svc_pg_rollback(pg);
	return r;
}

enum svc_result gw_store_rotate(struct svc_pg *pg, const char *old_hash,
				const char *new_hash, gw_issue_fn issue, void *arg,
				struct gw_user *out, struct svc_err *err)
{
	memset(out, 0, sizeof *out);
	PGresult *res = NULL;
	/* The row lock makes a concurrent rotation of the same token wait
	 * here, then see it used. */
	enum svc_result r =
		begin_locked(pg,
			     "SELECT t.id, t.family_id, t.revoked_at IS NOT NULL,"
			     " t.used_at IS NOT NULL, t.expires_at <= now(), " USER_COLS
			     " FROM auth.refresh_tokens t JOIN auth.users u ON u.id = t.user_id"
			     " WHERE t.token_hash = $1 FOR UPDATE OF t",
			     old_hash, &res, err);
	if (r != SVC_OK)
		return r;
	if (PQntuples(res) == 0) {
		PQclear(res);
		r = svc_err_set(err, SVC_EAUTH, NULL, "refresh token unknown");
		goto fail;
	}
	char id[37], family[37];
	snprintf(id, sizeof id, "%s", PQgetvalue(res, 0, 0));
	snprintf(family, sizeof family, "%s", PQgetvalue(res, 0, 1));
	bool revoked = PQgetvalue(res, 0, 2)[0] == 't';
	bool used = PQgetvalue(res, 0, 3)[0] == 't';
	bool expired = PQgetvalue(res, 0, 4)[0] == 't';
	take_user(res, 5, out);
	PQclear(res);
	if (revoked) {
		r = svc_err_set(err, SVC_EAUTH, NULL, "refresh token revoked");
		goto fail;
	}
	if (used) {
		/* Someone holds a copy of a token that was already exchanged:
		 * end the whole family. */
		memset(out, 0, sizeof *out);
		r = svc_pg_finish(pg, revoke(pg, family, err), err);
		if (r != SVC_OK)
			return r;
		return svc_err_set(err, SVC_EAUTH, NULL,
				   "refresh token reused: family %s revoked", family);
	}
	if (expired) {
		r = svc_err_set(err, SVC_EAUTH, NULL, "refresh token expired");
		goto fail;
	}
	char next[37];
	r = insert_token(pg, out->id, family, new_hash, next, err);
	if (r != SVC_OK)
		goto fail;
	const char *upd[] = {id, next};
	r = svc_pg_query(pg,
			 "UPDATE auth.refresh_tokens SET used_at = now(), replaced_by = $2"
			 " WHERE id = $1",
			 2, upd, NULL, err);
	if (r == SVC_OK)
		r = issue(arg, out, err);
fail:
	r = svc_pg_finish(pg, r, err);
	if (r != SVC_OK)
		memset(out, 0, sizeof *out);
	return r;
}

enum svc_result gw_store_revoke_family(struct svc_pg *pg, const char *hash,
				       struct svc_err *err)
{
	PGresult *res = NULL;
	/* Waiting on the row lock first lets a rotation in flight commit, so
	 * the token it adds to the family is revoked as well. */
	enum svc_result r = begin_locked(pg,
					 "SELECT family_id FROM auth.refresh_tokens"
					 " WHERE token_hash = $1 FOR UPDATE",
					 hash, &res, err);
	if (r != SVC_OK)
		return r;
	if (PQntuples(res) == 1) {
		char family[37];
		snprintf(family, sizeof family, "%s", PQgetvalue(res, 0, 0));
		r = revoke(pg, family, err);
	}
	PQclear(res);
	return svc_pg_finish(pg, r, err);
}

/* ---- personal API tokens ------------------------------------------------ */

#define PAT_JSON \
	"json_build_object('id', id, 'name', name, 'scopes', to_json(scopes)," \
	" 'created_at', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')," \
	" 'expires_at', to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')," \
	" 'last_used_at', to_char(last_used_at AT TIME ZONE 'UTC'," \
	" 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'))"

enum svc_result gw_store_pat_create(struct svc_pg *pg, const char *user_id, const char *name,
				    const char *hash, const char *scopes, long days, char **json,
				    struct svc_err *err)
{
	*json = NULL;
	char id[37], d[24];
	if (svc_uuid_v4(id) != 0)
		return svc_err_set(err, SVC_EINTERNAL, NULL, "no random bytes");
	snprintf(d, sizeof d, "%ld", days);
	const char *p[] = {id, user_id, name, hash, scopes, d, STR(GW_PAT_PER_USER)};
	PGresult *res = NULL;
	/* The bound is checked in the same statement that inserts, so two
	 * concurrent creates cannot both pass it by much. */
	enum svc_result r = svc_pg_query(
		pg,
		"INSERT INTO auth.api_tokens (id, user_id, name, token_hash, scopes, expires_at)"
		" SELECT $1, $2, $3, $4, string_to_array($5, ' '),"
		" now() + $6::integer * interval '1 day'"
		" WHERE (SELECT count(*) FROM auth.api_tokens WHERE user_id = $2) < $7::integer"
		" RETURNING " PAT_JSON "::text",
		7, p, &res, err);
	if (r != SVC_OK)
		return r;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return svc_err_set(err, SVC_EUNPROCESSABLE, NULL,
				   "at most %d personal API tokens per account; revoke one first",
				   GW_PAT_PER_USER);
	}
	*json = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return *json ? SVC_OK : svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
}

enum svc_result gw_store_pat_list(struct svc_pg *pg, const char *user_id, char **json,
				  struct svc_err *err)
{
	*json = NULL;
	const char *p[] = {user_id};
	PGresult *res = NULL;
	enum svc_result r = svc_pg_query(
		pg,
		"SELECT json_build_object('items', coalesce(json_agg(t ORDER BY created_at DESC, id),"
		" '[]'))::text FROM (SELECT " PAT_JSON " AS t, created_at, id"
		" FROM auth.api_tokens WHERE user_id = $1) x",
		1, p, &res, err);
	if (r != SVC_OK)
		return r;
	*json = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return *json ? SVC_OK : svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
}

enum svc_result gw_store_pat_revoke(struct svc_pg *pg, const char *user_id, const char *id,
				    char hash[GW_TOKEN_HASH_HEX], struct svc_err *err)
{
	hash[0] = '\0';
	if (!svc_uuid_valid(id))
		return svc_err_set(err, SVC_ENOTFOUND, NULL, "no such token");
	const char *p[] = {id, user_id};
	PGresult *res = NULL;
	enum svc_result r = svc_pg_query(pg,
					 "DELETE FROM auth.api_tokens WHERE id = $1 AND user_id = $2"
					 " RETURNING token_hash",
					 2, p, &res, err);
	if (r != SVC_OK)
		return r;
	if (PQntuples(res) == 0)
		r = svc_err_set(err, SVC_ENOTFOUND, NULL, "no such token");
	else
		snprintf(hash, GW_TOKEN_HASH_HEX, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return r;
}

enum svc_result gw_store_pat_lookup(struct svc_pg *pg, const char *hash, struct gw_pat_entry *out,
				    struct svc_err *err)
{
	memset(out, 0, sizeof *out);
	const char *p[] = {hash};
	PGresult *res = NULL;
	/* Finds a live token and notes its use in one statement; the note is
	 * written at most once a minute, as the edge's cache asks again only
	 * after it forgot. */
	enum svc_result r = svc_pg_query(
		pg,
		"UPDATE auth.api_tokens SET last_used_at = CASE WHEN last_used_at IS NULL OR"
		" last_used_at < now() - interval '1 minute' THEN now() ELSE last_used_at END"
		" WHERE token_hash = $1 AND expires_at > now()"
		" RETURNING user_id, array_to_string(scopes, ' '),"
		" floor(extract(epoch FROM expires_at))::bigint",
		1, p, &res, err);
	if (r != SVC_OK)
		return r;
	if (PQntuples(res) == 1) {
		out->valid = true;
		snprintf(out->user_id, sizeof out->user_id, "%s", PQgetvalue(res, 0, 0));
		snprintf(out->scope, sizeof out->scope, "%s", PQgetvalue(res, 0, 1));
		out->expires_at = (time_t)strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	}
	PQclear(res);
	return SVC_OK;
}
