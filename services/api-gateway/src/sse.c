#include "sse.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "svc/json.h"

const char *gw_request_token(const struct svc_req *req)
{
	const char *tok = svc_req_bearer(req);
	if (tok)
		return tok;
	if (req->route && strcmp(req->route, GW_SSE_ROUTE) == 0)
		return svc_req_query(req, "access_token");
	return NULL;
}

/* A resume point: decimal digits only, 0..GW_SSE_MAX_ID. */
static int parse_id(const char *s, long long *out)
{
	size_t n = strlen(s);
	if (n == 0 || n > 16)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return -1;
	long long v = strtoll(s, NULL, 10);
	if (v > GW_SSE_MAX_ID)
		return -1;
	*out = v;
	return 0;
}

enum svc_result gw_sse_last_id(const struct svc_req *req, long long *out, bool *present,
			       struct svc_err *err)
{
	const char *name = "Last-Event-ID";
	const char *v = svc_req_header(req, name);
	if (!v || !*v) {
		name = "last_event_id";
		v = svc_req_query(req, name);
	}
	*present = v && *v;
	if (!*present)
		return SVC_OK;
	if (parse_id(v, out) != 0)
		return svc_err_set(err, SVC_EINVAL, name,
				   "%s must be a notification id (an integer from 0)", name);
	return SVC_OK;
}

const char *gw_sse_channel_user(const char *channel)
{
	size_t n = strlen(GW_SSE_CHANNEL_PREFIX);
	if (strncmp(channel, GW_SSE_CHANNEL_PREFIX, n) != 0 || channel[n] == '\0')
		return NULL;
	return channel + n;
}

/* The id of a parsed notification, or -1. */
static long long id_of(const cJSON *obj)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(obj, "id");
	if (!cJSON_IsNumber(id))
		return -1;
	double d = id->valuedouble;
	if (d < 1 || d > (double)GW_SSE_MAX_ID || d != floor(d))
		return -1;
	return (long long)d;
}

int gw_sse_notification_id(const char *json, size_t len, long long *id)
{
	cJSON *v = NULL;
	if (svc_json_parse_object(json, len, &v, NULL) != SVC_OK)
		return -1;
	long long n = id_of(v);
	cJSON_Delete(v);
	if (n < 0)
		return -1;
	*id = n;
	return 0;
}

int gw_sse_frame(struct svc_buf *b, long long id, const char *json, size_t len)
{
	svc_buf_printf(b, "id: %lld\nevent: notification\n", id);
	const char *p = json, *end = json + len;
	do {
		const char *eol = p;
		while (eol < end && *eol != '\n' && *eol != '\r')
			eol++;
		svc_buf_puts(b, "data: ");
		svc_buf_append(b, p, (size_t)(eol - p));
		svc_buf_puts(b, "\n");
		if (eol < end && *eol == '\r' && eol + 1 < end && eol[1] == '\n')
			eol++;
		p = eol + 1;
	} while (p < end);
	svc_buf_puts(b, "\n");
	return b->failed ? -1 : 0;
}

int gw_sse_page(const char *body, size_t len, struct svc_buf *b, size_t max_bytes,
		long long *last, size_t *items, bool *full)
{
	cJSON *page = NULL;
	*items = 0;
	*full = false;
	if (!body || svc_json_parse_object(body, len, &page, NULL) != SVC_OK)
		return -1;
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(page, "items");
	int rc = cJSON_IsArray(list) ? 0 : -1;
	const cJSON *item;
	cJSON_ArrayForEach(item, list) {
		(*items)++;
		long long id = id_of(item);
		if (id <= *last)
			continue; /* not a notification, or not newer than what was sent */
		char *text = cJSON_PrintUnformatted(item);
		struct svc_buf f;
		svc_buf_init(&f, max_bytes);
		if (!text || gw_sse_frame(&f, id, text, strlen(text)) != 0) {
			rc = -1;
		} else if (b->len + f.len > max_bytes) {
			*full = true;
		} else if (svc_buf_append(b, f.data, f.len) != 0) {
			rc = -1;
		}
		free(text);
		svc_buf_cleanup(&f);
		if (rc != 0 || *full)
			break;
		*last = id;
	}
	cJSON_Delete(page);
	return rc;
}

int gw_sse_top_id(const char *body, size_t len, long long *top)
{
	cJSON *page = NULL;
	if (!body || svc_json_parse_object(body, len, &page, NULL) != SVC_OK)
		return -1;
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(page, "items");
	int rc = -1;
	if (cJSON_IsArray(list)) {
		const cJSON *first = cJSON_GetArrayItem(list, 0);
		*top = first ? id_of(first) : 0;
		rc = *top < 0 ? -1 : 0;
	}
	cJSON_Delete(page);
	return rc;
}
