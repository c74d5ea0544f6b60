/* PostgreSQL through libpq: parameterized queries only, reconnect on a
 * broken connection, versioned migrations under an advisory lock, and a
 * bounded pool of handles.
 *
 * Who touches what: a handle (struct svc_pg) is one connection, used by
 * one thread at a time: the thread that made it (svc_pg_new) or acquired
 * it (svc_pg_acquire), until it frees or releases it. Nothing is bound to
 * a thread behind the caller's back: every query names its handle, and a
 * transaction is whatever the holder began on that handle and has not
 * finished yet. The holder begins and finishes its transactions itself,
 * and never keeps one open across network I/O (a call to another service,
 * a publish, a webhook): a transaction holds row locks and a connection,
 * so it lasts as long as a few statements, no longer.
 *
 * The pool is shared by every thread of a process; its lock guards only
 * its own lists and counters and is never held during a query or a
 * connect. Background threads that run all the time (a relay, delivery
 * workers) make handles of their own with svc_pg_new instead, so they
 * never wait behind requests for one, nor requests behind them. */
#ifndef SVC_PG_H
#define SVC_PG_H

#include <stddef.h>

#include "svc/config.h"
#include "svc/result.h"

/* libpq's PGresult (libpq-fe.h), which only the stores include. */
struct pg_result;

struct svc_pg;
struct svc_pg_pool;

/* ---- handles ------------------------------------------------------------ */

/* A handle of the caller's own. conninfo is copied; nothing connects until
 * the first query. Caller frees with svc_pg_free (which closes the
 * connection, ending any transaction and session lock). NULL on OOM. */
struct svc_pg *svc_pg_new(const char *conninfo);
void svc_pg_free(struct svc_pg *pg);

/* Runs sql with params ($1..$n, text format, NULL for SQL NULL). On success
 * *out (may be NULL to discard) holds the result; caller frees with
 * PQclear. Errors: SVC_ECONFLICT for unique violations, serialization
 * failures and deadlocks, SVC_EINVAL for bad data, SVC_ETIMEOUT for a
 * cancelled statement, SVC_EUNAVAIL when the server cannot be reached (the
 * connection is re-made on the next call, and a statement outside a
 * transaction is retried once). */
enum svc_result svc_pg_query(struct svc_pg *pg, const char *sql, int nparams,
			     const char *const *params, struct pg_result **out,
			     struct svc_err *err);

/* BEGIN / COMMIT / ROLLBACK on the caller's handle. Rollback never fails
 * loudly (a broken connection has lost the transaction anyway). */
enum svc_result svc_pg_begin(struct svc_pg *pg, struct svc_err *err);
enum svc_result svc_pg_commit(struct svc_pg *pg, struct svc_err *err);
void svc_pg_rollback(struct svc_pg *pg);
/* Ends the caller's transaction: commits when r is SVC_OK, otherwise (or
 * when the commit fails) rolls back. Returns how it ended. */
enum svc_result svc_pg_finish(struct svc_pg *pg, enum svc_result r, struct svc_err *err);

/* A number that changes every time the handle connects anew. Session state
 * (a session advisory lock, a SET) taken while it had one value is gone
 * once it has another: a holder of a session lock checks it before acting
 * on the lock's word. */
unsigned long svc_pg_session(const struct svc_pg *pg);

/* Closes the connection now (the next query connects anew), dropping every
 * session lock and setting on it: for a holder that cannot otherwise
 * return the handle as it found it. */
void svc_pg_disconnect(struct svc_pg *pg);

/* True when a trivial query answers. */
enum svc_result svc_pg_ping(struct svc_pg *pg, struct svc_err *err);

/* ---- the pool ----------------------------------------------------------- */

/* Where a service's database is and how many connections its handlers may
 * hold: DATABASE_URL (required), DATABASE_POOL_SIZE (4; 1..256) and
 * DATABASE_WAIT_MS (5000; how long a handler waits for a free handle
 * before it answers 503). Problems are recorded in cfg. */
struct svc_pg_opts {
	const char *conninfo; /* borrowed from the environment */
	int pool_size;
	long wait_ms;
};
void svc_pg_opts_read(struct svc_config *cfg, struct svc_pg_opts *o);

/* A pool of at most max handles for conninfo (copied). Handles are made
 * when first needed and connect on their first query. Caller frees with
 * svc_pg_pool_free once every handle is back. NULL on OOM or max < 1. */
struct svc_pg_pool *svc_pg_pool_new(const char *conninfo, int max);
void svc_pg_pool_free(struct svc_pg_pool *pool);

/* A handle for the caller alone until it gives it back with
 * svc_pg_release: an idle one, or a new one while fewer than max exist;
 * otherwise waits up to wait_ms for one to come back. SVC_EUNAVAIL
 * ("database busy") when none does, SVC_ENOMEM; NULL then. The handle
 * comes outside any transaction. */
struct svc_pg *svc_pg_acquire(struct svc_pg_pool *pool, long wait_ms, struct svc_err *err);

/* Gives pg (NULL is ignored) back to its pool. A handle given back inside
 * a transaction has it rolled back (and a warning logged: the holder
 * forgot to finish it); a broken connection, or one that cannot roll back,
 * is closed and its place freed. The holder must not have left session
 * state on it (svc_pg_disconnect first when it cannot promise that). */
void svc_pg_release(struct svc_pg_pool *pool, struct svc_pg *pg);

/* Handles given out and not yet back. Also exported on /metrics as the
 * gauge pg_pool_handles{state="in_use"} (and state="open": connections
 * the pool holds, busy or idle), with pg_pool_busy_total counting
 * acquires that gave up waiting. */
int svc_pg_pool_in_use(struct svc_pg_pool *pool);

/* A /readyz check: arg is the pool (borrowed for the process's life).
 * Pings on a handle acquired for at most a second, so a pool that stays
 * exhausted counts as not ready too. */
enum svc_result svc_pg_ready_check(void *arg, struct svc_err *err);

/* ---- migrations --------------------------------------------------------- */

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

/* Applies migrations at start-up on a handle of its own, retrying while
 * Postgres is unreachable for up to wait_ms. Returns SVC_OK or the last
 * error. */
enum svc_result svc_pg_migrate_at_start(const char *conninfo, const char *schema,
					const struct svc_migration *m, size_t n,
					long wait_ms, struct svc_err *err);

#endif
