#include "reminder_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/log.h"
#include "svc/redis.h"

#define KEY_DUE "todo:reminders:due"
#define KEY_CLAIMED "todo:reminders:claimed"
#define KEY_INDEXED "todo:reminders:indexed"

/* KEYS: due, indexed. ARGV: task id, version, fire time ms or "" to remove.
 * Refuses a write from an older task version than the last one, so a slow
 * handler cannot undo a newer event's entry. Scripts are sent with EVAL;
 * Redis caches them by their hash. */
static const char INDEX_LUA[] =
	"local v = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')\n"
	"if tonumber(ARGV[2]) < v then return 0 end\n"
	"if ARGV[3] == '' then\n"
	"  redis.call('ZREM', KEYS[1], ARGV[1])\n"
	"  redis.call('HDEL', KEYS[2], ARGV[1])\n"
	"else\n"
	"  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])\n"
	"  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])\n"
	"end\n"
	"return 1\n";

/* KEYS: due, claimed. ARGV: now, horizon, lease ms, limit. First gives
 * expired claims back (a replica died between claim and publish), then
 * moves due members to the claimed set as "<task>|<time>" with a lease. */
static const char CLAIM_LUA[] =
	"local now, lease, limit = tonumber(ARGV[1]), tonumber(ARGV[3]), tonumber(ARGV[4])\n"
	"for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, limit)) do\n"
	"  redis.call('ZREM', KEYS[2], m)\n"
	"  local task, at = string.match(m, '^(.+)|(-?%d+)$')\n"
	"  if task then redis.call('ZADD', KEYS[1], 'NX', at, task) end\n"
	"end\n"
	"local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'WITHSCORES', 'LIMIT', 0, limit)\n"
	"local out = {}\n"
	"for i = 1, #due, 2 do\n"
	"  local task, at = due[i], tonumber(due[i + 1])\n"
	"  redis.call('ZREM', KEYS[1], task)\n"
	"  local m = task .. '|' .. string.format('%.0f', at)\n"
	"  if not redis.call('ZSCORE', KEYS[2], m) then\n"
	"    redis.call('ZADD', KEYS[2], math.max(at, now) + lease, m)\n"
	"    out[#out + 1] = m\n"
	"  end\n"
	"end\n"
	"return out\n";

/* KEYS: due, claimed. ARGV: member, task, time. */
static const char RELEASE_LUA[] =
	"if redis.call('ZREM', KEYS[2], ARGV[1]) == 1 then\n"
	"  redis.call('ZADD', KEYS[1], 'NX', ARGV[3], ARGV[2])\n"
	"end\n"
	"return 1\n";

static struct svc_redis *redis(const struct rem_store *st, struct svc_err *err)
{
	struct svc_redis *r = svc_redis_thread(st->redis_host, st->redis_port,
					       st->redis_timeout_ms);
	if (!r)
		svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	return r;
}

static void state_key(const char *task_id, char out[64])
{
	snprintf(out, 64, "reminder:%s", task_id);
}

enum svc_result rem_store_get(const struct rem_store *st, const char *task_id,
			      struct rem_state *out, char etag[128], struct svc_err *err)
{
	char key[64];
	char *value = NULL;
	state_key(task_id, key);
	memset(out, 0, sizeof *out);
	enum svc_result r = svc_dapr_state_get(st->dapr, st->state_store, key, &value, etag, err);
	if (r != SVC_OK)
		return r;
	r = rem_state_decode(value, strlen(value), out, err);
	free(value);
	if (r != SVC_OK) {
		svc_error(task_id, "stored reminder state is unreadable: %s", err ? err->message : "");
		return svc_err_set(err, SVC_EUNPROCESSABLE, NULL,
				   "stored reminder state is unreadable");
	}
	return SVC_OK;
}

enum svc_result rem_store_put(const struct rem_store *st, const struct rem_state *s,
			      const char *etag, struct svc_err *err)
{
	char key[64];
	state_key(s->task_id, key);
	char *value = rem_state_encode(s);
	if (!value)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	/* state.redis numbers versions from 1: the ETag "0" writes only a key
	 * that does not exist yet. */
	enum svc_result r = svc_dapr_state_save_ttl(st->dapr, st->state_store, key, value,
						    etag ? etag : "0",
						    s->deleted ? st->tombstone_ttl_s : 0, err);
	free(value);
	return r;
}

