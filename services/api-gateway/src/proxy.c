#include "proxy.h"

#include <strings.h>

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
