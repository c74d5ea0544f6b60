/* The reminder rules: event parsing, version ordering, tombstones, arming,
 * firing checks, the stored state's encoding and the reminder-due event. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "reminder.h"
#include "svc/util.h"
#include "testdata.h"

#define T0 "2026-03-01T12:00:00Z"
#define T0_MS 1772366400000LL

/* Applies one event to *st (a state that lives in the test: its snapshot
 * is kept as an owned copy in root). have says whether *st holds one. */
struct held {
	struct rem_state st;
	bool have;
};

static enum rem_verdict apply(struct held *h, const char *type, long version,
			      const char *status, const char *remind_at, const char *occurred)
{
	cJSON *d = test_event_data(version, status, remind_at, occurred);
	struct rem_event e;
	struct svc_err err = {0};
	assert_int_equal(rem_event_parse(type, d, &e, &err), SVC_OK);
	struct rem_state next;
	enum rem_verdict v = rem_apply(h->have ? &h->st : NULL, &e, &next);
	if (v == REM_SAVE) {
		/* Store it as the service does: encode, then decode. */
		char *text = rem_state_encode(&next);
		assert_non_null(text);
		if (h->have)
			rem_state_cleanup(&h->st);
		assert_int_equal(rem_state_decode(text, strlen(text), &h->st, &err), SVC_OK);
		free(text);
		h->have = true;
	}
	cJSON_Delete(d);
	return v;
}

static void drop(struct held *h)
{
	if (h->have)
		rem_state_cleanup(&h->st);
	h->have = false;
}

/* ---- time ---------------------------------------------------------------- */

static void times_parse_to_milliseconds(void **state)
{
	(void)state;
	assert_true(test_ms(T0) == T0_MS);
	assert_true(test_ms("2026-03-01T12:00:00.5Z") == T0_MS + 500);
	assert_true(test_ms("2026-03-01T12:00:00.123456+00:00") == T0_MS + 123);
	assert_true(test_ms("2026-03-01T13:00:00.120+01:00") == T0_MS + 120);
	assert_true(test_ms("1969-12-31T23:59:59.250Z") == -750);
	long long v = 42;
	assert_int_equal(rem_time_parse_ms("2026-03-01 12:00:00Z", &v), -1);
	assert_int_equal(rem_time_parse_ms("2026-02-30T12:00:00Z", &v), -1);
	assert_int_equal(rem_time_parse_ms("2026-03-01T12:00:00", &v), -1);
	assert_true(v == 42);
}

static void times_format_in_utc_with_milliseconds(void **state)
{
	(void)state;
	char out[REM_TIME_MAX];
	rem_time_format_ms(T0_MS + 7, out);
	assert_string_equal(out, "2026-03-01T12:00:00.007Z");
	rem_time_format_ms(-750, out);
	assert_string_equal(out, "1969-12-31T23:59:59.250Z");
	assert_true(test_ms(out) == -750);
}

/* ---- event parsing ------------------------------------------------------- */

static enum svc_result parse(const char *type, cJSON *d, struct svc_err *err)
{
	struct rem_event e;
	enum svc_result r = rem_event_parse(type, d, &e, err);
	cJSON_Delete(d);
	return r;
}

static void event_parse_reads_the_snapshot(void **state)
{
	(void)state;
	cJSON *d = test_event_data(3, "completed", "2026-03-01T12:00:00.250Z", T0);
	struct rem_event e;
	struct svc_err err = {0};
	assert_int_equal(rem_event_parse("task-completed", d, &e, &err), SVC_OK);
	assert_int_equal(e.kind, REM_COMPLETED);
	assert_string_equal(e.task_id, TASK);
	assert_string_equal(e.user_id, "u1");
	assert_int_equal(e.version, 3);
	assert_true(e.completed);
	assert_true(e.remind_at_ms == T0_MS + 250);
	assert_true(e.occurred_ms == T0_MS);
	assert_ptr_equal(e.task, cJSON_GetObjectItemCaseSensitive(d, "task"));
	cJSON_Delete(d);

	d = test_event_data(1, "pending", NULL, T0);
	cJSON_DeleteItemFromObject(d, "user_id"); /* falls back to task.user_id */
	assert_int_equal(rem_event_parse("task-deleted", d, &e, &err), SVC_OK);
	assert_int_equal(e.kind, REM_DELETED);
	assert_string_equal(e.user_id, "u1");
	assert_true(e.remind_at_ms == REM_NO_TIME);
	cJSON_Delete(d);
}

