#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/json.h"

char *svc_fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return NULL;
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

char *svc_fuzz_split(const uint8_t *data, size_t size, char **out, size_t max)
{
	char *s = svc_fuzz_str(data, size);
	char *p = s;
	for (size_t n = 0; s && n < max; n++) {
		out[n] = p;
		char *nl = n + 1 < max ? strchr(p, '\n') : NULL;
		if (nl) {
			*nl = '\0';
			p = nl + 1;
		} else {
			p += strlen(p);
		}
	}
	return s;
}

void svc_fuzz_fail(const char *what, const char *file, int line)
{
	fprintf(stderr, "%s:%d: property broken: %s\n", file, line, what);
	abort();
}

void svc_fuzz_check_err(const struct svc_err *err)
{
	char *body = svc_err_body(err);
	cJSON *v = NULL;
	struct svc_err e = {0};
	SVC_FUZZ_CHECK(body && svc_json_parse_object(body, strlen(body), &v, &e) == SVC_OK);
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(v, "error"), "code");
	SVC_FUZZ_CHECK(cJSON_IsString(code) &&
		       strcmp(code->valuestring, svc_result_name(err->code)) == 0);
	cJSON_Delete(v);
	free(body);
}
