/* A POST /api/tasks or PATCH /api/tasks/{id} body, as the server hands it
 * to tsk_merge after its strict JSON reading: the task's fields checked and
 * normalized (title, tags, times, the RRULE through libical, the time
 * zone, the reminder), then the change against a stored task. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "svc/json.h"
#include "svc/util.h"
#include "task.h"

/* A stored task as tsk_store reads it back. */
static const char base_json[] =
	"{\"id\":\"6f1c2b7a-8d2e-4f10-b3a4-5c6d7e8f9a0b\",\"title\":\"Water the plants\","
	"\"description\":\"\",\"status\":\"pending\",\"priority\":\"medium\",\"tags\":[\"home\"],"
	"\"due_at\":\"2026-12-01T18:00:00+01:00\",\"remind_at\":\"2026-12-01T17:30:00+01:00\","
	"\"remind_before_minutes\":30,\"rrule\":\"FREQ=WEEKLY\",\"time_zone\":\"Europe/Berlin\","
	"\"recur_from\":\"due\",\"version\":3}";

/* What tsk_merge returns is normalized: merged again as a body it comes
 * out the same. */
static void check_normal(const cJSON *m)
{
	cJSON *again = NULL;
	struct svc_err err = {0};
	SVC_FUZZ_CHECK(tsk_merge(NULL, m, &again, &err) == SVC_OK);
	SVC_FUZZ_CHECK(cJSON_Compare(m, again, true));
	cJSON_Delete(again);
	const cJSON *tags = cJSON_GetObjectItemCaseSensitive(m, "tags");
	SVC_FUZZ_CHECK(cJSON_GetArraySize(tags) <= TSK_TAGS_MAX);
	const char *items[TSK_TAGS_MAX];
	size_t n = 0;
	const cJSON *t;
	cJSON_ArrayForEach(t, tags) items[n++] = t->valuestring;
	struct svc_buf b;
	svc_buf_init(&b, 64 * 1024);
	SVC_FUZZ_CHECK(tsk_pg_text_array(&b, items, n) == 0);
	svc_buf_cleanup(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cJSON *base;
	if (!base)
		base = cJSON_Parse(base_json);
	cJSON *body = NULL, *m = NULL;
	struct svc_err err = {0};
	if (svc_json_parse_object((const char *)data, size, &body, &err) != SVC_OK)
		return 0;
	if (tsk_merge(NULL, body, &m, &err) == SVC_OK) {
		check_normal(m);
	} else {
		SVC_FUZZ_CHECK(m == NULL && err.code != SVC_OK && err.message[0]);
		svc_fuzz_check_err(&err);
	}
	cJSON_Delete(m);
	if (tsk_merge(base, body, &m, &err) == SVC_OK) {
		check_normal(m);
		cJSON_Delete(tsk_diff(base, m));
	}
	cJSON_Delete(m);
	cJSON_Delete(body);
	return 0;
}
