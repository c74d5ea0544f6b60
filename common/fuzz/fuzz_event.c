/* event.c: every event a service consumes is a CloudEvent body that Dapr
 * delivers; svc_event_parse decides whether it is one of ours before any
 * handler sees it. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "svc/event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct svc_event ev;
	struct svc_err err = {0};
	if (svc_event_parse((const char *)data, size, &ev, &err) != SVC_OK) {
		SVC_FUZZ_CHECK(ev.root == NULL && err.code == SVC_EINVAL);
		svc_fuzz_check_err(&err);
		return 0;
	}
	SVC_FUZZ_CHECK(ev.id && ev.type && ev.source && cJSON_IsObject(ev.data));
	/* The envelope built again from what was read is read the same. */
	cJSON *ce = svc_event_build(ev.id, ev.type, ev.source, NULL, ev.user_id,
				    ev.occurred_at ? ev.occurred_at : "", "data",
				    cJSON_Duplicate(ev.data, 1), NULL);
	char *text = ce ? cJSON_PrintUnformatted(ce) : NULL;
	SVC_FUZZ_CHECK(text != NULL);
	struct svc_event again;
	SVC_FUZZ_CHECK(svc_event_parse(text, strlen(text), &again, &err) == SVC_OK);
	SVC_FUZZ_CHECK(strcmp(again.id, ev.id) == 0 && strcmp(again.type, ev.type) == 0);
	SVC_FUZZ_CHECK((again.user_id == NULL) == (ev.user_id == NULL));
	svc_event_cleanup(&again);
	free(text);
	cJSON_Delete(ce);
	svc_event_cleanup(&ev);
	return 0;
}
