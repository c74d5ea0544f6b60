#include "svc/pg.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "svc/log.h"

struct svc_pg {
	char *conninfo;
	PGconn *conn;
};

static pthread_key_t thread_key;
static pthread_once_t thread_once = PTHREAD_ONCE_INIT;

static void thread_free(void *p)
{
	svc_pg_free(p);
}

static void make_key(void)
{
	pthread_key_create(&thread_key, thread_free);
}

struct svc_pg *svc_pg_new(const char *conninfo)
{
	struct svc_pg *pg = calloc(1, sizeof *pg);
	if (!pg)
		return NULL;
	pg->conninfo = strdup(conninfo);
	if (!pg->conninfo) {
		free(pg);
		return NULL;
	}
	return pg;
}

void svc_pg_free(struct svc_pg *pg)
{
	if (!pg)
		return;
	if (pg->conn)
		PQfinish(pg->conn);
	free(pg->conninfo);
	free(pg);
}

struct svc_pg *svc_pg_thread(const char *conninfo)
{
	pthread_once(&thread_once, make_key);
	struct svc_pg *pg = pthread_getspecific(thread_key);
	if (!pg) {
		pg = svc_pg_new(conninfo);
		if (pg)
			pthread_setspecific(thread_key, pg);
	}
	return pg;
}

static enum svc_result ensure_conn(struct svc_pg *pg, struct svc_err *err)
{
	if (pg->conn && PQstatus(pg->conn) == CONNECTION_OK)
		return SVC_OK;
	if (pg->conn)
		PQfinish(pg->conn);
	pg->conn = PQconnectdb(pg->conninfo);
	if (!pg->conn)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		char msg[200];
		snprintf(msg, sizeof msg, "%s", PQerrorMessage(pg->conn));
		msg[strcspn(msg, "\n")] = '\0';
		PQfinish(pg->conn);
		pg->conn = NULL;
		return svc_err_set(err, SVC_EUNAVAIL, NULL, "postgres unavailable: %s", msg);
	}
	return SVC_OK;
}

static enum svc_result map_error(struct svc_pg *pg, const PGresult *res,
				 struct svc_err *err)
{
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (!msg)
		msg = PQerrorMessage(pg->conn);
	enum svc_result code = SVC_EINTERNAL;
	if (!st || strncmp(st, "08", 2) == 0 || strcmp(st, "57P01") == 0 ||
	    PQstatus(pg->conn) != CONNECTION_OK)
		code = SVC_EUNAVAIL;
	else if (strcmp(st, "23505") == 0)
		code = SVC_ECONFLICT;
	else if (strncmp(st, "22", 2) == 0 || strncmp(st, "23", 2) == 0)
		code = SVC_EINVAL;
	else if (strcmp(st, "57014") == 0)
		code = SVC_ETIMEOUT;
	else if (strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0)
		code = SVC_ECONFLICT;
	return svc_err_set(err, code, NULL, "postgres: %.200s", msg);
}

enum svc_result svc_pg_query(struct svc_pg *pg, const char *sql, int nparams,
			     const char *const *params, PGresult **out,
			     struct svc_err *err)
{
	if (out)
		*out = NULL;
	for (int attempt = 0; attempt < 2; attempt++) {
		bool fresh = !pg->conn || PQstatus(pg->conn) != CONNECTION_OK;
		enum svc_result r = ensure_conn(pg, err);
		if (r != SVC_OK)
			return r;
		bool idle = PQtransactionStatus(pg->conn) == PQTRANS_IDLE;
		PGresult *res = PQexecParams(pg->conn, sql, nparams, NULL, params, NULL,
					     NULL, 0);
		ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
		if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
			if (out)
				*out = res;
			else
				PQclear(res);
			return SVC_OK;
		}
		r = map_error(pg, res, err);
		PQclear(res);
		/* A connection that broke since its last use: try once more on a
		 * new one, unless we were inside a transaction (now lost). */
		if (r == SVC_EUNAVAIL && PQstatus(pg->conn) != CONNECTION_OK && idle &&
		    !fresh) {
			PQfinish(pg->conn);
			pg->conn = NULL;
			continue;
		}
		return r;
	}
	return svc_err_set(err, SVC_EUNAVAIL, NULL, "postgres unavailable");
}

enum svc_result svc_pg_begin(struct svc_pg *pg, struct svc_err *err)
{
	return svc_pg_query(pg, "BEGIN", 0, NULL, NULL, err);
}

enum svc_result svc_pg_commit(struct svc_pg *pg, struct svc_err *err)
{
	return svc_pg_query(pg, "COMMIT", 0, NULL, NULL, err);
}

void svc_pg_rollback(struct svc_pg *pg)
{
	if (pg->conn && PQstatus(pg->conn) == CONNECTION_OK &&
	    PQtransactionStatus(pg->conn) != PQTRANS_IDLE) {
		PGresult *res = PQexec(pg->conn, "ROLLBACK");
		PQclear(res);
	}
}

