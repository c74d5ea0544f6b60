#include "svc/result.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "svc/json.h"

static const struct {
	enum svc_result code;
	int status;
	const char *name;
} table[] = {
	{SVC_OK, 200, "ok"},
	{SVC_EINVAL, 400, "invalid_argument"},
	{SVC_EUNPROCESSABLE, 422, "unprocessable"},
	{SVC_ENOTFOUND, 404, "not_found"},
	{SVC_ECONFLICT, 409, "conflict"},
	{SVC_EPRECOND, 412, "precondition_failed"},
	{SVC_EAUTH, 401, "unauthenticated"},
	{SVC_EFORBIDDEN, 403, "forbidden"},
	{SVC_ETOOBIG, 413, "payload_too_large"},
	{SVC_EMEDIA, 415, "unsupported_media_type"},
	{SVC_EMETHOD, 405, "method_not_allowed"},
	{SVC_ELIMIT, 429, "rate_limited"},
	{SVC_EUPSTREAM, 502, "bad_gateway"},
	{SVC_EUNAVAIL, 503, "unavailable"},
	{SVC_ETIMEOUT, 504, "timeout"},
	{SVC_ENOMEM, 500, "internal"},
	{SVC_EINTERNAL, 500, "internal"},
};

int svc_result_http_status(enum svc_result r)
{
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (table[i].code == r)
			return table[i].status;
	return 500;
}

const char *svc_result_name(enum svc_result r)
{
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (table[i].code == r)
			return table[i].name;
	return "internal";
}

/* Turns every byte of s that does not start a whole UTF-8 character into
 * '?'. A field or message may quote bad input (a query parameter's name is
 * any bytes) or be cut by its buffer inside a character; the error body
 * must still be JSON text. */
static void utf8_repair(char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		if (i + len <= n && svc_utf8_valid(s + i, len))
			i += len;
		else
			s[i++] = '?';
	}
}

enum svc_result svc_err_set(struct svc_err *err, enum svc_result code,
			    const char *field, const char *fmt, ...)
{
	if (!err)
		return code;
	err->code = code;
	snprintf(err->field, sizeof err->field, "%s", field ? field : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	utf8_repair(err->field);
	utf8_repair(err->message);
	return code;
}

void svc_err_clear(struct svc_err *err)
{
	memset(err, 0, sizeof *err);
}

char *svc_err_body(const struct svc_err *err)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *e = cJSON_AddObjectToObject(root, "error");
	cJSON_AddStringToObject(e, "code", svc_result_name(err->code));
	cJSON_AddStringToObject(e, "message",
				err->message[0] ? err->message
						: svc_result_name(err->code));
	if (err->field[0])
		cJSON_AddStringToObject(e, "field", err->field);
	char *s = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return s;
}

bool svc_err_parse(const char *body, size_t len, struct svc_err *out)
{
	if (!body || len == 0)
		return false;
	cJSON *root = cJSON_ParseWithLength(body, len);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
	const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "code"));
	const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "message"));
	const char *field = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "field"));
	bool ok = code != NULL;
	if (ok && out) {
		svc_err_clear(out);
		out->code = SVC_EUPSTREAM;
		svc_err_set(out, SVC_EUPSTREAM, field, "%s", msg ? msg : code);
	}
	cJSON_Delete(root);
	return ok;
}