static void event_parse_refuses_what_is_not_a_task_event(void **state)
{
	(void)state;
	struct svc_err err = {0};
	assert_int_equal(parse("reminder-due", test_event_data(1, "pending", NULL, T0), &err), SVC_EINVAL);
	assert_int_equal(parse(NULL, test_event_data(1, "pending", NULL, T0), &err), SVC_EINVAL);
	assert_int_equal(parse("task-created", test_event_data(0, "pending", NULL, T0), &err),
			 SVC_EINVAL);
	assert_string_equal(err.field, "version");
	assert_int_equal(parse("task-created", test_event_data(1, "done", NULL, T0), &err), SVC_EINVAL);
	assert_int_equal(parse("task-created", test_event_data(1, "pending", "tomorrow", T0), &err),
			 SVC_EINVAL);
	assert_string_equal(err.field, "remind_at");
	assert_int_equal(parse("task-created", test_event_data(1, "pending", NULL, "now"), &err),
			 SVC_EINVAL);

	cJSON *d = test_event_data(1, "pending", NULL, T0);
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(d, "task"), "id",
				  cJSON_CreateString("not-a-uuid-but-thirty-six-chars-long"));
	assert_int_equal(parse("task-created", d, &err), SVC_EINVAL);

	d = test_event_data(1, "pending", NULL, T0);
	cJSON_DeleteItemFromObject(d, "task");
	assert_int_equal(parse("task-created", d, &err), SVC_EINVAL);

	char big[REM_USER_ID_MAX + 2];
	memset(big, 'u', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	d = test_event_data(1, "pending", NULL, T0);
	cJSON_ReplaceItemInObject(d, "user_id", cJSON_CreateString(big));
	assert_int_equal(parse("task-created", d, &err), SVC_EINVAL);
}

/* ---- arming and ordering --------------------------------------------------- */

#define LATER "2026-03-01T12:05:00Z"
#define LATER2 "2026-03-01T12:10:00Z"
#define EARLIER "2026-03-01T11:00:00Z"

static void created_with_a_reminder_arms_it(void **state)
{
	(void)state;
	struct held h = {0};
	assert_int_equal(apply(&h, "task-created", 1, "pending", LATER, T0), REM_SAVE);
	assert_true(h.st.armed);
	assert_true(rem_index_time(&h.st) == test_ms(LATER));
	assert_string_equal(h.st.user_id, "u1");
	assert_non_null(h.st.task);
	drop(&h);

	/* No reminder: stored (for ordering), nothing to fire. */
	assert_int_equal(apply(&h, "task-created", 1, "pending", NULL, T0), REM_SAVE);
	assert_false(h.st.armed);
	assert_true(rem_index_time(&h.st) == REM_NO_TIME);
	assert_null(h.st.task); /* kept only while a reminder may fire */
	drop(&h);
}

static void a_reminder_already_past_fires_at_once(void **state)
{
	(void)state;
	struct held h = {0};
	assert_int_equal(apply(&h, "task-created", 1, "pending", EARLIER, T0), REM_SAVE);
	assert_true(h.st.armed);
	assert_true(rem_index_time(&h.st) == test_ms(EARLIER));
	assert_int_equal(rem_fire_check(&h.st, test_ms(EARLIER)), REM_FIRE);
	drop(&h);
}

