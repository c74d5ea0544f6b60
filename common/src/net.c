#include "svc/net.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "svc/util.h"

struct svc_net {
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

/* One address or CIDR block (n chars of tok) into *net; 0 or -1. */
static int parse_net(const char *tok, size_t n, struct svc_net *net)
{
	const char *slash = memchr(tok, '/', n);
	size_t alen = slash ? (size_t)(slash - tok) : n;
	memset(net, 0, sizeof *net);
	net->family = parse_addr(tok, alen, net->addr);
	int max = net->family == AF_INET ? 32 : 128;
	long bits = max;
	char bitstr[8] = "";
	if (slash && (size_t)(tok + n - slash - 1) < sizeof bitstr) {
		memcpy(bitstr, slash + 1, (size_t)(tok + n - slash - 1));
		bitstr[tok + n - slash - 1] = '\0';
	}
	if (!net->family || (slash && svc_parse_long(bitstr, 0, max, &bits) != 0))
		return -1;
	net->bits = (int)bits;
	return 0;
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

int svc_nets_parse(const char *list, struct svc_nets *out, char *err, size_t errlen)
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
		struct svc_net net;
		if (parse_net(tok, n, &net) != 0) {
			snprintf(err, errlen, "\"%.*s\" is not an IP address or CIDR block", (int)n,
				 tok);
			svc_nets_cleanup(out);
			return -1;
		}
		struct svc_net *v = realloc(out->v, (out->n + 1) * sizeof *v);
		if (!v) {
			snprintf(err, errlen, "out of memory");
			svc_nets_cleanup(out);
			return -1;
		}
		out->v = v;
		out->v[out->n++] = net;
	}
	return 0;
}

void svc_nets_cleanup(struct svc_nets *s)
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

static bool in_net(const struct svc_net *net, int family, const unsigned char *a)
{
	return net->family == family && prefix_equal(a, net->addr, net->bits);
}

bool svc_nets_contains(const struct svc_nets *s, const char *addr)
{
	unsigned char a[16];
	int family = parse_addr(addr, strlen(addr), a);
	for (size_t i = 0; family && i < s->n; i++)
		if (in_net(&s->v[i], family, a))
			return true;
	return false;
}

bool svc_addr_canonical(const char *s, size_t n, char *out, size_t outlen)
{
	unsigned char a[16];
	s = trim(s, s + n, &n);
	int family = parse_addr(s, n, a);
	return family && inet_ntop(family, a, out, (socklen_t)outlen) != NULL;
}

/* The IANA special-purpose registries (IPv4 and IPv6), most specific first
 * where blocks nest. */
static const struct {
	const char *cidr;
	const char *why;
} special[] = {
	{"0.0.0.0/8", "unspecified"},
	{"10.0.0.0/8", "private"},
	{"100.64.0.0/10", "shared address space"},
	{"127.0.0.0/8", "loopback"},
	{"169.254.0.0/16", "link-local"},
	{"172.16.0.0/12", "private"},
	{"192.0.0.0/24", "reserved"},
	{"192.0.2.0/24", "documentation"},
	{"192.88.99.0/24", "reserved"},
	{"192.168.0.0/16", "private"},
	{"198.18.0.0/15", "benchmarking"},
	{"198.51.100.0/24", "documentation"},
	{"203.0.113.0/24", "documentation"},
	{"224.0.0.0/4", "multicast"},
	{"240.0.0.0/4", "reserved"},
	{"::/128", "unspecified"},
	{"::1/128", "loopback"},
	{"::/8", "reserved"},
	{"64:ff9b::/96", "reserved"},
	{"64:ff9b:1::/48", "reserved"},
	{"100::/64", "reserved"},
	{"2001:db8::/32", "documentation"},
	{"2001::/23", "reserved"},
	{"2002::/16", "reserved"},
	{"3fff::/20", "documentation"},
	{"fc00::/7", "private"},
	{"fe80::/10", "link-local"},
	{"fec0::/10", "reserved"},
	{"ff00::/8", "multicast"},
};
#define NSPECIAL (sizeof special / sizeof special[0])

static struct svc_net special_nets[NSPECIAL];
static pthread_once_t special_once = PTHREAD_ONCE_INIT;

static void special_init(void)
{
	for (size_t i = 0; i < NSPECIAL; i++)
		parse_net(special[i].cidr, strlen(special[i].cidr), &special_nets[i]);
}

const char *svc_addr_special(const char *addr)
{
	pthread_once(&special_once, special_init);
	unsigned char a[16];
	int family = parse_addr(addr, strlen(addr), a);
	if (!family)
		return "not an IP address";
	for (size_t i = 0; i < NSPECIAL; i++)
		if (in_net(&special_nets[i], family, a))
			return special[i].why;
	return NULL;
}
