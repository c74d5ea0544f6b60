/* text.c: e-mail addresses as typed into register, login and the
 * notification settings, and the UTF-8 helpers behind them. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "svc/json.h"
#include "svc/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = svc_fuzz_str(data, size);
	if (!s)
		return 0;
	char email[SVC_EMAIL_BUF], again[SVC_EMAIL_BUF];
	struct svc_err err = {0};
	if (svc_email_normalize(s, email, &err) == SVC_OK) {
		/* A normalized address is its own normal form. */
		SVC_FUZZ_CHECK(svc_email_normalize(email, again, &err) == SVC_OK);
		SVC_FUZZ_CHECK(strcmp(email, again) == 0);
	} else {
		SVC_FUZZ_CHECK(email[0] == '\0' && strcmp(err.field, "email") == 0);
		svc_fuzz_check_err(&err);
	}
	size_t len = strlen(s);
	if (svc_utf8_valid(s, len)) {
		size_t b, e;
		svc_utf8_trim_span(s, &b, &e);
		SVC_FUZZ_CHECK(b <= e && e <= len);
		size_t chars = svc_utf8_len(s);
		SVC_FUZZ_CHECK(svc_utf8_prefix(s, chars) == len);
		size_t cut = svc_utf8_prefix(s, chars / 2);
		SVC_FUZZ_CHECK(cut <= len && svc_utf8_valid(s, cut));
	}
	free(s);
	return 0;
}