static void moving_the_reminder_moves_it(void **state)
{
	(void)state;
	struct held h = {0};
	apply(&h, "task-created", 1, "pending", LATER, T0);
	assert_int_equal(apply(&h, "task-updated", 2, "pending", LATER2, T0), REM_SAVE);
	assert_true(rem_index_time(&h.st) == test_ms(LATER2));
	/* A claim made for the old time finds the new one. */
	assert_int_equal(rem_fire_check(&h.st, test_ms(LATER)), REM_RESCHEDULE);
	assert_int_equal(rem_fire_check(&h.st, test_ms(LATER2)), REM_FIRE);
	/* Clearing it disarms it. */
	assert_int_equal(apply(&h, "task-updated", 3, "pending", NULL, T0), REM_SAVE);
	assert_false(h.st.armed);
	assert_int_equal(rem_fire_check(&h.st, test_ms(LATER2)), REM_DROP);
	drop(&h);
}

static void an_edit_that_keeps_the_time_keeps_it_armed(void **state)
{
	(void)state;
	struct held h = {0};
	apply(&h, "task-created", 1, "pending", LATER, T0);
	assert_int_equal(apply(&h, "task-updated", 2, "pending", LATER, T0), REM_SAVE);
	assert_true(h.st.armed);
	assert_int_equal(h.st.version, 2);
	drop(&h);
}

static void completing_or_deleting_cancels_it(void **state)
{
	(void)state;
	struct held h = {0};
	apply(&h, "task-created", 1, "pending", LATER, T0);
	assert_int_equal(apply(&h, "task-completed", 2, "completed", LATER, T0), REM_SAVE);
	assert_false(h.st.armed);
	assert_int_equal(rem_fire_check(&h.st, test_ms(LATER)), REM_DROP);
	drop(&h);

	apply(&h, "task-created", 1, "pending", LATER, T0);
	assert_int_equal(apply(&h, "task-deleted", 1, "pending", LATER, T0), REM_SAVE);
	assert_true(h.st.deleted);
	assert_false(h.st.armed);
	assert_null(h.st.task);
	assert_int_equal(h.st.version, 1);
	assert_int_equal(rem_fire_check(&h.st, test_ms(LATER)), REM_DROP);
	assert_true(rem_index_time(&h.st) == REM_NO_TIME);
	drop(&h);
}

static void a_tombstone_ignores_everything_after_it(void **state)
{
	(void)state;
	struct held h = {0};
	/* The deletion arrives first (topics are not ordered). */
	assert_int_equal(apply(&h, "task-deleted", 2, "pending", LATER, T0), REM_SAVE);
	assert_int_equal(apply(&h, "task-created", 1, "pending", LATER, T0), REM_IGNORE);
	assert_int_equal(apply(&h, "task-updated", 2, "pending", LATER2, T0), REM_IGNORE);
	/* Even a version above the deleted one cannot bring it back. */
	assert_int_equal(apply(&h, "task-updated", 9, "pending", LATER2, T0), REM_IGNORE);
	assert_int_equal(apply(&h, "task-deleted", 2, "pending", LATER, T0), REM_IGNORE);
	assert_true(h.st.deleted);
	assert_false(h.st.armed);
	drop(&h);
}

static void an_old_event_never_undoes_a_newer_one(void **state)
{
	(void)state;
	struct held h = {0};
	/* The move (v2) overtakes the creation (v1). */
	assert_int_equal(apply(&h, "task-updated", 2, "pending", LATER2, T0), REM_SAVE);
	assert_int_equal(apply(&h, "task-created", 1, "pending", LATER, T0), REM_IGNORE);
	assert_true(rem_index_time(&h.st) == test_ms(LATER2));
	drop(&h);

	/* The completion (v2) overtakes the creation (v1): never armed. */
	assert_int_equal(apply(&h, "task-completed", 2, "completed", LATER, T0), REM_SAVE);
	assert_int_equal(apply(&h, "task-created", 1, "pending", LATER, T0), REM_IGNORE);
	assert_false(h.st.armed);
	drop(&h);

	/* A duplicate delivery changes nothing. */
	apply(&h, "task-created", 1, "pending", LATER, T0);
	assert_int_equal(apply(&h, "task-created", 1, "pending", LATER, T0), REM_IGNORE);
	/* A reopen (v3) overtaking the completion (v2) stays pending. */
	assert_int_equal(apply(&h, "task-updated", 3, "pending", LATER, T0), REM_SAVE);
	assert_int_equal(apply(&h, "task-completed", 2, "completed", LATER, T0), REM_IGNORE);
	assert_true(h.st.armed);
	drop(&h);
}

