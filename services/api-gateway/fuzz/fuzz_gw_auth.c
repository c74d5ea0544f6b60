/* The account routes' bodies: register and login ({"email","password"},
 * the email normalized, the password policy), refresh and logout
 * ({"refresh_token"}, its shape, the hash the store looks up), and a
 * personal API token's ({"name","scopes","expires_in_days"}). */
#include <stdbool.h>
#include <string.h>

#include "auth.h"
#include "fuzz.h"
#include "pat.h"
#include "svc/json.h"

/* True when every word of s is a scope of GW_PAT_SCOPES. */
static bool known_scopes(const char *s)
{
	const char *all = GW_PAT_SCOPES;
	while (*s) {
		size_t n = strcspn(s, " ");
		bool found = false;
		for (const char *p = all; *p; p += strcspn(p, " "), p += *p == ' ') {
			if (strcspn(p, " ") == n && strncmp(p, s, n) == 0)
				found = true;
		}
		if (!found)
			return false;
		s += n;
		s += *s == ' ';
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *body = NULL;
	struct svc_err err = {0};
	if (svc_json_parse_object((const char *)data, size, &body, &err) != SVC_OK)
		return 0;
	char email[SVC_EMAIL_BUF];
	const char *password = NULL, *token = NULL;
	if (gw_credentials_read(body, email, &password, &err) == SVC_OK) {
		SVC_FUZZ_CHECK(password && email[0] && strchr(email, '@'));
		if (gw_password_check(password, email, &err) == SVC_OK) {
			SVC_FUZZ_CHECK(strcmp(password, email) != 0);
		} else {
			SVC_FUZZ_CHECK(strcmp(err.field, "password") == 0);
			svc_fuzz_check_err(&err);
		}
	} else {
		SVC_FUZZ_CHECK(err.code == SVC_EINVAL);
		svc_fuzz_check_err(&err);
	}
	if (gw_refresh_body_read(body, &token, &err) == SVC_OK &&
	    gw_refresh_token_wellformed(token)) {
		char hash[GW_TOKEN_HASH_HEX];
		gw_token_hash(token, hash);
		SVC_FUZZ_CHECK(strlen(hash) == GW_TOKEN_HASH_HEX - 1);
	}
	const char *name = NULL;
	char scopes[sizeof GW_PAT_SCOPES];
	long days = 0;
	if (gw_pat_body_read(body, &name, scopes, &days, &err) == SVC_OK) {
		SVC_FUZZ_CHECK(name && name[0] && days >= 1 && days <= GW_PAT_DAYS_MAX);
		SVC_FUZZ_CHECK(scopes[0] && known_scopes(scopes));
	} else {
		SVC_FUZZ_CHECK(err.code == SVC_EINVAL);
		svc_fuzz_check_err(&err);
	}
	cJSON_Delete(body);
	return 0;
}
