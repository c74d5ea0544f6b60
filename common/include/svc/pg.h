/* PostgreSQL through libpq: parameterized queries only, reconnect on a
 * broken connection, versioned migrations under an advisory lock. A handle
 * is one connection, used by one thread at a time. */
#ifndef SVC_PG_H
#define SVC_PG_H

#include <stddef.h>

#include <libpq-fe.h>

#include "svc/result.h"

struct svc_pg;

/* conninfo is copied; nothing connects until the first query. Caller frees
 * with svc_pg_free. */
struct svc_pg *svc_pg_new(const char *conninfo);
void svc_pg_free(struct svc_pg *pg);

/* This thread's own handle for conninfo, created on first use and freed
 * when the thread exits. One conninfo per process. */
struct svc_pg *svc_pg_thread(const char *conninfo);

/* Runs sql with params ($1..$n, text format, NULL for SQL NULL). On success
 * *out (may be NULL to discard) holds the result; caller frees with
 * PQclear. Errors: SVC_ECONFLICT for unique violations, SVC_EINVAL for bad
 * data, SVC_ETIMEOUT for a cancelled statement, SVC_EUNAVAIL when the
 * server cannot be reached (the connection is re-made on the next call,
 * and a statement outside a transaction is retried once). */
enum svc_result svc_pg_query(struct svc_pg *pg, const char *sql, int nparams,
			     const char *const *params, PGresult **out,
			     struct svc_err *err);

/* BEGIN / COMMIT / ROLLBACK. Rollback never fails loudly. */
enum svc_result svc_pg_begin(struct svc_pg *pg, struct svc_err *err);
enum svc_result svc_pg_commit(struct svc_pg *pg, struct svc_err *err);
void svc_pg_rollback(struct svc_pg *pg);
/* Ends the caller's transaction: commits when r is SVC_OK, otherwise (or
 * when the commit fails) rolls back. Returns how it ended. */
enum svc_result svc_pg_finish(struct svc_pg *pg, enum svc_result r, struct svc_err *err);

/* svc_pg_thread, recording SVC_ENOMEM in err when it returns NULL. */
struct svc_pg *svc_pg_conn(const char *conninfo, struct svc_err *err);
/* This thread's handle for conninfo in *pg with a transaction begun (end
 * it with svc_pg_finish); on failure nothing is begun. */
enum svc_result svc_pg_begin_conn(const char *conninfo, struct svc_pg **pg,
				  struct svc_err *err);

/* True when a trivial query answers. */
enum svc_result svc_pg_ping(struct svc_pg *pg, struct svc_err *err);

struct svc_migration {
	int version;      /* strictly increasing */
	const char *name;
	const char *sql;  /* may hold several statements */
};

/* Creates schema if needed and applies the migrations it has not seen, each
 * recorded in <schema>.schema_migrations, all in one transaction under an
 * advisory lock on the schema's name, so concurrent starters apply each
 * exactly once. schema must be a plain lowercase identifier. */
enum svc_result svc_pg_migrate(struct svc_pg *pg, const char *schema,
			       const struct svc_migration *m, size_t n,
			       struct svc_err *err);



/* A /readyz check: arg is the conninfo string (borrowed for the process's
 * life); pings on this thread's own handle. */
enum svc_result svc_pg_ready_check(void *arg, struct svc_err *err);

/* Applies migrations at start-up, retrying while Postgres is unreachable for
 * up to wait_ms. Returns SVC_OK or the last error. */
enum svc_result svc_pg_migrate_at_start(const char *conninfo, const char *schema,
					const struct svc_migration *m, size_t n,
					long wait_ms, struct svc_err *err);

#endif
