/* jwt.c: every service verifies the bearer token of each request itself,
 * here with a fixed key. A token of ours (the seeds hold some, signed with
 * this key and valid until 2100) gets past the signature, so mutations of
 * its claims reach the checks behind it. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "svc/jwt.h"

static const unsigned char key[] = "fuzz-signing-key-0123456789abcdefghij";
#define KEYLEN (sizeof key - 1)
#define NOW 1767225600 /* 2026-01-01 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = svc_fuzz_str(data, size);
	if (!s)
		return 0;
	struct svc_claims c;
	struct svc_err err = {0};
	if (svc_jwt_verify(key, KEYLEN, s, NOW, NULL, &c, &err) == SVC_OK) {
		SVC_FUZZ_CHECK(c.sub[0] && c.exp > NOW);
		struct svc_claims typed;
		enum svc_result r = svc_jwt_verify(key, KEYLEN, s, NOW, "access", &typed, &err);
		SVC_FUZZ_CHECK((r == SVC_OK) == (strcmp(c.typ, "access") == 0));
	} else {
		SVC_FUZZ_CHECK(err.code == SVC_EAUTH && c.sub[0] == '\0');
		svc_fuzz_check_err(&err);
	}
	/* Claims we sign verify as the same claims. */
	struct svc_claims mine = {.typ = "access", .iat = NOW, .exp = NOW + 900};
	size_t n = strlen(s) < sizeof mine.sub ? strlen(s) : sizeof mine.sub - 1;
	memcpy(mine.sub, s, n);
	char *token = NULL;
	if (n > 0 && svc_jwt_sign(key, KEYLEN, &mine, &token) == SVC_OK) {
		SVC_FUZZ_CHECK(svc_jwt_verify(key, KEYLEN, token, NOW, "access", &c, &err) ==
			       SVC_OK);
		SVC_FUZZ_CHECK(strcmp(c.sub, mine.sub) == 0 && c.exp == mine.exp);
	}
	free(token);
	free(s);
	return 0;
}