enum svc_result svc_pg_finish(struct svc_pg *pg, enum svc_result r, struct svc_err *err)
{
	if (r == SVC_OK)
		r = svc_pg_commit(pg, err);
	if (r != SVC_OK)
		svc_pg_rollback(pg);
	return r;
}

struct svc_pg *svc_pg_conn(const char *conninfo, struct svc_err *err)
{
	struct svc_pg *pg = svc_pg_thread(conninfo);
	if (!pg)
		svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	return pg;
}

enum svc_result svc_pg_begin_conn(const char *conninfo, struct svc_pg **pg,
				  struct svc_err *err)
{
	*pg = svc_pg_conn(conninfo, err);
	return *pg ? svc_pg_begin(*pg, err) : SVC_ENOMEM;
}

enum svc_result svc_pg_ping(struct svc_pg *pg, struct svc_err *err)
{
	return svc_pg_query(pg, "SELECT 1", 0, NULL, NULL, err);
}

static bool plain_identifier(const char *s)
{
	if (!*s || strlen(s) > 48)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || *s == '_' || (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

enum svc_result svc_pg_migrate(struct svc_pg *pg, const char *schema,
			       const struct svc_migration *m, size_t n,
			       struct svc_err *err)
{
	if (!plain_identifier(schema))
		return svc_err_set(err, SVC_EINVAL, NULL, "bad schema name");
	char sql[512];
	enum svc_result r = svc_pg_begin(pg, err);
	if (r != SVC_OK)
		return r;
	const char *p1[] = {schema};
	r = svc_pg_query(pg, "SELECT pg_advisory_xact_lock(hashtext('migrate:' || $1))", 1,
			 p1, NULL, err);
	if (r != SVC_OK)
		goto fail;
	snprintf(sql, sizeof sql,
		 "CREATE SCHEMA IF NOT EXISTS %s;"
		 "CREATE TABLE IF NOT EXISTS %s.schema_migrations ("
		 " version integer PRIMARY KEY, name text NOT NULL,"
		 " applied_at timestamptz NOT NULL DEFAULT now())",
		 schema, schema);
	/* Several statements: simple protocol; only our own identifier inside. */
	PGresult *res = PQexec(pg->conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		r = map_error(pg, res, err);
		PQclear(res);
		goto fail;
	}
	PQclear(res);
	for (size_t i = 0; i < n; i++) {
		char v[16];
		snprintf(v, sizeof v, "%d", m[i].version);
		snprintf(sql, sizeof sql, "SELECT 1 FROM %s.schema_migrations WHERE version = $1",
			 schema);
		const char *p[] = {v};
		PGresult *seen = NULL;
		r = svc_pg_query(pg, sql, 1, p, &seen, err);
		if (r != SVC_OK)
			goto fail;
		int done = PQntuples(seen);
		PQclear(seen);
		if (done)
			continue;
		res = PQexec(pg->conn, m[i].sql);
		if (PQresultStatus(res) != PGRES_COMMAND_OK &&
		    PQresultStatus(res) != PGRES_TUPLES_OK) {
			r = map_error(pg, res, err);
			PQclear(res);
			svc_error(NULL, "migration %s.%d (%s) failed: %s", schema, m[i].version,
				  m[i].name, err ? err->message : "");
			goto fail;
		}
		PQclear(res);
		snprintf(sql, sizeof sql,
			 "INSERT INTO %s.schema_migrations (version, name) VALUES ($1, $2)",
			 schema);
		const char *p2[] = {v, m[i].name};
		r = svc_pg_query(pg, sql, 2, p2, NULL, err);
		if (r != SVC_OK)
			goto fail;
		svc_info(NULL, "applied migration %s.%d %s", schema, m[i].version, m[i].name);
	}
	return svc_pg_commit(pg, err);
fail:
	svc_pg_rollback(pg);
	return r;
}

enum svc_result svc_pg_ready_check(void *arg, struct svc_err *err)
{
	struct svc_pg *pg = svc_pg_thread(arg);
	if (!pg)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	return svc_pg_ping(pg, err);
}

enum svc_result svc_pg_migrate_at_start(const char *conninfo, const char *schema,
					const struct svc_migration *m, size_t n,
					long wait_ms, struct svc_err *err)
{
	struct svc_pg *pg = svc_pg_new(conninfo);
	if (!pg)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	long waited = 0;
	enum svc_result r;
	for (;;) {
		r = svc_pg_migrate(pg, schema, m, n, err);
		if (r != SVC_EUNAVAIL || waited >= wait_ms)
			break;
		if (waited % 5000 == 0)
			svc_warn(NULL, "waiting for postgres: %s", err ? err->message : "");
		usleep(500 * 1000);
		waited += 500;
	}
	svc_pg_free(pg);
	return r;
}
