/* A task event as reminder-service receives it (a CloudEvent body): read
 * into a struct rem_event, applied to no stored state, and the state
 * written and read back as the Dapr state store keeps it; a reminder it
 * arms becomes a reminder-due event that consumers must accept. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "reminder.h"
#include "stored.h"
#include "svc/event.h"

static void check_due(const struct rem_state *s, long long fired_ms)
{
	cJSON *due = rem_due_event(s, s->remind_at_ms, fired_ms);
	char *text = due ? cJSON_PrintUnformatted(due) : NULL;
	SVC_FUZZ_CHECK(text != NULL);
	struct svc_event ev;
	struct svc_err err = {0};
	SVC_FUZZ_CHECK(svc_event_parse(text, strlen(text), &ev, &err) == SVC_OK);
	SVC_FUZZ_CHECK(strcmp(ev.type, "reminder-due") == 0 && ev.user_id &&
		       strcmp(ev.user_id, s->user_id) == 0);
	svc_event_cleanup(&ev);
	free(text);
	cJSON_Delete(due);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct svc_event ev;
	struct svc_err err = {0};
	if (svc_event_parse((const char *)data, size, &ev, &err) != SVC_OK)
		return 0;
	struct rem_event e;
	struct rem_state st, next;
	if (rem_event_parse(ev.type, ev.data, &e, &err) == SVC_OK) {
		SVC_FUZZ_CHECK(rem_apply(NULL, &e, &st) == REM_SAVE);
		rem_fuzz_check_stored(&st);
		/* The same delivery again changes nothing. */
		if (e.kind != REM_DELETED)
			SVC_FUZZ_CHECK(rem_apply(&st, &e, &next) == REM_IGNORE);
		if (rem_fire_check(&st, st.remind_at_ms) == REM_FIRE) {
			check_due(&st, e.occurred_ms);
			rem_mark_fired(&st, st.remind_at_ms);
			SVC_FUZZ_CHECK(rem_fire_check(&st, st.remind_at_ms) == REM_DROP);
		}
	} else {
		SVC_FUZZ_CHECK(err.code == SVC_EINVAL);
		svc_fuzz_check_err(&err);
	}
	svc_event_cleanup(&ev);
	return 0;
}
