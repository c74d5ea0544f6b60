/* A blocking HTTP client over libcurl, for worker threads calling outside
 * services over HTTPS (webhooks, a model provider); the sidecar and peers
 * are dapr.h's. Each thread keeps one curl handle, so connections are
 * reused. Every call has a timeout and a response size cap. */
#ifndef SVC_HTTPC_H
#define SVC_HTTPC_H

#include <stddef.h>

#include "svc/result.h"

struct svc_httpc_resp {
	long status;
	char *body; /* NUL-terminated; free with svc_httpc_resp_cleanup */
	size_t body_len;
	char content_type[128];
	char etag[128];
	char retry_after[32]; /* the Retry-After header, "" when none */
};

/* headers: "Name: value" strings, NULL-terminated (may be NULL).
 * Transport failures map to SVC_EUNAVAIL (refused), SVC_ETIMEOUT, or
 * SVC_EUPSTREAM (anything else, including a response over max_resp bytes);
 * any HTTP status is SVC_OK with out->status set. */
enum svc_result svc_httpc_request(const char *method, const char *url,
				  const char *const *headers, const char *body,
				  size_t body_len, long timeout_ms, size_t max_resp,
				  struct svc_httpc_resp *out, struct svc_err *err);
void svc_httpc_resp_cleanup(struct svc_httpc_resp *r);

#endif
