#include "svc/result.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

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
