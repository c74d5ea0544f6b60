/* Rate-limit rules, no I/O: who the client is, which counters a request
 * counts against, and what a counter's state means. The counters are Redis
 * fixed windows of one minute (limits_redis.c does the I/O). */
#ifndef GW_RATELIMIT_H
#define GW_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>

#include "svc/net.h"

#define GW_RL_WINDOW_MS 60000L
#define GW_RL_KEY_PREFIX "todo:rl:"

/* The client's address, in canonical text form, into out (>= 46 bytes):
 * the peer's, or the last X-Forwarded-For hop (xff may be NULL) when the
 * peer is a trusted proxy and that hop is a valid address. */
void gw_client_addr(const struct svc_nets *trusted, const char *peer, const char *xff,
		    char *out, size_t n);

/* Requests per minute; 0 turns a limit off. */
struct gw_rl_limits {
	long addr; /* per client address, every /api request */
	long auth; /* per client address, on register, login and refresh */
	long user; /* per user, on requests with a valid access token */
};

struct gw_rl_check {
	char key[160];
	long limit;
	const char *name; /* "address", "sign-in" or "user": static */
};

#define GW_RL_MAX_CHECKS 3

/* The counters a request to path counts against: client is its address,
 * user the token's subject or NULL. Fills out and returns how many. */
size_t gw_rl_checks(const struct gw_rl_limits *l, const char *path, const char *client,
		    const char *user, struct gw_rl_check out[GW_RL_MAX_CHECKS]);

/* Seconds a client over a limit waits, from the window's remaining time in
 * milliseconds (Redis PTTL): rounded up, at least 1. */
long gw_rl_retry_after(long long pttl_ms);

#endif
