#include "limits_redis.h"

#include <stdio.h>

/* Redis caches the compiled script by its hash, so EVAL costs one parse. */
static const char script[] =
	"local out = {}\n"
	"for i, key in ipairs(KEYS) do\n"
	"  local n = redis.call('INCR', key)\n"
	"  local ttl = redis.call('PTTL', key)\n"
	"  if ttl < 0 then\n"
	"    redis.call('PEXPIRE', key, ARGV[1])\n"
	"    ttl = tonumber(ARGV[1])\n"
	"  end\n"
	"  out[2 * i - 1] = n\n"
	"  out[2 * i] = ttl\n"
	"end\n"
	"return out\n";

enum svc_result gw_rl_count(const struct svc_redis_addr *redis, const struct gw_rl_check *checks,
			    size_t n, long long *counts, long long *pttl_ms,
			    struct svc_err *err)
{
	if (n == 0)
		return SVC_OK;
	if (n > GW_RL_MAX_CHECKS)
		return svc_err_set(err, SVC_EINTERNAL, NULL, "too many rate-limit checks");
	struct svc_redis *r = svc_redis_thread(redis->host, redis->port, 1000);
	if (!r)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	char nkeys[8], window[24];
	snprintf(nkeys, sizeof nkeys, "%zu", n);
	snprintf(window, sizeof window, "%ld", GW_RL_WINDOW_MS);
	const char *argv[3 + GW_RL_MAX_CHECKS + 1] = {"EVAL", script, nkeys};
	int argc = 3;
	for (size_t i = 0; i < n; i++)
		argv[argc++] = checks[i].key;
	argv[argc++] = window;

	redisReply *rep = NULL;
	enum svc_result rc = svc_redis_argv(r, argc, argv, &rep, err);
	if (rc != SVC_OK)
		return rc;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 * n) {
		freeReplyObject(rep);
		return svc_err_set(err, SVC_EUPSTREAM, NULL, "redis: unexpected rate-limit reply");
	}
	for (size_t i = 0; i < 2 * n; i++) {
		if (rep->element[i]->type != REDIS_REPLY_INTEGER) {
			freeReplyObject(rep);
			return svc_err_set(err, SVC_EUPSTREAM, NULL,
					   "redis: unexpected rate-limit reply");
		}
	}
	for (size_t i = 0; i < n; i++) {
		counts[i] = rep->element[2 * i]->integer;
		pttl_ms[i] = rep->element[2 * i + 1]->integer;
	}
	freeReplyObject(rep);
	return SVC_OK;
}
