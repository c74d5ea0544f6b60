/* What the gateway knows of its rate-limit windows, no I/O: for each key,
 * the count Redis last told (this process's requests included), the
 * requests counted here since (pending: not sent yet), those on their way
 * to Redis (sending), and when the window ends. A request whose keys are
 * all known is decided here, without waiting for Redis; the pending counts
 * go to Redis in batches (limits_redis.c), and each answer brings back the
 * other replicas' counts. A key seen for the first time, or whose window
 * ended, is counted in Redis on the request's way.
 *
 * So one replica counts exactly, and several replicas see each other's
 * requests at most one flush late (GW_RL_FLUSH_MS): a client spread over
 * n replicas may pass a limit by what n-1 of them admit in that time.
 *
 * Loop thread only. */
#ifndef GW_RATECOUNT_H
#define GW_RATECOUNT_H

#include <stdbool.h>
#include <stddef.h>

#define GW_RL_FLUSH_MS 100

struct gw_rl_table;

/* A table of at most max_keys windows. NULL on OOM. */
struct gw_rl_table *gw_rl_table_new(size_t max_keys);
void gw_rl_table_free(struct gw_rl_table *t);

/* True when key's window is known and still open at now_ms. */
bool gw_rl_table_known(const struct gw_rl_table *t, const char *key, long long now_ms);

/* Counts one request against key's known window (check with
 * gw_rl_table_known first): *total is what the window holds with it,
 * *left_ms the time until it ends. */
void gw_rl_table_count(struct gw_rl_table *t, const char *key, long long now_ms,
		       long long *total, long long *left_ms);

/* Redis' answer for key: the window's count (everything sent so far
 * included) and its remaining time; sent: the increments of a flush this
 * answer covers (0 for a request counted on its way). Makes the key known;
 * a full table leaves a new key out (it is counted in Redis next time). */
void gw_rl_table_learn(struct gw_rl_table *t, const char *key, long long count,
		       long long pttl_ms, long long sent, long long now_ms);

struct gw_rl_send {
	const char *key; /* borrowed until learn or give_back for it */
	long long n;
};

/* Moves the pending counts of up to max keys to sending, into out; returns
 * how many. Counts of a window that ended by now_ms are dropped: they
 * belong to a window Redis has forgotten. */
size_t gw_rl_table_take(struct gw_rl_table *t, long long now_ms, struct gw_rl_send *out,
			size_t max);
/* A flush that failed: its counts go back to pending. */
void gw_rl_table_give_back(struct gw_rl_table *t, const char *key, long long n);

/* Drops windows that ended with nothing pending or on its way. Returns
 * how many keys remain. */
size_t gw_rl_table_sweep(struct gw_rl_table *t, long long now_ms);

#endif