static void reopening_rearms_a_reminder_still_ahead(void **state)
{
	(void)state;
	struct held h = {0};
	apply(&h, "task-created", 1, "pending", LATER, T0);
	apply(&h, "task-completed", 2, "completed", LATER, T0);
	/* Reopened at T0, before LATER. */
	assert_int_equal(apply(&h, "task-updated", 3, "pending", LATER, T0), REM_SAVE);
	assert_true(h.st.armed);
	assert_true(rem_index_time(&h.st) == test_ms(LATER));
	drop(&h);

	/* Reopened after its time went by while it was completed: stays off. */
	apply(&h, "task-created", 1, "pending", LATER, T0);
	apply(&h, "task-completed", 2, "completed", LATER, T0);
	assert_int_equal(apply(&h, "task-updated", 3, "pending", LATER, LATER2), REM_SAVE);
	assert_false(h.st.armed);
	/* ...and an unrelated edit does not arm it either. */
	apply(&h, "task-updated", 4, "pending", LATER, LATER2);
	assert_false(h.st.armed);
	/* Setting a new time does. */
	apply(&h, "task-updated", 5, "pending", LATER2, LATER2);
	assert_true(h.st.armed);
	drop(&h);

	/* A completed task's reminder edited, then reopened ahead of it. */
	apply(&h, "task-created", 1, "pending", LATER, T0);
	apply(&h, "task-completed", 2, "completed", LATER, T0);
	apply(&h, "task-updated", 3, "completed", LATER2, T0);
	assert_false(h.st.armed);
	apply(&h, "task-updated", 4, "pending", LATER2, T0);
	assert_true(h.st.armed);
	assert_true(rem_index_time(&h.st) == test_ms(LATER2));
	drop(&h);
}

static void a_reminder_fires_once_per_time(void **state)
{
	(void)state;
	struct held h = {0};
	apply(&h, "task-created", 1, "pending", LATER, T0);
	assert_int_equal(rem_fire_check(&h.st, test_ms(LATER)), REM_FIRE);
	rem_mark_fired(&h.st, test_ms(LATER));
	assert_false(h.st.armed);
	assert_int_equal(rem_fire_check(&h.st, test_ms(LATER)), REM_DROP);
	assert_true(rem_index_time(&h.st) == REM_NO_TIME);
	/* Stored after firing: without the snapshot, still fired. */
	char *text = rem_state_encode(&h.st);
	struct rem_state back;
	struct svc_err err = {0};
	assert_int_equal(rem_state_decode(text, strlen(text), &back, &err), SVC_OK);
	free(text);
	assert_null(back.task);
	assert_true(back.fired_ms == test_ms(LATER));
	rem_state_cleanup(&back);
	/* Completed and reopened: the reminder for that time does not fire
	 * again, even while it is still "ahead". */
	apply(&h, "task-completed", 2, "completed", LATER, T0);
	apply(&h, "task-updated", 3, "pending", LATER, T0);
	assert_false(h.st.armed);
	/* An edit of something else: still nothing. */
	apply(&h, "task-updated", 4, "pending", LATER, T0);
	assert_false(h.st.armed);
	/* Moved: a new reminder. */
	apply(&h, "task-updated", 5, "pending", LATER2, T0);
	assert_true(h.st.armed);
	/* Moved back to the time that fired: not again. */
	apply(&h, "task-updated", 6, "pending", LATER, T0);
	assert_false(h.st.armed);
	drop(&h);
}

