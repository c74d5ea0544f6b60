/* Where reminders live. Each task's reminder state is one key in the Dapr
 * state store ("reminder:<task_id>", written with ETags); the due index is
 * Redis, used directly for what the state API cannot do:
 *
 *   todo:reminders:due      sorted set: task id -> fire time (ms since 1970)
 *   todo:reminders:claimed  sorted set: "<task id>|<fire time>" -> lease end (ms)
 *   todo:reminders:indexed  hash: task id -> the task version that last
 *                           wrote its due entry (older writes are refused)
 *
 * The state is the truth; the index says when to look. A firing re-checks
 * the state, so an index entry left over costs a lookup, never a wrong
 * reminder. All calls block (bounded by the Dapr and Redis timeouts): call
 * them from worker threads. */
#ifndef REM_STORE_H
#define REM_STORE_H

#include <stddef.h>

#include "reminder.h"
#include "svc/dapr.h"

struct rem_store {
	const struct svc_dapr *dapr; /* borrowed for the store's life */
	const char *state_store;     /* Dapr state store name; borrowed */
	const char *redis_host;      /* borrowed */
	int redis_port;
	long redis_timeout_ms;
	long tombstone_ttl_s; /* how long a deleted task's tombstone is kept */
};

/* Loads the task's state into *out (free with rem_state_cleanup) and its
 * ETag into etag. SVC_ENOTFOUND when nothing is stored; SVC_EUNPROCESSABLE
 * when what is stored is no state (logged): etag is still its ETag, so the
 * next event of the task can replace it, and it stays so until then. */
enum svc_result rem_store_get(const struct rem_store *st, const char *task_id,
			      struct rem_state *out, char etag[128], struct svc_err *err);

/* Saves s if the stored ETag is still etag, or, with etag NULL, only if
 * nothing is stored yet: SVC_ECONFLICT otherwise (read again and redo).
 * Tombstones are saved with the tombstone TTL. */
enum svc_result rem_store_put(const struct rem_store *st, const struct rem_state *s,
			      const char *etag, struct svc_err *err);

/* Puts the task in the due index at at_ms, or takes it out (at_ms ==
 * REM_NO_TIME), unless a newer task version already wrote its entry (then
 * nothing changes and SVC_OK is returned). */
enum svc_result rem_store_index(const struct rem_store *st, const char *task_id, long version,
				long long at_ms, struct svc_err *err);

/* In one atomic step: gives claims whose lease ended back to the due index,
 * then claims up to limit reminders due at or before horizon_ms, each with a
 * lease until lease_ms past its time (or past now for one already due). A
 * reminder already claimed for the same time is not claimed twice. *out
 * (caller frees with free()) receives *n claims. */
enum svc_result rem_store_claim(const struct rem_store *st, long long now_ms,
				long long horizon_ms, long lease_ms, size_t limit,
				struct rem_claim **out, size_t *n, struct svc_err *err);

/* The claim is done: it is forgotten. */
enum svc_result rem_store_done(const struct rem_store *st, const struct rem_claim *c,
			       struct svc_err *err);
/* The claim failed for now: its lease is cut to retry_at_ms, when a claim
 * pass gives it back to the due index. */
enum svc_result rem_store_retry(const struct rem_store *st, const struct rem_claim *c,
				long long retry_at_ms, struct svc_err *err);
/* Gives the claim back to the due index at once (at shutdown), so another
 * replica fires it. */
enum svc_result rem_store_release(const struct rem_store *st, const struct rem_claim *c,
				  struct svc_err *err);

#endif
