#include "svc/pg.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "svc/log.h"
#include "svc/metrics.h"

struct svc_pg {
	char *conninfo;
	PGconn *conn;
	unsigned long session; /* bumped on every new connection */
	struct svc_pg *next;   /* the pool's idle list; under its lock */
};

/* Who touches what: lock guards idle, open and in_use; a handle on the
 * idle list belongs to the pool, one given out to its holder alone. Only
 * list moves and counters happen under lock: connecting, rolling back and
 * closing happen outside it. */
struct svc_pg_pool {
	pthread_mutex_t lock;
	pthread_cond_t freed; /* signalled when a handle comes back or a place frees */
	char *conninfo;
	int max;
	int open;             /* handles that exist, idle or given out */
	int in_use;           /* given out */
	struct svc_pg *idle;  /* most recently used first: their connections are warm */
};

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

unsigned long svc_pg_session(const struct svc_pg *pg)
{
	return pg->session;
}

void svc_pg_disconnect(struct svc_pg *pg)
{
	if (pg->conn)
		PQfinish(pg->conn);
	pg->conn = NULL;
}

static enum svc_result ensure_conn(struct svc_pg *pg, struct svc_err *err)
{
	if (pg->conn && PQstatus(pg->conn) == CONNECTION_OK)
		return SVC_OK;
	if (pg->conn)
		PQfinish(pg->conn);
	pg->conn = PQconnectdb(pg->conninfo);
	pg->session++;
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
			     const char *const *params, struct pg_result **out,
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

/* ---- the pool ------------------------------------------------------------ */

void svc_pg_opts_read(struct svc_config *cfg, struct svc_pg_opts *o)
{
	o->conninfo = svc_config_str(cfg, "DATABASE_URL", NULL);
	o->pool_size = (int)svc_config_long(cfg, "DATABASE_POOL_SIZE", "4", 1, 256);
	o->wait_ms = svc_config_long(cfg, "DATABASE_WAIT_MS", "5000", 0, 600000);
}

/* Under pool->lock. */
static void gauges(const struct svc_pg_pool *pool)
{
	static const char help[] = "Postgres handles of the pool: given out (in_use) and connected or"
				   " made (open).";
	svc_metrics_set("pg_pool_handles", help, "state=\"in_use\"", pool->in_use);
	svc_metrics_set("pg_pool_handles", help, "state=\"open\"", pool->open);
}

struct svc_pg_pool *svc_pg_pool_new(const char *conninfo, int max)
{
	if (max < 1)
		return NULL;
	struct svc_pg_pool *pool = calloc(1, sizeof *pool);
	if (!pool)
		return NULL;
	pool->conninfo = strdup(conninfo);
	pthread_condattr_t ca;
	bool attr = pthread_condattr_init(&ca) == 0;
	/* Deadlines on the monotonic clock: a clock change moves no wait. */
	if (!pool->conninfo || !attr || pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&pool->freed, &ca) != 0) {
		if (attr)
			pthread_condattr_destroy(&ca);
		free(pool->conninfo);
		free(pool);
		return NULL;
	}
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&pool->lock, NULL);
	pool->max = max;
	gauges(pool);
	return pool;
}

void svc_pg_pool_free(struct svc_pg_pool *pool)
{
	if (!pool)
		return;
	if (pool->in_use)
		svc_warn(NULL, "postgres pool freed with %d handles still given out", pool->in_use);
	while (pool->idle) {
		struct svc_pg *pg = pool->idle;
		pool->idle = pg->next;
		svc_pg_free(pg);
	}
	pthread_cond_destroy(&pool->freed);
	pthread_mutex_destroy(&pool->lock);
	free(pool->conninfo);
	free(pool);
}

struct svc_pg *svc_pg_acquire(struct svc_pg_pool *pool, long wait_ms, struct svc_err *err)
{
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += wait_ms / 1000;
	deadline.tv_nsec += (wait_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&pool->lock);
	int rc = 0;
	while (!pool->idle && pool->open >= pool->max && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&pool->freed, &pool->lock, &deadline);
	struct svc_pg *pg = pool->idle;
	bool make = false;
	if (pg) {
		pool->idle = pg->next;
		pg->next = NULL;
	} else if (pool->open < pool->max) {
		make = true;
		pool->open++; /* the place is taken now; made below, outside the lock */
	} else {
		svc_metrics_inc("pg_pool_busy_total",
				"Postgres handles waited for in vain (answered 503).", "", 1);
		pthread_mutex_unlock(&pool->lock);
		svc_err_set(err, SVC_EUNAVAIL, NULL, "database busy");
		return NULL;
	}
	pool->in_use++;
	gauges(pool);
	pthread_mutex_unlock(&pool->lock);
	if (make && !(pg = svc_pg_new(pool->conninfo))) {
		pthread_mutex_lock(&pool->lock);
		pool->open--;
		pool->in_use--;
		gauges(pool);
		pthread_cond_signal(&pool->freed);
		pthread_mutex_unlock(&pool->lock);
		svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	}
	return pg;
}

void svc_pg_release(struct svc_pg_pool *pool, struct svc_pg *pg)
{
	if (!pg)
		return;
	/* A handle that never connected is as good as new; one whose
	 * connection broke, or that is left inside a transaction it cannot
	 * end, goes. */
	bool keep = true;
	if (pg->conn && PQstatus(pg->conn) != CONNECTION_OK) {
		keep = false;
	} else if (pg->conn && PQtransactionStatus(pg->conn) != PQTRANS_IDLE) {
		svc_warn(NULL, "postgres handle given back inside a transaction: rolled back");
		svc_pg_rollback(pg);
		keep = PQstatus(pg->conn) == CONNECTION_OK &&
		       PQtransactionStatus(pg->conn) == PQTRANS_IDLE;
	}
	if (!keep)
		svc_pg_free(pg);
	pthread_mutex_lock(&pool->lock);
	pool->in_use--;
	if (keep) {
		pg->next = pool->idle;
		pool->idle = pg;
	} else {
		pool->open--;
	}
	gauges(pool);
	pthread_cond_signal(&pool->freed);
	pthread_mutex_unlock(&pool->lock);
}

int svc_pg_pool_in_use(struct svc_pg_pool *pool)
{
	pthread_mutex_lock(&pool->lock);
	int n = pool->in_use;
	pthread_mutex_unlock(&pool->lock);
	return n;
}

enum svc_result svc_pg_ready_check(void *arg, struct svc_err *err)
{
	struct svc_pg_pool *pool = arg;
	struct svc_pg *pg = svc_pg_acquire(pool, 1000, err);
	if (!pg)
		return err ? err->code : SVC_EUNAVAIL;
	enum svc_result r = svc_pg_ping(pg, err);
	svc_pg_release(pool, pg);
	return r;
}
