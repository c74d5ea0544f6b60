/* JWT access and service tokens: HS256 only, issuer "todo", with expiry. */
#ifndef SVC_JWT_H
#define SVC_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "svc/result.h"

#define SVC_JWT_ISSUER "todo"

struct svc_claims {
	char sub[64];  /* user id, or the calling service's name */
	char typ[16];  /* "access" or "service" */
	/* Space-separated scopes ("tasks:read mcp"), as OAuth's "scope"
	 * claim: set on the short-lived tokens the gateway swaps a personal
	 * API token for; "" on a login's tokens, which may do anything. */
	char scope[160];
	time_t iat;
	time_t exp;
};

/* Signs claims with key. *out is malloc'd; caller frees with free(). */
enum svc_result svc_jwt_sign(const unsigned char *key, size_t keylen,
			     const struct svc_claims *c, char **out);

/* Verifies signature (HS256 only: "none" and every other alg are refused),
 * issuer, expiry against now, and that typ equals want_typ. On success fills
 * *out. Every failure is SVC_EAUTH with a reason in err. */
enum svc_result svc_jwt_verify(const unsigned char *key, size_t keylen,
			       const char *token, time_t now, const char *want_typ,
			       struct svc_claims *out, struct svc_err *err);

/* True when c may act within scope: c carries no scopes (a login's
 * token), or scope is one of its space-separated words. */
bool svc_claims_allow(const struct svc_claims *c, const char *scope);

#endif
