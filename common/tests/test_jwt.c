#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "svc/jwt.h"

static const unsigned char key[] = "0123456789abcdef0123456789abcdef";
#define KEYLEN (sizeof key - 1)

static char *sign(const char *typ, time_t iat, time_t exp)
{
	struct svc_claims c = {.iat = iat, .exp = exp};
	snprintf(c.sub, sizeof c.sub, "%s", "user-1");
	snprintf(c.typ, sizeof c.typ, "%s", typ);
	char *tok = NULL;
	assert_int_equal(svc_jwt_sign(key, KEYLEN, &c, &tok), SVC_OK);
	return tok;
}

static void round_trip(void **state)
{
	(void)state;
	char *tok = sign("access", 1000, 2000);
	struct svc_claims out;
	struct svc_err e = {0};
	assert_int_equal(svc_jwt_verify(key, KEYLEN, tok, 1500, "access", &out, &e), SVC_OK);
	assert_string_equal(out.sub, "user-1");
	assert_string_equal(out.typ, "access");
	assert_int_equal(out.exp, 2000);
	free(tok);
}

static void scopes_travel_and_bound(void **state)
{
	(void)state;
	struct svc_claims c = {.iat = 1000, .exp = 2000};
	snprintf(c.sub, sizeof c.sub, "%s", "user-1");
	snprintf(c.typ, sizeof c.typ, "%s", "access");
	snprintf(c.scope, sizeof c.scope, "%s", "tasks:read mcp");
	char *tok = NULL;
	assert_int_equal(svc_jwt_sign(key, KEYLEN, &c, &tok), SVC_OK);
	struct svc_claims out;
	struct svc_err e = {0};
	assert_int_equal(svc_jwt_verify(key, KEYLEN, tok, 1500, "access", &out, &e), SVC_OK);
	assert_string_equal(out.scope, "tasks:read mcp");
	assert_true(svc_claims_allow(&out, "mcp"));
	assert_true(svc_claims_allow(&out, "tasks:read"));
	assert_false(svc_claims_allow(&out, "tasks:write"));
	assert_false(svc_claims_allow(&out, "tasks"));
	free(tok);
	/* A login's token carries none and may do anything. */
	tok = sign("access", 1000, 2000);
	assert_int_equal(svc_jwt_verify(key, KEYLEN, tok, 1500, "access", &out, &e), SVC_OK);
	assert_string_equal(out.scope, "");
	assert_true(svc_claims_allow(&out, "tasks:write"));
	free(tok);
}

static void expired_and_wrong_type(void **state)
{
	(void)state;
	char *tok = sign("access", 1000, 2000);
	struct svc_claims out;
	struct svc_err e = {0};
	assert_int_equal(svc_jwt_verify(key, KEYLEN, tok, 2000, "access", &out, &e), SVC_EAUTH);
	assert_string_equal(e.message, "token expired");
	assert_int_equal(svc_jwt_verify(key, KEYLEN, tok, 1500, "service", &out, &e), SVC_EAUTH);
	free(tok);
}

static void forged_signature(void **state)
{
	(void)state;
	char *tok = sign("access", 1000, 2000);
	struct svc_claims out;
	struct svc_err e = {0};
	static const unsigned char other[] = "another-key-another-key-another-k";
	assert_int_equal(svc_jwt_verify(other, sizeof other - 1, tok, 1500, NULL, &out, &e),
			 SVC_EAUTH);
	/* Flip one character of the signature. */
	size_t n = strlen(tok);
	tok[n - 2] = tok[n - 2] == 'A' ? 'B' : 'A';
	assert_int_equal(svc_jwt_verify(key, KEYLEN, tok, 1500, NULL, &out, &e), SVC_EAUTH);
	free(tok);
}

static void alg_none_refused(void **state)
{
	(void)state;
	/* {"alg":"none","typ":"JWT"} . {"iss":"todo","sub":"user-1","typ":"access","exp":99999999999} . */
	const char *tok = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0."
			  "eyJpc3MiOiJ0b2RvIiwic3ViIjoidXNlci0xIiwidHlwIjoiYWNjZXNzIiwiZXhwIjo5OTk5OTk5OTk5OX0.";
	struct svc_claims out;
	struct svc_err e = {0};
	assert_int_equal(svc_jwt_verify(key, KEYLEN, tok, 1500, NULL, &out, &e), SVC_EAUTH);
	assert_string_equal(out.sub, "");
}

static void garbage_refused(void **state)
{
	(void)state;
	struct svc_claims out;
	struct svc_err e = {0};
	assert_int_equal(svc_jwt_verify(key, KEYLEN, "abc", 1, NULL, &out, &e), SVC_EAUTH);
	assert_int_equal(svc_jwt_verify(key, KEYLEN, "", 1, NULL, &out, &e), SVC_EAUTH);
	assert_int_equal(svc_jwt_verify(key, KEYLEN, NULL, 1, NULL, &out, &e), SVC_EAUTH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(scopes_travel_and_bound),
		cmocka_unit_test(expired_and_wrong_type),
		cmocka_unit_test(forged_signature),
		cmocka_unit_test(alg_none_refused),
		cmocka_unit_test(garbage_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
