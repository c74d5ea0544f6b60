/* PUT /api/me/notification-settings: the body as ntf_settings_parse reads
 * it (the webhook URL through libcurl's URL parser, the e-mail address),
 * and the rule across its keys. */
#include <string.h>

#include "fuzz.h"
#include "notify.h"
#include "svc/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *body = NULL;
	struct svc_err err = {0};
	if (svc_json_parse_object((const char *)data, size, &body, &err) != SVC_OK)
		return 0;
	struct ntf_settings_patch p;
	if (ntf_settings_parse(body, &p, &err) == SVC_OK) {
		SVC_FUZZ_CHECK(!p.webhook_url ||
			       ntf_webhook_url_check(p.webhook_url, &err) == SVC_OK);
		SVC_FUZZ_CHECK(!p.has_email || p.email_null || p.email[0]);
		ntf_settings_check(p.has_email_enabled && p.email_enabled, p.email, &err);
	} else {
		SVC_FUZZ_CHECK(err.code == SVC_EINVAL);
		svc_fuzz_check_err(&err);
	}
	cJSON_Delete(body);
	return 0;
}