enum svc_result rem_store_index(const struct rem_store *st, const char *task_id, long version,
				long long at_ms, struct svc_err *err)
{
	struct svc_redis *r = redis(st, err);
	if (!r)
		return SVC_ENOMEM;
	char ver[24], at[24] = "";
	snprintf(ver, sizeof ver, "%ld", version);
	if (at_ms != REM_NO_TIME)
		snprintf(at, sizeof at, "%lld", at_ms);
	const char *argv[] = {"EVAL", INDEX_LUA, "2", KEY_DUE, KEY_INDEXED, task_id, ver, at};
	return svc_redis_argv(r, 8, argv, NULL, err);
}

enum svc_result rem_store_claim(const struct rem_store *st, long long now_ms,
				long long horizon_ms, long lease_ms, size_t limit,
				struct rem_claim **out, size_t *n, struct svc_err *err)
{
	*out = NULL;
	*n = 0;
	struct svc_redis *r = redis(st, err);
	if (!r)
		return SVC_ENOMEM;
	char now[24], horizon[24], lease[24], lim[24];
	snprintf(now, sizeof now, "%lld", now_ms);
	snprintf(horizon, sizeof horizon, "%lld", horizon_ms);
	snprintf(lease, sizeof lease, "%ld", lease_ms);
	snprintf(lim, sizeof lim, "%zu", limit);
	const char *argv[] = {"EVAL", CLAIM_LUA, "2", KEY_DUE, KEY_CLAIMED,
			      now,    horizon,   lease, lim};
	redisReply *rep = NULL;
	enum svc_result rc = svc_redis_argv(r, 9, argv, &rep, err);
	if (rc != SVC_OK)
		return rc;
	if (rep->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(rep);
		return svc_err_set(err, SVC_EUPSTREAM, NULL, "claim: unexpected reply from redis");
	}
	if (rep->elements) {
		*out = calloc(rep->elements, sizeof **out);
		if (!*out) {
			/* The claims stay leased and come back when the lease ends. */
			freeReplyObject(rep);
			return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
		}
	}
	for (size_t i = 0; i < rep->elements; i++) {
		const redisReply *m = rep->element[i];
		if (m->type != REDIS_REPLY_STRING || rem_claim_parse(m->str, &(*out)[*n]) != 0) {
			/* Not ours: nothing can fire it, so do not keep it. */
			svc_warn(NULL, "dropping malformed due index member %.80s",
				 m->type == REDIS_REPLY_STRING ? m->str : "?");
			const char *del[] = {"ZREM", KEY_CLAIMED, m->str ? m->str : ""};
			svc_redis_argv(r, 3, del, NULL, NULL);
			continue;
		}
		(*n)++;
	}
	freeReplyObject(rep);
	return SVC_OK;
}

enum svc_result rem_store_done(const struct rem_store *st, const struct rem_claim *c,
			       struct svc_err *err)
{
	struct svc_redis *r = redis(st, err);
	if (!r)
		return SVC_ENOMEM;
	const char *argv[] = {"ZREM", KEY_CLAIMED, c->member};
	return svc_redis_argv(r, 3, argv, NULL, err);
}

enum svc_result rem_store_retry(const struct rem_store *st, const struct rem_claim *c,
				long long retry_at_ms, struct svc_err *err)
{
	struct svc_redis *r = redis(st, err);
	if (!r)
		return SVC_ENOMEM;
	char at[24];
	snprintf(at, sizeof at, "%lld", retry_at_ms);
	const char *argv[] = {"ZADD", KEY_CLAIMED, "XX", at, c->member};
	return svc_redis_argv(r, 5, argv, NULL, err);
}

enum svc_result rem_store_release(const struct rem_store *st, const struct rem_claim *c,
				  struct svc_err *err)
{
	struct svc_redis *r = redis(st, err);
	if (!r)
		return SVC_ENOMEM;
	char at[24];
	snprintf(at, sizeof at, "%lld", c->at_ms);
	const char *argv[] = {"EVAL",    RELEASE_LUA, "2", KEY_DUE, KEY_CLAIMED,
			      c->member, c->task_id,  at};
	return svc_redis_argv(r, 8, argv, NULL, err);
}
