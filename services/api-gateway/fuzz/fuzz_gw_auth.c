/* The account routes' bodies: register and login ({"email","password"},
 * the email normalized, the password policy), refresh and logout
 * ({"refresh_token"}, its shape, the hash the store looks up). */
#include <string.h>

#include "auth.h"
#include "fuzz.h"
#include "svc/json.h"

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
	cJSON_Delete(body);
	return 0;
}
