/* The rate-limit counters in Redis: fixed one-minute windows, counted on
 * the gateway's asynchronous Redis connection (svc_redis_async) so that a
 * request never waits on a thread for them, and mostly not at all: the
 * table (ratecount.h) decides what it knows and sends its counts in
 * batches. */
#ifndef GW_LIMITS_REDIS_H
#define GW_LIMITS_REDIS_H

#include <stddef.h>

#include "ratecount.h"
#include "ratelimit.h"
#include "svc/redis.h"
#include "svc/result.h"

/* The counts of a request's checks, once Redis answered: on SVC_OK
 * counts[i] is the window's count so far, this request included, and
 * pttl_ms[i] the window's remaining time; otherwise err says why (a down
 * or silent Redis, a bad answer). Loop thread. */
typedef void (*gw_rl_done_fn)(void *arg, enum svc_result r, const long long *counts,
			      const long long *pttl_ms, const struct svc_err *err);

/* Counts one request against each of the n checks' windows in one atomic
 * step (a Lua script: INCRBY, and PEXPIRE when the window is new), and
 * teaches table (may be NULL) what Redis answered. done runs once, later;
 * or the call returns -1 with err set (Redis not connected) and done does
 * not run. */
int gw_rl_count(struct svc_redis_async *redis, struct gw_rl_table *table,
		const struct gw_rl_check *checks, size_t n, gw_rl_done_fn done, void *arg,
		struct svc_err *err);

/* Sends the table's pending counts (in batches of at most 64 keys) and
 * learns the windows' counts back. A failed batch's counts wait for the
 * next flush. Returns how many keys were sent. */
size_t gw_rl_flush(struct svc_redis_async *redis, struct gw_rl_table *table, long long now_ms);

#endif
