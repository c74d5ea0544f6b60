#include "proxy.h"

#include <strings.h>

#include <cjson/cJSON.h>

static const char *const forwarded[] = {
	"Authorization", "Content-Type", "X-Request-Id", "traceparent", "tracestate",
	"If-Match",      "If-None-Match", "Accept",
};

bool gw_forward_request_header(const char *name)
{
	for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		if (strcasecmp(name, forwarded[i]) == 0)
			return true;
	return false;
}

bool gw_is_error_body(const char *body, size_t len)
{
	if (!body || len == 0)
		return false;
	cJSON *v = cJSON_ParseWithLength(body, len);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(v, "error");
	bool ok = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, "code"));
	cJSON_Delete(v);
	return ok;
}
