/* The strict JSON reader every request body and event goes through, and
 * the field readers handlers use on what it returns. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "svc/json.h"

static void read_fields(const cJSON *obj)
{
	static const char *const allowed[] = {"title", "tags", "n", NULL};
	struct svc_err err = {0};
	const char *s = NULL;
	long n = 0;
	bool present = false;
	svc_json_only_keys(obj, allowed, &err);
	if (svc_json_string(obj, "title", false, 1, 500, &s, &err) == SVC_OK && s)
		SVC_FUZZ_CHECK(svc_utf8_len(s) >= 1 && svc_utf8_len(s) <= 500);
	if (svc_json_int(obj, "n", false, 0, 525600, &n, &present, &err) == SVC_OK && present)
		SVC_FUZZ_CHECK(n >= 0 && n <= 525600);
	/* Any range a caller may ask for, the widest included. */
	svc_json_int(obj, "n", false, LONG_MIN, LONG_MAX, &n, &present, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The bytes as they came, not NUL-terminated: the reader takes a
	 * length and must stay inside it. */
	const char *buf = (const char *)data;
	cJSON *v = NULL;
	struct svc_err err = {0};
	if (svc_json_parse(buf, size, &v, &err) != SVC_OK) {
		SVC_FUZZ_CHECK(v == NULL && err.code == SVC_EINVAL && err.message[0]);
		svc_fuzz_check_err(&err);
		return 0;
	}
	SVC_FUZZ_CHECK(svc_utf8_valid(buf, size));
	/* What we accept, written out by cJSON, is accepted again as the same
	 * value. */
	char *text = cJSON_PrintUnformatted(v);
	SVC_FUZZ_CHECK(text != NULL);
	cJSON *again = NULL;
	SVC_FUZZ_CHECK(svc_json_parse(text, strlen(text), &again, &err) == SVC_OK);
	SVC_FUZZ_CHECK(cJSON_Compare(v, again, true));
	if (cJSON_IsObject(v))
		read_fields(v);
	cJSON_Delete(again);
	free(text);
	cJSON_Delete(v);
	return 0;
}
