/* Task events for the unit tests. */
#ifndef REM_TESTDATA_H
#define REM_TESTDATA_H

#include <cjson/cJSON.h>

#include "reminder.h"

#define TASK "0b6f7a3e-3c1d-4f2a-9e8b-5d4c3b2a1f00"

/* A task event's data: the snapshot's version, status and remind_at (NULL
 * for none), and when it happened. Caller frees with cJSON_Delete. */
cJSON *test_event_data(long version, const char *status, const char *remind_at,
		       const char *occurred_at);

/* t (RFC 3339) in milliseconds since 1970; fails the test when t is bad. */
long long test_ms(const char *t);

/* The state that event makes of old (NULL: none), encoded and decoded as
 * the store would. Free with rem_state_cleanup. Fails the test when the
 * event is ignored. */
void test_state_after(const struct rem_state *old, const char *type, long version,
		      const char *status, const char *remind_at, const char *occurred_at,
		      struct rem_state *out);

#endif
