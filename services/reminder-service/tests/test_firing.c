/* Firing a claim against a stand-in store and sidecar: it publishes once
 * and records the firing, drops what is no longer armed, moves what moved,
 * survives a concurrent writer, and leaves failures to be retried. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_store.h"
#include "firing.h"
#include "svc/dapr.h"
#include "testdata.h"

#define AT "2026-03-01T12:05:00Z"
#define AT_MS 1772366700000LL
#define LATER "2026-03-01T12:10:00Z"
#define T0 "2026-03-01T12:00:00Z"

/* The sidecar, as far as firing uses it. */
static int published;
static enum svc_result publish_fails;
static char last_event[4096];

enum svc_result svc_dapr_publish(const struct svc_dapr *d, const char *pubsub,
				 const char *topic, const char *cloudevent, size_t len,
				 const char *partition_key, struct svc_err *err)
{
	(void)d;
	(void)pubsub;
	if (publish_fails)
		return svc_err_set(err, publish_fails, NULL, "publish fails");
	assert_string_equal(topic, "reminder-due");
	assert_string_equal(partition_key, TASK);
	snprintf(last_event, sizeof last_event, "%.*s", (int)len, cloudevent);
	published++;
	return SVC_OK;
}

static struct rem_firing firing;

static int setup(void **state)
{
	(void)state;
	fake_reset();
	published = 0;
	publish_fails = SVC_OK;
	memset(&firing, 0, sizeof firing);
	firing.pubsub = "pubsub";
	firing.tick_ms = 1000;
	firing.lookahead_ms = 2000;
	firing.lease_ms = 30000;
	firing.retry_ms = 1000;
	firing.batch = 2;
	return rem_firing_start(&firing, 2);
}

static int teardown(void **state)
{
	(void)state;
	rem_firing_cleanup(&firing);
	fake_reset();
	return 0;
}

/* Stores the state the event makes of what is stored now. */
static void event(const char *type, long version, const char *status, const char *remind_at)
{
	struct rem_state old, now;
	bool have = fake.json != NULL;
	if (have)
		fake_stored(&old);
	test_state_after(have ? &old : NULL, type, version, status, remind_at, T0, &now);
	fake_store_state(&now);
	rem_state_cleanup(&now);
	if (have)
		rem_state_cleanup(&old);
}

static struct rem_claim claim_at(long long at)
{
	struct rem_claim c;
	char member[64];
	snprintf(member, sizeof member, TASK "|%lld", at);
	assert_int_equal(rem_claim_parse(member, &c), 0);
	return c;
}

static void fire(long long at)
{
	struct rem_claim c = claim_at(at);
	rem_firing_fire(&firing, &c);
}

static void an_armed_reminder_fires_once_and_is_recorded(void **state)
{
	(void)state;
	event("task-created", 1, "pending", AT);
	fire(AT_MS);
	assert_int_equal(published, 1);
	assert_non_null(strstr(last_event, "\"remind_at\":\"2026-03-01T12:05:00.000Z\""));
	assert_int_equal(fake.done, 1);
	assert_int_equal(fake.retried, 0);
	struct rem_state s;
	fake_stored(&s);
	assert_false(s.armed);
	assert_true(s.fired_ms == AT_MS);
	rem_state_cleanup(&s);
	assert_true(fake.index_at == REM_NO_TIME);
	/* Claimed again (a duplicate claim, a late tick): nothing more. */
	fire(AT_MS);
	assert_int_equal(published, 1);
	assert_int_equal(fake.done, 2);
}

static void what_is_not_armed_is_dropped(void **state)
{
	(void)state;
	fire(AT_MS); /* nothing stored */
	event("task-created", 1, "pending", AT);
	event("task-completed", 2, "completed", AT);
	fire(AT_MS);
	event("task-deleted", 2, "completed", AT);
	fire(AT_MS);
	assert_int_equal(published, 0);
	assert_int_equal(fake.done, 3);
	assert_int_equal(fake.puts, 0);
}

