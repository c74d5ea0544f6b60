#include "svc/cursor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "svc/json.h"
#include "svc/util.h"

void svc_fingerprint(const char *const *parts, size_t n, char out[17])
{
	unsigned long long h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++) {
		for (const unsigned char *p = (const unsigned char *)parts[i]; *p; p++) {
			h ^= *p;
			h *= 1099511628211ULL;
		}
		h ^= 0xff; /* separator */
		h *= 1099511628211ULL;
	}
	snprintf(out, 17, "%016llx", h);
}

char *svc_cursor_make(const char *fingerprint, const char *key, const char *id)
{
	cJSON *c = cJSON_CreateObject();
	if (!c)
		return NULL;
	cJSON_AddStringToObject(c, "k", key);
	if (id)
		cJSON_AddStringToObject(c, "i", id);
	cJSON_AddStringToObject(c, "f", fingerprint);
	char *text = cJSON_PrintUnformatted(c);
	cJSON_Delete(c);
	if (!text)
		return NULL;
	char *out = svc_b64url_encode(text, strlen(text));
	free(text);
	return out;
}

enum svc_result svc_cursor_read(const char *s, const char *fingerprint, char *key,
				size_t keyn, char *id, size_t idn, struct svc_err *err)
{
	size_t len = 0;
	/* Longer than any cursor a key and id of these sizes make. */
	size_t most = 4 * (keyn + (id ? idn : 0)) + 128;
	unsigned char *raw = strlen(s) <= most ? svc_b64url_decode(s, &len) : NULL;
	cJSON *c = NULL;
	struct svc_err ignored;
	if (raw)
		svc_json_parse_object((const char *)raw, len, &c, &ignored);
	free(raw);
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(c, "k");
	const cJSON *i = cJSON_GetObjectItemCaseSensitive(c, "i");
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(c, "f");
	enum svc_result r = SVC_OK;
	if (!cJSON_IsString(k) || !cJSON_IsString(f) || (id && !cJSON_IsString(i)) ||
	    strlen(k->valuestring) >= keyn || (id && strlen(i->valuestring) >= idn)) {
		r = svc_err_set(err, SVC_EINVAL, "cursor", "cursor is not valid");
	} else if (strcmp(f->valuestring, fingerprint) != 0) {
		r = svc_err_set(err, SVC_EINVAL, "cursor",
				"cursor belongs to a query with another sort or other filters");
	} else {
		memcpy(key, k->valuestring, strlen(k->valuestring) + 1);
		if (id)
			memcpy(id, i->valuestring, strlen(i->valuestring) + 1);
	}
	cJSON_Delete(c);
	return r;
}

enum svc_result svc_query_known(const struct svc_kv *params, size_t n,
				const char *const *names, const char *repeatable,
				struct svc_err *err)
{
	for (size_t i = 0; i < n; i++) {
		const char *k = params[i].name;
		size_t known = 0;
		while (names[known] && strcmp(names[known], k) != 0)
			known++;
		if (!names[known])
			return svc_err_set(err, SVC_EINVAL, k, "unknown query parameter '%.40s'", k);
		if (repeatable && strcmp(k, repeatable) == 0)
			continue;
		for (size_t j = 0; j < i; j++)
			if (strcmp(params[j].name, k) == 0)
				return svc_err_set(err, SVC_EINVAL, k,
						   "query parameter '%s' is repeated", k);
	}
	return SVC_OK;
}

void svc_page_init(struct svc_page *p, size_t limit)
{
	svc_buf_init(&p->buf, 64u << 20);
	p->n = 0;
	p->limit = limit;
	p->more = false;
	svc_buf_puts(&p->buf, "{\"items\":[");
}

bool svc_page_add(struct svc_page *p, const char *item)
{
	if (p->n == p->limit) {
		p->more = true;
		return false;
	}
	if (p->n++)
		svc_buf_puts(&p->buf, ",");
	svc_buf_puts(&p->buf, item);
	return true;
}

char *svc_page_finish(struct svc_page *p, const char *next_cursor)
{
	svc_buf_puts(&p->buf, "],\"next_cursor\":");
	if (p->more && next_cursor)
		svc_buf_json_string(&p->buf, next_cursor);
	else if (p->more)
		p->buf.failed = true;
	else
		svc_buf_puts(&p->buf, "null");
	svc_buf_puts(&p->buf, "}");
	char *out = svc_buf_take(&p->buf, NULL);
	svc_buf_cleanup(&p->buf);
	return out;
}
