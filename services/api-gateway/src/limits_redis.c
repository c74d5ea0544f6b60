#include "limits_redis.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/log.h"
#include "svc/util.h"

/* KEYS: the windows; ARGV[1]: a new window's length in ms; ARGV[1 + i]:
 * what to add to KEYS[i]. Redis caches the compiled script by its hash. */
static const char script[] =
	"local out = {}\n"
	"for i, key in ipairs(KEYS) do\n"
	"  local n = redis.call('INCRBY', key, tonumber(ARGV[i + 1]))\n"
	"  local ttl = redis.call('PTTL', key)\n"
	"  if ttl < 0 then\n"
	"    redis.call('PEXPIRE', key, ARGV[1])\n"
	"    ttl = tonumber(ARGV[1])\n"
	"  end\n"
	"  out[2 * i - 1] = n\n"
	"  out[2 * i] = ttl\n"
	"end\n"
	"return out\n";

#define FLUSH_KEYS 64

/* One EVAL on its way: what its answer is for. */
struct call {
	struct gw_rl_table *table;
	size_t n;
	char (*keys)[160];
	long long *incs;
	bool flush; /* sent by gw_rl_flush: incs are the table's sending */
	gw_rl_done_fn done;
	void *arg;
};

static void call_free(struct call *c)
{
	free(c->keys);
	free(c->incs);
	free(c);
}

static void on_reply(void *arg, enum svc_result r, const redisReply *rep,
		     const struct svc_err *err)
{
	struct call *c = arg;
	long long counts[FLUSH_KEYS] = {0}, pttl[FLUSH_KEYS] = {0};
	struct svc_err e = {0};
	if (r == SVC_OK) {
		bool ok = rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 * c->n;
		for (size_t i = 0; ok && i < 2 * c->n; i++)
			ok = rep->element[i]->type == REDIS_REPLY_INTEGER;
		if (ok) {
			for (size_t i = 0; i < c->n; i++) {
				counts[i] = rep->element[2 * i]->integer;
				pttl[i] = rep->element[2 * i + 1]->integer;
			}
		} else {
			r = svc_err_set(&e, SVC_EUPSTREAM, NULL, "redis: unexpected rate-limit reply");
			err = &e;
		}
	}
	long long now = svc_now_ms();
	for (size_t i = 0; c->table && i < c->n; i++) {
		if (r == SVC_OK)
			gw_rl_table_learn(c->table, c->keys[i], counts[i], pttl[i],
					  c->flush ? c->incs[i] : 0, now);
		else if (c->flush)
			gw_rl_table_give_back(c->table, c->keys[i], c->incs[i]);
	}
	if (c->flush && r != SVC_OK)
		svc_warn(NULL, "rate-limit counts wait for the next flush: %s", err->message);
	if (c->done)
		c->done(c->arg, r, counts, pttl, err);
	call_free(c);
}

/* One EVAL of n keys with their increments; c is taken over. */
static int eval(struct svc_redis_async *redis, struct call *c, struct svc_err *err)
{
	char nkeys[8], window[24];
	snprintf(nkeys, sizeof nkeys, "%zu", c->n);
	snprintf(window, sizeof window, "%ld", GW_RL_WINDOW_MS);
	size_t argc = 4 + 2 * c->n;
	const char **argv = calloc(argc, sizeof *argv);
	size_t *lens = calloc(argc, sizeof *lens);
	char (*incs)[24] = calloc(c->n, sizeof *incs);
	int rc = -1;
	if (!argv || !lens || !incs) {
		svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
		goto out;
	}
	size_t k = 0;
	argv[k++] = "EVAL";
	argv[k++] = script;
	argv[k++] = nkeys;
	for (size_t i = 0; i < c->n; i++)
		argv[k++] = c->keys[i];
	argv[k++] = window;
	for (size_t i = 0; i < c->n; i++) {
		snprintf(incs[i], sizeof incs[i], "%lld", c->incs[i]);
		argv[k++] = incs[i];
	}
	for (size_t i = 0; i < k; i++)
		lens[i] = strlen(argv[i]);
	rc = svc_redis_async_argv(redis, (int)k, argv, lens, on_reply, c, err);
out:
	free(argv);
	free(lens);
	free(incs);
	if (rc != 0)
		call_free(c);
	return rc;
}

static struct call *call_new(size_t n)
{
	struct call *c = calloc(1, sizeof *c);
	if (c) {
		c->keys = calloc(n, sizeof *c->keys);
		c->incs = calloc(n, sizeof *c->incs);
		c->n = n;
	}
	if (c && (!c->keys || !c->incs)) {
		call_free(c);
		c = NULL;
	}
	return c;
}

int gw_rl_count(struct svc_redis_async *redis, struct gw_rl_table *table,
		const struct gw_rl_check *checks, size_t n, gw_rl_done_fn done, void *arg,
		struct svc_err *err)
{
	if (n == 0 || n > GW_RL_MAX_CHECKS) {
		svc_err_set(err, SVC_EINTERNAL, NULL, "bad number of rate-limit checks");
		return -1;
	}
	struct call *c = call_new(n);
	if (!c) {
		svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
		return -1;
	}
	c->table = table;
	c->done = done;
	c->arg = arg;
	for (size_t i = 0; i < n; i++) {
		snprintf(c->keys[i], sizeof c->keys[i], "%s", checks[i].key);
		c->incs[i] = 1;
	}
	return eval(redis, c, err);
}

size_t gw_rl_flush(struct svc_redis_async *redis, struct gw_rl_table *table, long long now_ms)
{
	size_t sent = 0;
	for (;;) {
		struct gw_rl_send batch[FLUSH_KEYS];
		size_t n = gw_rl_table_take(table, now_ms, batch, FLUSH_KEYS);
		if (n == 0)
			break;
		struct call *c = call_new(n);
		struct svc_err err = {0};
		if (!c) {
			for (size_t i = 0; i < n; i++)
				gw_rl_table_give_back(table, batch[i].key, batch[i].n);
			break;
		}
		c->table = table;
		c->flush = true;
		for (size_t i = 0; i < n; i++) {
			snprintf(c->keys[i], sizeof c->keys[i], "%s", batch[i].key);
			c->incs[i] = batch[i].n;
		}
		if (eval(redis, c, &err) != 0) {
			/* Not sent: back to pending, for the next flush. */
			for (size_t i = 0; i < n; i++)
				gw_rl_table_give_back(table, batch[i].key, batch[i].n);
			break;
		}
		sent += n;
		if (n < FLUSH_KEYS)
			break;
	}
	return sent;
}
