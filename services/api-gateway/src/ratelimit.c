#include "ratelimit.h"

#include <stdio.h>
#include <string.h>

void gw_client_addr(const struct svc_nets *trusted, const char *peer, const char *xff,
		    char *out, size_t n)
{
	if (xff && svc_nets_contains(trusted, peer)) {
		const char *last = strrchr(xff, ',');
		last = last ? last + 1 : xff;
		if (svc_addr_canonical(last, strlen(last), out, n))
			return;
	}
	if (!svc_addr_canonical(peer, strlen(peer), out, n))
		snprintf(out, n, "%s", peer);
}

static bool is_auth_path(const char *path)
{
	static const char *const paths[] = {"/api/auth/register", "/api/auth/login",
					    "/api/auth/refresh"};
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
		if (strcmp(path, paths[i]) == 0)
			return true;
	return false;
}

static size_t add(struct gw_rl_check *out, size_t n, long limit, const char *kind,
		  const char *name, const char *who)
{
	if (limit <= 0)
		return n;
	snprintf(out[n].key, sizeof out[n].key, GW_RL_KEY_PREFIX "%s:%s", kind, who);
	out[n].limit = limit;
	out[n].name = name;
	return n + 1;
}

size_t gw_rl_checks(const struct gw_rl_limits *l, const char *path, const char *client,
		    const char *user, struct gw_rl_check out[GW_RL_MAX_CHECKS])
{
	size_t n = add(out, 0, l->addr, "addr", "address", client);
	if (is_auth_path(path))
		n = add(out, n, l->auth, "auth", "sign-in", client);
	if (user && *user)
		n = add(out, n, l->user, "user", "user", user);
	return n;
}

long gw_rl_retry_after(long long pttl_ms)
{
	if (pttl_ms <= 0)
		return 1;
	return (long)((pttl_ms + 999) / 1000);
}
