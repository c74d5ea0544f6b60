/* http.c: what the server reads from a request line and headers before a
 * handler runs: the query string into name/value pairs, the decoded path
 * against route patterns, the bearer token. Input: a path, a newline, a
 * query string, a newline, an Authorization header value. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "svc/cursor.h"
#include "svc/server.h"

static const char *const patterns[] = {
	"/api/tasks", "/api/tasks/{id}", "/api/tasks/{id}/complete", "/events/{topic}",
	"/internal/series/{id}/occurrences", "/{a}/{b}", NULL,
};

static const char *const names[] = {"q", "tag", "limit", "cursor", NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *f[3];
	char *s = svc_fuzz_split(data, size, f, 3);
	if (!s)
		return 0;
	for (size_t i = 0; patterns[i]; i++) {
		struct svc_kv *params;
		size_t n;
		if (!svc_route_match(patterns[i], f[0], &params, &n)) {
			SVC_FUZZ_CHECK(params == NULL && n == 0);
			continue;
		}
		for (size_t k = 0; k < n; k++)
			SVC_FUZZ_CHECK(params[k].value[0] && !strchr(params[k].value, '/'));
		svc_kv_free_all(params, n);
	}
	struct svc_kv *query = NULL;
	size_t nquery = 0;
	if (svc_query_parse(f[1], &query, &nquery) == 0) {
		struct svc_err err = {0};
		svc_query_known(query, nquery, names, "tag", &err);
	} else {
		SVC_FUZZ_CHECK(query == NULL && nquery == 0);
	}
	struct svc_kv header = {.name = "authorization", .value = f[2]};
	struct svc_req req = {.headers = &header, .nheaders = 1, .query = query,
			      .nquery = nquery};
	const char *token = svc_req_bearer(&req);
	SVC_FUZZ_CHECK(!token || (token >= f[2] && token <= f[2] + strlen(f[2])));
	svc_req_query(&req, "q");
	svc_kv_free_all(query, nquery);
	free(s);
	return 0;
}
