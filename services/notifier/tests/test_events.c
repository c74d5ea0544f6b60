#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "events.h"
#include "live.h"
#include "notifier_store.h"

/* The store, Redis and the workers are boundaries: unit tests replace them.
 * The pool is real: its handles connect on their first query, which the
 * replaced store never makes. */
static struct svc_pg_pool *pool;
static int marks;
enum svc_result ntf_store_mark_event(struct svc_pg *pg, const char *event_id,
				     const char *topic, const char *user_id,
				     const char *subject, bool *first, struct svc_err *err)
{
	(void)pg;
	(void)topic;
	(void)user_id;
	(void)subject;
	check_expected(event_id);
	*first = marks++ == 0;
	enum svc_result r = mock_type(enum svc_result);
	if (r != SVC_OK)
		svc_err_set(err, r, NULL, "store says no");
	return r;
}

/* The user's lock must be held around storing and pushing, and let go. */
static int locked;
enum svc_result ntf_store_user_lock(struct svc_pg *pg, const char *user_id,
				    struct svc_err *err)
{
	(void)pg;
	(void)user_id;
	(void)err;
	assert_int_equal(locked, 0);
	locked++;
	return SVC_OK;
}

void ntf_store_user_unlock(struct svc_pg *pg, const char *user_id)
{
	(void)pg;
	(void)user_id;
	assert_int_equal(locked, 1);
	locked--;
}

enum svc_result ntf_store_notify(struct svc_pg *pg, const struct ntf_new *n, char **json,
				 int *queued, struct svc_err *err)
{
	(void)pg;
	assert_int_equal(locked, 1);
	check_expected(n->event_id);
	check_expected(n->user_id);
	check_expected(n->draft->kind);
	check_expected(n->draft->title);
	*json = NULL;
	*queued = 0;
	enum svc_result r = mock_type(enum svc_result);
	const char *made = mock_ptr_type(const char *);
	if (r != SVC_OK)
		return svc_err_set(err, r, NULL, "store says no");
	if (made) {
		*json = strdup(made);
		*queued = 1;
	}
	return SVC_OK;
}

enum svc_result ntf_live_publish(const struct svc_redis_addr *redis, const char *user_id,
				 const char *json, struct svc_err *err)
{
	(void)redis;
	assert_int_equal(locked, 1); /* pushed before the next one is stored */
	check_expected(user_id);
	check_expected(json);
	enum svc_result r = mock_type(enum svc_result);
	return r == SVC_OK ? SVC_OK : svc_err_set(err, r, NULL, "redis down");
}

static int kicks;
void ntf_deliver_kick(struct ntf_deliver *d)
{
	(void)d;
	kicks++;
}

#define EVENT_ID "0190e8a4-7b7c-8f00-9a00-000000000001"
#define TASK_ID "6f1c2d4e-0000-4000-8000-000000000001"

static struct svc_event parse(const char *id, const char *type, bool with_task)
{
	cJSON *task = NULL;
	if (with_task) {
		task = cJSON_CreateObject();
		cJSON_AddStringToObject(task, "id", TASK_ID);
		cJSON_AddStringToObject(task, "user_id", "u1");
		cJSON_AddStringToObject(task, "title", "Water the plants");
		cJSON_AddStringToObject(task, "description", "");
		cJSON_AddStringToObject(task, "status", "pending");
		cJSON_AddStringToObject(task, "due_at", "2026-05-01T17:00:00+00:00");
	}
	cJSON *ce = svc_event_build(id, type, "reminder-service", TASK_ID, "u1",
				    "2026-05-01T16:30:00Z", "task", task, NULL);
	cJSON_AddStringToObject(cJSON_GetObjectItem(ce, "data"), "remind_at",
				"2026-05-01T16:30:00+00:00");
	char *s = cJSON_PrintUnformatted(ce);
	cJSON_Delete(ce);
	struct svc_event ev;
	struct svc_err e;
	assert_int_equal(svc_event_parse(s, strlen(s), &ev, &e), SVC_OK);
	free(s);
	return ev;
}

static void expect_notify(enum svc_result r, const char *json)
{
	expect_string(ntf_store_notify, n->event_id, EVENT_ID);
	expect_string(ntf_store_notify, n->user_id, "u1");
	expect_string(ntf_store_notify, n->draft->kind, "reminder");
	expect_string(ntf_store_notify, n->draft->title, "Reminder: Water the plants");
	will_return(ntf_store_notify, r);
	will_return(ntf_store_notify, json);
}

static void reminder_is_stored_pushed_and_queued_once(void **state)
{
	(void)state;
	struct ntf_ctx ctx = {.db = pool};
	struct svc_event ev = parse(EVENT_ID, "reminder-due", true);
	kicks = 0;
	expect_notify(SVC_OK, "{\"id\":1}");
	expect_string(ntf_live_publish, user_id, "u1");
	expect_string(ntf_live_publish, json, "{\"id\":1}");
	will_return(ntf_live_publish, SVC_OK);
	assert_int_equal(ntf_on_event(&ctx, &ev, "r"), SVC_DELIVERY_SUCCESS);
	assert_int_equal(kicks, 1);
	/* A redelivery: the store made nothing, so nothing is pushed. */
	expect_notify(SVC_OK, NULL);
	assert_int_equal(ntf_on_event(&ctx, &ev, "r"), SVC_DELIVERY_SUCCESS);
	assert_int_equal(kicks, 1);
	svc_event_cleanup(&ev);
}

