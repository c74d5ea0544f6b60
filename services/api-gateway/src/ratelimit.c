#include "ratelimit.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "svc/util.h"

struct gw_net {
	int family;
	unsigned char addr[16];
	int bits;
};

/* Parses textual IPv4 or IPv6 (n chars of s). An IPv4-mapped IPv6 address
 * counts as the IPv4 one. Returns the family, or 0 when s is no address. */
static int parse_addr(const char *s, size_t n, unsigned char out[16])
{
	char buf[INET6_ADDRSTRLEN];
	if (n == 0 || n >= sizeof buf)
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, out) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, buf, out) != 1)
		return 0;
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (memcmp(out, mapped, sizeof mapped) == 0) {
		memmove(out, out + 12, 4);
		return AF_INET;
	}
	return AF_INET6;
}

static const char *trim(const char *s, const char *end, size_t *n)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*n = (size_t)(end - s);
	return s;
}

int gw_nets_parse(const char *list, struct gw_nets *out, char *err, size_t errlen)
{
	out->v = NULL;
	out->n = 0;
	for (const char *p = list; p && *p;) {
		const char *end = strchrnul(p, ',');
		size_t n;
		const char *tok = trim(p, end, &n);
		p = *end ? end + 1 : end;
		if (n == 0)
			continue;
		const char *slash = memchr(tok, '/', n);
		size_t alen = slash ? (size_t)(slash - tok) : n;
		struct gw_net net = {0};
		net.family = parse_addr(tok, alen, net.addr);
		int max = net.family == AF_INET ? 32 : 128;
		long bits = max;
		char bitstr[8] = "";
		if (slash && (size_t)(tok + n - slash - 1) < sizeof bitstr) {
			memcpy(bitstr, slash + 1, (size_t)(tok + n - slash - 1));
			bitstr[tok + n - slash - 1] = '\0';
		}
		if (!net.family || (slash && svc_parse_long(bitstr, 0, max, &bits) != 0)) {
			snprintf(err, errlen, "\"%.*s\" is not an IP address or CIDR block", (int)n,
				 tok);
			gw_nets_cleanup(out);
			return -1;
		}
		net.bits = (int)bits;
		struct gw_net *v = realloc(out->v, (out->n + 1) * sizeof *v);
		if (!v) {
			snprintf(err, errlen, "out of memory");
			gw_nets_cleanup(out);
			return -1;
		}
		out->v = v;
		out->v[out->n++] = net;
	}
	return 0;
}

void gw_nets_cleanup(struct gw_nets *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static bool prefix_equal(const unsigned char *a, const unsigned char *b, int bits)
{
	int whole = bits / 8, rest = bits % 8;
	if (memcmp(a, b, (size_t)whole) != 0)
		return false;
	if (rest == 0)
		return true;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

bool gw_nets_contains(const struct gw_nets *s, const char *addr)
{
	unsigned char a[16];
	int family = parse_addr(addr, strlen(addr), a);
	for (size_t i = 0; family && i < s->n; i++)
		if (s->v[i].family == family && prefix_equal(a, s->v[i].addr, s->v[i].bits))
			return true;
	return false;
}

/* Writes the canonical text of s (n chars) to out; false when s is no
 * address. */
static bool canonical(const char *s, size_t n, char *out, size_t outlen)
{
	unsigned char a[16];
	int family = parse_addr(s, n, a);
	return family && inet_ntop(family, a, out, (socklen_t)outlen) != NULL;
}

void gw_client_addr(const struct gw_nets *trusted, const char *peer, const char *xff,
		    char *out, size_t n)
{
	if (xff && gw_nets_contains(trusted, peer)) {
		const char *last = strrchr(xff, ',');
		last = last ? last + 1 : xff;
		size_t len;
		const char *hop = trim(last, last + strlen(last), &len);
		if (canonical(hop, len, out, n))
			return;
	}
	if (!canonical(peer, strlen(peer), out, n))
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