static void firing_records_only_its_own_time(void **state)
{
	(void)state;
	struct held h = {0};
	apply(&h, "task-created", 1, "pending", LATER2, T0);
	/* A claim for an older time fired (the state moved meanwhile). */
	rem_mark_fired(&h.st, test_ms(LATER));
	assert_true(h.st.armed);
	assert_int_equal(rem_fire_check(&h.st, test_ms(LATER2)), REM_FIRE);
	assert_int_equal(rem_fire_check(NULL, test_ms(LATER2)), REM_DROP);
	drop(&h);
}

/* ---- stored state -------------------------------------------------------- */

static void state_round_trips_and_refuses_garbage(void **state)
{
	(void)state;
	struct held h = {0};
	apply(&h, "task-created", 7, "pending", LATER, T0);
	rem_mark_fired(&h.st, test_ms(EARLIER));
	char *a = rem_state_encode(&h.st);
	struct rem_state back;
	struct svc_err err = {0};
	assert_int_equal(rem_state_decode(a, strlen(a), &back, &err), SVC_OK);
	char *b = rem_state_encode(&back);
	assert_string_equal(a, b);
	assert_true(back.fired_ms == test_ms(EARLIER));
	assert_int_equal(back.version, 7);
	free(a);
	free(b);
	rem_state_cleanup(&back);
	drop(&h);

	static const char *const bad[] = {
		"[]",
		"{}",
		"{\"task_id\":\"" TASK "\",\"user_id\":\"u\",\"version\":1,\"deleted\":false,"
		"\"completed\":false,\"armed\":true,\"remind_at_ms\":\"soon\",\"fired_ms\":null,"
		"\"task\":{}}",
		"{\"task_id\":\"" TASK "\",\"user_id\":\"u\",\"version\":1,\"deleted\":false,"
		"\"completed\":false,\"armed\":true,\"remind_at_ms\":1,\"fired_ms\":null,"
		"\"task\":null}",
		"{\"task_id\":\"short\",\"user_id\":\"u\",\"version\":1,\"deleted\":true,"
		"\"completed\":false,\"armed\":false,\"remind_at_ms\":null,\"fired_ms\":null,"
		"\"task\":null}",
		/* 36 characters but 37 bytes: no UUID, and cut when copied
		 * (found by fuzz_rem_state). */
		"{\"task_id\":\"\xd0\xa6" "6f7a3e-3c1d-4f2a-9e8b-5d4c3b2a1f00\",\"user_id\":\"u\","
		"\"version\":4,\"deleted\":true,\"completed\":false,\"armed\":false,"
		"\"remind_at_ms\":null,\"fired_ms\":null,\"task\":null}",
		/* Times no double-to-integer conversion may be asked to take
		 * (found by fuzz_rem_state: undefined behaviour under UBSan). */
		"{\"task_id\":\"" TASK "\",\"user_id\":\"u\",\"version\":4,\"deleted\":true,"
		"\"completed\":false,\"armed\":false,\"remind_at_ms\":null,"
		"\"fired_ms\":1.79611e135,\"task\":null}",
		"{\"task_id\":\"" TASK "\",\"user_id\":\"u\",\"version\":4,\"deleted\":true,"
		"\"completed\":false,\"armed\":false,\"remind_at_ms\":9223372036854775808,"
		"\"fired_ms\":null,\"task\":null}",
		"{\"task_id\":\"" TASK "\",\"user_id\":\"u\",\"version\":4,\"deleted\":true,"
		"\"completed\":false,\"armed\":false,\"remind_at_ms\":1.5,\"fired_ms\":null,"
		"\"task\":null}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(rem_state_decode(bad[i], strlen(bad[i]), &back, &err), SVC_EINVAL);
		assert_null(back.root);
	}
}

/* ---- the reminder-due event ------------------------------------------------ */