static void a_failed_push_still_succeeds(void **state)
{
	(void)state;
	struct ntf_ctx ctx = {.db = pool};
	struct svc_event ev = parse(EVENT_ID, "reminder-due", true);
	expect_notify(SVC_OK, "{\"id\":2}");
	expect_string(ntf_live_publish, user_id, "u1");
	expect_string(ntf_live_publish, json, "{\"id\":2}");
	will_return(ntf_live_publish, SVC_EUNAVAIL);
	assert_int_equal(ntf_on_event(&ctx, &ev, "r"), SVC_DELIVERY_SUCCESS);
	svc_event_cleanup(&ev);
}

static void store_down_means_retry(void **state)
{
	(void)state;
	struct ntf_ctx ctx = {.db = pool};
	struct svc_event ev = parse(EVENT_ID, "reminder-due", true);
	expect_notify(SVC_EUNAVAIL, NULL);
	assert_int_equal(ntf_on_event(&ctx, &ev, "r"), SVC_DELIVERY_RETRY);
	svc_event_cleanup(&ev);

	ev = parse("e1", "task-updated", true);
	expect_string(ntf_store_mark_event, event_id, "e1");
	will_return(ntf_store_mark_event, SVC_EUNAVAIL);
	assert_int_equal(ntf_on_event(&ctx, &ev, "r"), SVC_DELIVERY_RETRY);
	svc_event_cleanup(&ev);
}

static void task_events_are_recorded_only(void **state)
{
	(void)state;
	struct ntf_ctx ctx = {.db = pool};
	struct svc_event ev = parse("e1", "task-created", true);
	assert_string_equal(ntf_event_subject(&ev), TASK_ID);
	marks = 0;
	expect_string_count(ntf_store_mark_event, event_id, "e1", 2);
	will_return_count(ntf_store_mark_event, SVC_OK, 2);
	assert_int_equal(ntf_on_event(&ctx, &ev, "r"), SVC_DELIVERY_SUCCESS);
	/* A redelivery is acknowledged too (and acts no more). */
	assert_int_equal(ntf_on_event(&ctx, &ev, "r"), SVC_DELIVERY_SUCCESS);
	svc_event_cleanup(&ev);
}

static void poison_is_dropped(void **state)
{
	(void)state;
	struct ntf_ctx ctx = {.db = pool};
	struct svc_event ev = parse("e1", "something-else", true);
	assert_int_equal(ntf_on_event(&ctx, &ev, "r"), SVC_DELIVERY_DROP);
	svc_event_cleanup(&ev);
	ev = parse(EVENT_ID, "reminder-due", false); /* no task snapshot */
	assert_int_equal(ntf_on_event(&ctx, &ev, "r"), SVC_DELIVERY_DROP);
	svc_event_cleanup(&ev);
	ev = parse("not-a-uuid", "reminder-due", true);
	assert_int_equal(ntf_on_event(&ctx, &ev, "r"), SVC_DELIVERY_DROP);
	svc_event_cleanup(&ev);
}

/* A handler that finds no free handle in time asks for the event again. */
static void no_free_handle_means_retry(void **state)
{
	(void)state;
	struct ntf_ctx ctx = {.db = pool, .pg = {.wait_ms = 10}};
	struct svc_err err = {0};
	struct svc_pg *held = svc_pg_acquire(pool, 0, &err);
	assert_non_null(held);
	struct svc_event ev = parse(EVENT_ID, "reminder-due", true);
	assert_int_equal(ntf_on_event(&ctx, &ev, "r"), SVC_DELIVERY_RETRY);
	svc_event_cleanup(&ev);
	svc_pg_release(pool, held);
	assert_int_equal(svc_pg_pool_in_use(pool), 0);
}

static int pool_up(void **state)
{
	(void)state;
	pool = svc_pg_pool_new("host=127.0.0.1 port=1", 1);
	return pool ? 0 : -1;
}

static int pool_down(void **state)
{
	(void)state;
	/* Every handler gave its handle back. */
	int in_use = svc_pg_pool_in_use(pool);
	svc_pg_pool_free(pool);
	return in_use == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reminder_is_stored_pushed_and_queued_once),
		cmocka_unit_test(a_failed_push_still_succeeds),
		cmocka_unit_test(store_down_means_retry),
		cmocka_unit_test(task_events_are_recorded_only),
		cmocka_unit_test(poison_is_dropped),
		cmocka_unit_test(no_free_handle_means_retry),
	};
	return cmocka_run_group_tests(tests, pool_up, pool_down);
}
