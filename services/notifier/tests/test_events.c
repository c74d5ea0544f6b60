#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "events.h"

/* The store is a boundary: unit tests replace it. */
static int marks;
enum svc_result ntf_store_mark_event(const char *conninfo, const char *event_id,
				     const char *topic, const char *user_id,
				     const char *subject, bool *first, struct svc_err *err)
{
	(void)conninfo;
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

static struct svc_event parse(const char *type)
{
	cJSON *task = cJSON_CreateObject();
	cJSON_AddStringToObject(task, "id", "t1");
	cJSON *ce = svc_event_build("e1", type, "task-service", "t1", "u1",
				    "2026-01-01T00:00:00Z", "task", task, NULL);
	char *s = cJSON_PrintUnformatted(ce);
	cJSON_Delete(ce);
	struct svc_event ev;
	struct svc_err e;
	assert_int_equal(svc_event_parse(s, strlen(s), &ev, &e), SVC_OK);
	free(s);
	return ev;
}

static void records_and_succeeds(void **state)
{
	(void)state;
	struct ntf_ctx ctx = {0};
	struct svc_event ev = parse("task-created");
	assert_string_equal(ntf_event_subject(&ev), "t1");
	marks = 0;
	expect_string_count(ntf_store_mark_event, event_id, "e1", 2);
	will_return_count(ntf_store_mark_event, SVC_OK, 2);
	assert_int_equal(ntf_on_event(&ctx, &ev, "r"), SVC_DELIVERY_SUCCESS);
	/* A redelivery is acknowledged too (and acts no more). */
	assert_int_equal(ntf_on_event(&ctx, &ev, "r"), SVC_DELIVERY_SUCCESS);
	svc_event_cleanup(&ev);
}

static void store_down_means_retry(void **state)
{
	(void)state;
	struct ntf_ctx ctx = {0};
	struct svc_event ev = parse("task-updated");
	expect_string(ntf_store_mark_event, event_id, "e1");
	will_return(ntf_store_mark_event, SVC_EUNAVAIL);
	assert_int_equal(ntf_on_event(&ctx, &ev, "r"), SVC_DELIVERY_RETRY);
	svc_event_cleanup(&ev);
}

static void unknown_type_is_dropped(void **state)
{
	(void)state;
	struct ntf_ctx ctx = {0};
	struct svc_event ev = parse("something-else");
	assert_int_equal(ntf_on_event(&ctx, &ev, "r"), SVC_DELIVERY_DROP);
	svc_event_cleanup(&ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(records_and_succeeds),
		cmocka_unit_test(store_down_means_retry),
		cmocka_unit_test(unknown_type_is_dropped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
