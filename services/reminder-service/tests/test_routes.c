/* The task event handler against a stand-in store: it applies events under
 * the ETag, indexes what it stored, redoes on a conflict, says the index
 * again for a repeated event, and answers RETRY or DROP as it should. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_store.h"
#include "routes.h"
#include "testdata.h"

#define T0 "2026-03-01T12:00:00Z"
#define PAST "2026-03-01T12:05:00Z"
#define FUTURE "2099-03-01T12:05:00Z"

/* Claim passes the handler asks for. */
static int passes;
enum svc_result rem_firing_pass(struct rem_firing *f, bool cron, struct svc_err *err)
{
	(void)f;
	(void)err;
	assert_false(cron);
	passes++;
	return SVC_OK;
}

static struct rem_firing firing = {.lookahead_ms = 2000};

static int setup(void **state)
{
	(void)state;
	fake_reset();
	passes = 0;
	return 0;
}

static enum svc_delivery deliver_data(const char *type, cJSON *data)
{
	/* svc_event_build wants the snapshot apart: take it out of data. */
	cJSON *task = cJSON_DetachItemFromObject(data, "task");
	cJSON *ce = svc_event_build("6f1c2b9e-1d2a-4c3b-8e4f-0a1b2c3d4e5f", type, "task-service",
				    TASK, "u1", T0, "task", task, NULL);
	cJSON_Delete(data);
	char *text = cJSON_PrintUnformatted(ce);
	cJSON_Delete(ce);
	struct svc_event ev;
	struct svc_err err = {0};
	assert_int_equal(svc_event_parse(text, strlen(text), &ev, &err), SVC_OK);
	free(text);
	enum svc_delivery d = rem_on_task_event(&firing, &ev, "req");
	svc_event_cleanup(&ev);
	return d;
}

static enum svc_delivery deliver(const char *type, long version, const char *status,
				 const char *remind_at)
{
	return deliver_data(type, test_event_data(version, status, remind_at, T0));
}

static void an_event_is_stored_then_indexed(void **state)
{
	(void)state;
	assert_int_equal(deliver("task-created", 1, "pending", FUTURE), SVC_DELIVERY_SUCCESS);
	assert_int_equal(fake.puts, 1);
	assert_true(fake.index_at == test_ms(FUTURE));
	assert_int_equal(fake.index_version, 1);
	assert_int_equal(passes, 0); /* far ahead: the ticks will claim it */
	/* Moved into the past: indexed there, and claimed at once. */
	assert_int_equal(deliver("task-updated", 2, "pending", PAST), SVC_DELIVERY_SUCCESS);
	assert_true(fake.index_at == test_ms(PAST));
	assert_int_equal(passes, 1);
	/* Deleted: a tombstone, out of the index. */
	assert_int_equal(deliver("task-deleted", 2, "pending", PAST), SVC_DELIVERY_SUCCESS);
	struct rem_state s;
	fake_stored(&s);
	assert_true(s.deleted);
	rem_state_cleanup(&s);
	assert_true(fake.index_at == REM_NO_TIME);
}

static void a_stale_event_restates_the_index_and_changes_nothing(void **state)
{
	(void)state;
	assert_int_equal(deliver("task-updated", 2, "pending", FUTURE), SVC_DELIVERY_SUCCESS);
	fake.index_at = 0;
	fake.index_version = 0;
	assert_int_equal(deliver("task-created", 1, "pending", PAST), SVC_DELIVERY_SUCCESS);
	assert_int_equal(fake.puts, 1);
	assert_true(fake.index_at == test_ms(FUTURE));
	assert_int_equal(fake.index_version, 2);
	assert_int_equal(passes, 0);
}

static void newer_than_ours(void)
{
	struct rem_state s;
	test_state_after(NULL, "task-completed", 3, "completed", FUTURE, T0, &s);
	fake_store_state(&s);
	rem_state_cleanup(&s);
}

static void a_conflict_is_redone_on_the_newer_state(void **state)
{
	(void)state;
	assert_int_equal(deliver("task-created", 1, "pending", FUTURE), SVC_DELIVERY_SUCCESS);
	fake.before_put = newer_than_ours;
	assert_int_equal(deliver("task-updated", 2, "pending", PAST), SVC_DELIVERY_SUCCESS);
	struct rem_state s;
	fake_stored(&s);
	assert_int_equal(s.version, 3); /* ours (v2) lost to v3, as it should */
	assert_true(s.completed && !s.armed);
	rem_state_cleanup(&s);
	assert_true(fake.index_at == REM_NO_TIME);
	/* First sight racing another first sight: the insert conflicts too. */
	fake_reset();
	fake.before_put = newer_than_ours;
	assert_int_equal(deliver("task-created", 1, "pending", FUTURE), SVC_DELIVERY_SUCCESS);
	fake_stored(&s);
	assert_int_equal(s.version, 3);
	rem_state_cleanup(&s);
}

static void failures_retry_and_the_redelivery_completes(void **state)
{
	(void)state;
	fake.get_fails = SVC_EUNAVAIL;
	assert_int_equal(deliver("task-created", 1, "pending", FUTURE), SVC_DELIVERY_RETRY);
	fake.get_fails = SVC_OK;
	fake.put_fails = SVC_ETIMEOUT;
	assert_int_equal(deliver("task-created", 1, "pending", FUTURE), SVC_DELIVERY_RETRY);
	fake.put_fails = SVC_OK;
	/* Stored, but the index write failed: RETRY, and the redelivery (now
	 * stale) writes the index. */
	fake.index_fails = SVC_EUNAVAIL;
	assert_int_equal(deliver("task-created", 1, "pending", FUTURE), SVC_DELIVERY_RETRY);
	assert_int_equal(fake.puts, 1);
	fake.index_fails = SVC_OK;
	assert_int_equal(deliver("task-created", 1, "pending", FUTURE), SVC_DELIVERY_SUCCESS);
	assert_true(fake.index_at == test_ms(FUTURE));
	assert_int_equal(fake.puts, 1);
}

static void what_is_not_a_task_event_is_dropped(void **state)
{
	(void)state;
	assert_int_equal(deliver("reminder-due", 1, "pending", FUTURE), SVC_DELIVERY_DROP);
	assert_int_equal(deliver("task-created", 1, "pending", "soon"), SVC_DELIVERY_DROP);
	cJSON *d = test_event_data(1, "pending", FUTURE, T0);
	cJSON_DeleteItemFromObject(cJSON_GetObjectItem(d, "task"), "version");
	assert_int_equal(deliver_data("task-created", d), SVC_DELIVERY_DROP);
	assert_int_equal(fake.gets, 0);
	assert_int_equal(fake.puts, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(an_event_is_stored_then_indexed, setup),
		cmocka_unit_test_setup(a_stale_event_restates_the_index_and_changes_nothing, setup),
		cmocka_unit_test_setup(a_conflict_is_redone_on_the_newer_state, setup),
		cmocka_unit_test_setup(failures_retry_and_the_redelivery_completes, setup),
		cmocka_unit_test_setup(what_is_not_a_task_event_is_dropped, setup),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	fake_reset();
	return rc;
}
