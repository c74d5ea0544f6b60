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
