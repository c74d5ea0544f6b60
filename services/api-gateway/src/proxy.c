#include "proxy.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "svc/json.h"
#include "svc/upstream.h"

static const char *const forwarded[] = {
	"Authorization", "Content-Type",   "traceparent",          "tracestate",
	"If-Match",      "If-None-Match",  "Accept",               "Mcp-Session-Id",
	"MCP-Protocol-Version",            "Last-Event-ID",
};

/* Hop-by-hop headers (Connection, Transfer-Encoding, ...) never pass;
 * Content-Length passes so that a long answer streams without chunking. */
static const char *const returned[] = {
	"Content-Type", "Content-Length",    "ETag",           "Cache-Control", "Retry-After",
	"Location",     "X-Accel-Buffering", "Mcp-Session-Id", "Allow",
};

static bool listed(const char *name, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(name, list[i]) == 0)
			return true;
	return false;
}

bool gw_forward_request_header(const char *name)
{
	return listed(name, forwarded, sizeof forwarded / sizeof forwarded[0]);
}

const char *gw_forward_response_header(const char *name)
{
	for (size_t i = 0; i < sizeof returned / sizeof returned[0]; i++)
		if (strcasecmp(name, returned[i]) == 0)
			return returned[i];
	return NULL;
}

static bool rpc_error(const cJSON *o)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "jsonrpc");
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
	return cJSON_IsString(v) && strcmp(v->valuestring, "2.0") == 0 && cJSON_IsObject(e) &&
	       cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(e, "code"));
}

bool gw_rpc_error_body(const char *body, size_t len)
{
	cJSON *doc = NULL;
	if (svc_json_parse(body, len, &doc, NULL) != SVC_OK)
		return false;
	bool yes = rpc_error(doc);
	const cJSON *m;
	if (cJSON_IsArray(doc))
		cJSON_ArrayForEach(m, doc) yes = yes || rpc_error(m);
	cJSON_Delete(doc);
	return yes;
}

bool gw_sse_only_accept(const char *v)
{
	v += strspn(v, " \t");
	size_t n = strlen(v);
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	return n == 17 && strncasecmp(v, "text/event-stream", 17) == 0;
}

bool gw_id_valid(enum gw_id_kind kind, const char *v)
{
	switch (kind) {
	case GW_ID_NONE:
		return true;
	case GW_ID_UUID:
		return svc_uuid_valid(v);
	case GW_ID_NUMBER: {
		size_t n = strlen(v);
		if (n == 0 || n > 16 || v[0] == '0' || strspn(v, "0123456789") != n)
			return false;
		return strtoll(v, NULL, 10) <= 9007199254740992LL;
	}
	}
	return false;
}

int gw_upstream_path(const struct svc_req *req, struct svc_buf *b)
{
	svc_buf_puts(b, req->path);
	for (size_t i = 0; i < req->nquery; i++) {
		char *k = svc_url_escape(req->query[i].name);
		char *v = svc_url_escape(req->query[i].value);
		if (!k || !v) {
			free(k);
			free(v);
			return -1;
		}
		svc_buf_printf(b, "%c%s=%s", i ? '&' : '?', k, v);
		free(k);
		free(v);
	}
	return b->failed ? -1 : 0;
}