static const char *str(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static void due_event_follows_the_contract(void **state)
{
	(void)state;
	struct held h = {0};
	apply(&h, "task-created", 1, "pending", LATER, T0);
	cJSON *ce = rem_due_event(&h.st, test_ms(LATER), test_ms(LATER) + 40);
	assert_non_null(ce);
	char id[37];
	rem_event_id(TASK, test_ms(LATER), id);
	assert_true(svc_uuid_valid(id));
	assert_string_equal(str(ce, "id"), id);
	assert_string_equal(str(ce, "type"), "reminder-due");
	assert_string_equal(str(ce, "source"), "reminder-service");
	assert_string_equal(str(ce, "subject"), TASK);
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(ce, "data");
	assert_string_equal(str(data, "event_id"), id);
	assert_string_equal(str(data, "user_id"), "u1");
	assert_string_equal(str(data, "remind_at"), "2026-03-01T12:05:00.000Z");
	assert_string_equal(str(data, "fired_at"), "2026-03-01T12:05:00.040Z");
	assert_string_equal(str(data, "occurred_at"), "2026-03-01T12:05:00.040Z");
	assert_string_equal(str(cJSON_GetObjectItemCaseSensitive(data, "task"), "title"),
			    "Water the plants");
	cJSON_Delete(ce);

	/* Claimed twice, fired at another moment: the same id. */
	ce = rem_due_event(&h.st, test_ms(LATER), test_ms(LATER) + 900);
	assert_string_equal(str(ce, "id"), id);
	cJSON_Delete(ce);
	/* Another time, another id. */
	char other[37];
	rem_event_id(TASK, test_ms(LATER2), other);
	assert_string_not_equal(id, other);
	drop(&h);

	/* A tombstone has no snapshot to send. */
	apply(&h, "task-deleted", 1, "pending", LATER, T0);
	assert_null(rem_due_event(&h.st, test_ms(LATER), test_ms(LATER)));
	drop(&h);
}

static void claims_parse_from_index_members(void **state)
{
	(void)state;
	struct rem_claim c;
	assert_int_equal(rem_claim_parse(TASK "|1772366400000", &c), 0);
	assert_string_equal(c.task_id, TASK);
	assert_true(c.at_ms == T0_MS);
	assert_string_equal(c.member, TASK "|1772366400000");
	assert_int_equal(rem_claim_parse(TASK "|-750", &c), 0);
	assert_true(c.at_ms == -750);
	assert_int_equal(rem_claim_parse(TASK "|", &c), -1);
	assert_int_equal(rem_claim_parse(TASK "|12x", &c), -1);
	assert_int_equal(rem_claim_parse(TASK, &c), -1);
	assert_int_equal(rem_claim_parse("abc|12", &c), -1);
	assert_int_equal(rem_claim_parse("0b6f7a3e-3c1d-4f2a-9e8b-5d4c3b2a1fzz|12", &c), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(times_parse_to_milliseconds),
		cmocka_unit_test(times_format_in_utc_with_milliseconds),
		cmocka_unit_test(event_parse_reads_the_snapshot),
		cmocka_unit_test(event_parse_refuses_what_is_not_a_task_event),
		cmocka_unit_test(created_with_a_reminder_arms_it),
		cmocka_unit_test(a_reminder_already_past_fires_at_once),
		cmocka_unit_test(moving_the_reminder_moves_it),
		cmocka_unit_test(an_edit_that_keeps_the_time_keeps_it_armed),
		cmocka_unit_test(completing_or_deleting_cancels_it),
		cmocka_unit_test(a_tombstone_ignores_everything_after_it),
		cmocka_unit_test(an_old_event_never_undoes_a_newer_one),
		cmocka_unit_test(reopening_rearms_a_reminder_still_ahead),
		cmocka_unit_test(a_reminder_fires_once_per_time),
		cmocka_unit_test(firing_records_only_its_own_time),
		cmocka_unit_test(state_round_trips_and_refuses_garbage),
		cmocka_unit_test(due_event_follows_the_contract),
		cmocka_unit_test(claims_parse_from_index_members),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
