/* What reminder-service reads back from outside itself: a task's state as
 * the Dapr state store returns it, and a member of the Redis due index
 * ("<task id>|<ms>") claimed by a firing pass. The same input is tried as
 * both. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "reminder.h"
#include "stored.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rem_state st;
	struct svc_err err = {0};
	if (rem_state_decode((const char *)data, size, &st, &err) == SVC_OK) {
		rem_fuzz_check_stored(&st);
		rem_index_time(&st);
		rem_fire_check(&st, st.remind_at_ms);
		rem_state_cleanup(&st);
	}
	char *s = svc_fuzz_str(data, size);
	struct rem_claim c;
	if (s && rem_claim_parse(s, &c) == 0)
		SVC_FUZZ_CHECK(strlen(c.task_id) == 36 && strcmp(c.member, s) == 0);
	free(s);
	return 0;
}
