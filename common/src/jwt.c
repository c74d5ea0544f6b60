#include "svc/jwt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jwt.h>

enum svc_result svc_jwt_sign(const unsigned char *key, size_t keylen,
			     const struct svc_claims *c, char **out)
{
	*out = NULL;
	jwt_t *jwt = NULL;
	if (jwt_new(&jwt) != 0)
		return SVC_ENOMEM;
	enum svc_result r = SVC_EINTERNAL;
	if (jwt_set_alg(jwt, JWT_ALG_HS256, key, (int)keylen) != 0 ||
	    jwt_add_grant(jwt, "iss", SVC_JWT_ISSUER) != 0 ||
	    jwt_add_grant(jwt, "sub", c->sub) != 0 ||
	    jwt_add_grant(jwt, "typ", c->typ) != 0 ||
	    jwt_add_grant_int(jwt, "iat", (long)c->iat) != 0 ||
	    jwt_add_grant_int(jwt, "exp", (long)c->exp) != 0 ||
	    (c->scope[0] && jwt_add_grant(jwt, "scope", c->scope) != 0))
		goto out;
	*out = jwt_encode_str(jwt);
	r = *out ? SVC_OK : SVC_ENOMEM;
out:
	jwt_free(jwt);
	return r;
}

enum svc_result svc_jwt_verify(const unsigned char *key, size_t keylen,
			       const char *token, time_t now, const char *want_typ,
			       struct svc_claims *out, struct svc_err *err)
{
	memset(out, 0, sizeof *out);
	if (!token || !*token || strlen(token) > 4096)
		return svc_err_set(err, SVC_EAUTH, NULL, "missing or oversized token");
	/* Only HS256 is ours: a token whose header names "none" or any other
	 * algorithm is refused even if the library would accept it. */
	jwt_t *jwt = NULL;
	if (jwt_decode(&jwt, token, key, (int)keylen) != 0 || !jwt)
		return svc_err_set(err, SVC_EAUTH, NULL, "invalid token");
	enum svc_result r = SVC_EAUTH;
	if (jwt_get_alg(jwt) != JWT_ALG_HS256) {
		svc_err_set(err, SVC_EAUTH, NULL, "token algorithm not accepted");
		goto out;
	}
	const char *iss = jwt_get_grant(jwt, "iss");
	const char *sub = jwt_get_grant(jwt, "sub");
	const char *typ = jwt_get_grant(jwt, "typ");
	long exp = jwt_get_grant_int(jwt, "exp");
	long iat = jwt_get_grant_int(jwt, "iat");
	const char *scope = jwt_get_grant(jwt, "scope");
	if (!iss || strcmp(iss, SVC_JWT_ISSUER) != 0 || !sub || !*sub ||
	    strlen(sub) >= sizeof out->sub || !typ || strlen(typ) >= sizeof out->typ ||
	    (scope && strlen(scope) >= sizeof out->scope)) {
		svc_err_set(err, SVC_EAUTH, NULL, "token claims not accepted");
		goto out;
	}
	if (exp <= 0 || (time_t)exp <= now) {
		svc_err_set(err, SVC_EAUTH, NULL, "token expired");
		goto out;
	}
	if (want_typ && strcmp(typ, want_typ) != 0) {
		svc_err_set(err, SVC_EAUTH, NULL, "wrong kind of token");
		goto out;
	}
	snprintf(out->sub, sizeof out->sub, "%s", sub);
	snprintf(out->typ, sizeof out->typ, "%s", typ);
	snprintf(out->scope, sizeof out->scope, "%s", scope ? scope : "");
	out->exp = (time_t)exp;
	out->iat = (time_t)iat;
	r = SVC_OK;
out:
	jwt_free(jwt);
	return r;
}

bool svc_claims_allow(const struct svc_claims *c, const char *scope)
{
	if (!c->scope[0])
		return true;
	size_t n = strlen(scope);
	for (const char *p = c->scope; *p;) {
		size_t w = strcspn(p, " ");
		if (w == n && strncmp(p, scope, n) == 0)
			return true;
		p += w;
		p += strspn(p, " ");
	}
	return false;
}
