/* The rate-limit counters in Redis: fixed one-minute windows. */
#ifndef GW_LIMITS_REDIS_H
#define GW_LIMITS_REDIS_H

#include <stddef.h>

#include "ratelimit.h"
#include "svc/redis.h"
#include "svc/result.h"

/* Counts one request against each of the n checks' windows in one atomic
 * step (a Lua script: INCR, and PEXPIRE when the window is new), on this
 * thread's Redis handle. On SVC_OK counts[i] is the window's count so far,
 * this request included, and pttl_ms[i] the window's remaining time. A down
 * Redis is SVC_EUNAVAIL, a bad answer SVC_EUPSTREAM; err says which. */
enum svc_result gw_rl_count(const struct svc_redis_addr *redis, const struct gw_rl_check *checks,
			    size_t n, long long *counts, long long *pttl_ms,
			    struct svc_err *err);

#endif