static void a_moved_reminder_is_indexed_at_its_new_time(void **state)
{
	(void)state;
	event("task-created", 1, "pending", AT);
	event("task-updated", 2, "pending", LATER);
	fire(AT_MS);
	assert_int_equal(published, 0);
	assert_int_equal(fake.done, 1);
	assert_true(fake.index_at == test_ms(LATER));
	assert_int_equal(fake.index_version, 2);
}

static void edit_title(void)
{
	event("task-updated", 2, "pending", AT);
}

static void complete(void)
{
	event("task-completed", 2, "completed", AT);
}

static void a_concurrent_event_is_kept_and_the_firing_still_recorded(void **state)
{
	(void)state;
	event("task-created", 1, "pending", AT);
	fake.before_put = edit_title;
	fire(AT_MS);
	assert_int_equal(published, 1);
	struct rem_state s;
	fake_stored(&s);
	assert_int_equal(s.version, 2); /* the edit survived */
	assert_false(s.armed);          /* and the firing was recorded on it */
	assert_true(s.fired_ms == AT_MS);
	rem_state_cleanup(&s);
	assert_int_equal(fake.done, 1);

	/* Completed meanwhile: it had fired already; that is recorded too. */
	fake_reset();
	event("task-created", 1, "pending", AT);
	fake.before_put = complete;
	published = 0;
	fire(AT_MS);
	assert_int_equal(published, 1);
	fake_stored(&s);
	assert_true(s.completed && s.fired_ms == AT_MS);
	rem_state_cleanup(&s);
}

static void failures_are_retried_not_lost(void **state)
{
	(void)state;
	event("task-created", 1, "pending", AT);
	publish_fails = SVC_EUNAVAIL;
	fire(AT_MS);
	assert_int_equal(fake.retried, 1);
	assert_int_equal(fake.done, 0);
	struct rem_state s;
	fake_stored(&s);
	assert_true(s.armed); /* still to fire */
	rem_state_cleanup(&s);

	/* Published, but the firing could not be recorded: tried again (the
	 * same event id, which consumers act on once). */
	publish_fails = SVC_OK;
	fake.put_fails = SVC_EUNAVAIL;
	fire(AT_MS);
	assert_int_equal(published, 1);
	assert_int_equal(fake.retried, 2);
	fake.put_fails = SVC_OK;
	fire(AT_MS);
	assert_int_equal(published, 2);
	assert_int_equal(fake.done, 1);

	fake.get_fails = SVC_ETIMEOUT;
	fire(AT_MS);
	assert_int_equal(fake.retried, 3);
}

static void a_pass_queues_claims_and_stop_gives_back_the_rest(void **state)
{
	(void)state;
	event("task-created", 1, "pending", AT);
	/* Three claims with a batch of two: the pass asks twice. */
	fake.claims[0] = claim_at(AT_MS);
	fake.claims[1] = claim_at(rem_timer_now_ms() + 60000);
	fake.claims[2] = claim_at(rem_timer_now_ms() + 60000);
	fake.nclaims = 3;
	struct svc_err err = {0};
	assert_int_equal(rem_firing_pass(&firing, true, &err), SVC_OK);
	assert_int_equal(fake.claim_calls, 2);
	for (int i = 0; i < 200 && fake.done == 0; i++)
		usleep(5000);
	assert_int_equal(published, 1);
	rem_firing_stop(&firing);
	assert_int_equal(fake.released, 2);
	/* Stopped: a late pass gives its claims straight back. */
	fake.claims[0] = claim_at(AT_MS);
	fake.nclaims = 1;
	assert_int_equal(rem_firing_pass(&firing, false, &err), SVC_OK);
	assert_int_equal(fake.released, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(an_armed_reminder_fires_once_and_is_recorded, setup,
						teardown),
		cmocka_unit_test_setup_teardown(what_is_not_armed_is_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(a_moved_reminder_is_indexed_at_its_new_time, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			a_concurrent_event_is_kept_and_the_firing_still_recorded, setup, teardown),
		cmocka_unit_test_setup_teardown(failures_are_retried_not_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(a_pass_queues_claims_and_stop_gives_back_the_rest,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
