/* IP addresses and sets of networks, no I/O: allow-lists of addresses or
 * CIDR blocks (IPv4 and IPv6), canonical address text, and the
 * special-purpose networks (loopback, private, link-local, ...) that a
 * target on the public internet never lies in. */
#ifndef SVC_NET_H
#define SVC_NET_H

#include <stdbool.h>
#include <stddef.h>

struct svc_net;

/* A set of networks. */
struct svc_nets {
	struct svc_net *v;
	size_t n;
};

/* Parses a comma list such as "127.0.0.1, 10.0.0.0/8, ::1"; empty or NULL
 * is the empty set. Returns 0, or -1 with why in err (out left empty).
 * Free with svc_nets_cleanup. */
int svc_nets_parse(const char *list, struct svc_nets *out, char *err, size_t errlen);
void svc_nets_cleanup(struct svc_nets *s);
/* True when addr (textual IPv4 or IPv6; an IPv4-mapped IPv6 address counts
 * as its IPv4 one) lies in one of the networks. False for non-addresses. */
bool svc_nets_contains(const struct svc_nets *s, const char *addr);

/* Writes the canonical text of the address in s[0..n), spaces and tabs
 * around it ignored, to out (>= 46 bytes for any address); false when it
 * is no address. */
bool svc_addr_canonical(const char *s, size_t n, char *out, size_t outlen);

/* Why addr is not a public unicast address: "unspecified", "loopback",
 * "private", "shared address space", "link-local", "multicast",
 * "documentation", "benchmarking", "reserved" or "not an IP address"
 * (static strings); NULL when it is one. IPv4-mapped IPv6 addresses are
 * judged as their IPv4 one; NAT64 (64:ff9b::/96) and other translated
 * forms count as reserved, since they may hide a private IPv4 one. */
const char *svc_addr_special(const char *addr);

#endif
