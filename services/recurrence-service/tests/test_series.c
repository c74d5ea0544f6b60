/* The series rules that decide and merge around the calls to task-service:
 * a plan, the merge of what was made (never backwards), a skip found late,
 * and the event, which is the same however often it is built. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "recur.h"
#include "series.h"
#include "series_store.h"
#include "svc/event.h"
#include "svc/util.h"

#define SERIES "9a0b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d"
#define FIRST "6f1c2b7a-8d2e-4f10-b3a4-5c6d7e8f9a0b"

static long long at(const char *s)
{
	long long t = 0;
	assert_int_equal(svc_time_parse_rfc3339(s, &t), 0);
	return t;
}

/* A snapshot of the series' task id, due at due, with rule (NULL: none). */
static cJSON *snap(const char *id, const char *due, const char *rule)
{
	char text[512];
	snprintf(text, sizeof text,
		 "{\"id\":\"%s\",\"series_id\":\"" SERIES "\",\"user_id\":\"u1\","
		 "\"title\":\"Water the plants\",\"due_at\":\"%s\",\"occurrence_at\":\"%s\","
		 "\"time_zone\":\"UTC\",\"recur_from\":\"due\",\"version\":1}",
		 id, due, due);
	cJSON *t = cJSON_Parse(text);
	assert_non_null(t);
	if (rule)
		cJSON_AddStringToObject(t, "rrule", rule);
	return t;
}

static void row_of(struct rec_row *row, const char *due, const char *rule)
{
	cJSON *t = snap(FIRST, due, rule);
	struct svc_err e = {0};
	assert_int_equal(rec_row_from(row, t, &e), SVC_OK);
	cJSON_Delete(t);
}

static void a_completion_plans_the_next_occurrence(void **state)
{
	(void)state;
	struct rec_row row;
	row_of(&row, "2027-03-01T09:00:00Z", "FREQ=DAILY");
	cJSON *done = snap(FIRST, "2027-03-01T09:00:00Z", "FREQ=DAILY");
	struct rec_plan plan;
	struct svc_err e = {0};
	assert_int_equal(rec_row_trigger(&row, done, REC_COMPLETED, at("2026-01-01T00:00:00Z"),
					 &plan, &e),
			 SVC_OK);
	assert_true(plan.make);
	assert_string_equal(plan.occurrence_at, "2027-03-02T09:00:00Z");
	assert_int_equal(plan.at, at("2027-03-02T09:00:00Z"));
	assert_string_equal(plan.series_id, SERIES);
	assert_string_equal(plan.user_id, "u1");
	assert_string_equal(plan.previous, FIRST);
	assert_string_equal(cJSON_GetObjectItem(plan.fields, "due_at")->valuestring,
			    "2027-03-02T09:00:00Z");
	/* Planning changes nothing of the row: that waits for the answer. */
	assert_int_equal(row.generated, 1);
	assert_string_equal(row.latest_task_id, FIRST);
	rec_plan_cleanup(&plan);
	assert_null(plan.fields);

	/* Seen, or deleted when it is not the latest: nothing to make. */
	assert_int_equal(rec_row_trigger(&row, done, REC_SEEN, 0, &plan, &e), SVC_OK);
	assert_false(plan.make);
	cJSON *other = snap("11111111-2222-4333-8444-555555555555", "2027-02-01T09:00:00Z",
			    "FREQ=DAILY");
	assert_int_equal(rec_row_trigger(&row, other, REC_DELETED, 0, &plan, &e), SVC_OK);
	assert_false(plan.make);
	cJSON_Delete(other);

	/* Deleting the latest skips it: the first occurrence after now. */
	assert_int_equal(rec_row_trigger(&row, done, REC_DELETED, at("2027-03-05T10:00:00Z"), &plan,
					 &e),
			 SVC_OK);
	assert_true(plan.make);
	assert_string_equal(plan.occurrence_at, "2027-03-06T09:00:00Z");
	rec_plan_cleanup(&plan);

	/* The end of the series, and then nothing more. */
	assert_int_equal(rec_row_trigger(&row, done, REC_SERIES_ENDED, 0, &plan, &e), SVC_OK);
	assert_true(row.ended);
	assert_int_equal(rec_row_trigger(&row, done, REC_COMPLETED, 0, &plan, &e), SVC_OK);
	assert_false(plan.make);
	cJSON_Delete(done);
	rec_row_cleanup(&row);
}

static void a_rule_that_runs_out_or_is_gone_ends_the_series(void **state)
{
	(void)state;
	struct rec_row row;
	row_of(&row, "2027-05-01T09:00:00Z", "FREQ=DAILY;COUNT=2");
	struct rec_plan plan;
	struct svc_err e = {0};
	assert_int_equal(rec_row_plan(&row, row.latest_at, false, false, 0, &plan, &e), SVC_OK);
	assert_true(plan.make);
	cJSON *second = snap("11111111-2222-4333-8444-555555555555", plan.occurrence_at,
			     "FREQ=DAILY;COUNT=2");
	assert_int_equal(rec_row_made(&row, plan.at, second, true, &e), SVC_OK);
	rec_plan_cleanup(&plan);
	assert_int_equal(row.generated, 2);
	assert_int_equal(rec_row_plan(&row, row.latest_at, false, false, 0, &plan, &e), SVC_OK);
	assert_false(plan.make);
	assert_true(row.ended);
	cJSON_Delete(second);
	rec_row_cleanup(&row);

	row_of(&row, "2027-05-01T09:00:00Z", NULL);
	assert_int_equal(rec_row_plan(&row, row.latest_at, false, false, 0, &plan, &e), SVC_OK);
	assert_false(plan.make);
	assert_true(row.ended);
	rec_row_cleanup(&row);
}

/* Two workers may make occurrences of one series in any order: the row
 * counts each once and keeps the latest. */
static void what_was_made_never_moves_a_series_backwards(void **state)
{
	(void)state;
	struct rec_row row;
	row_of(&row, "2027-03-01T09:00:00Z", "FREQ=DAILY");
	struct svc_err e = {0};
	cJSON *third = snap("33333333-2222-4333-8444-555555555555", "2027-03-03T09:00:00Z",
			    "FREQ=DAILY");
	cJSON *second = snap("22222222-2222-4333-8444-555555555555", "2027-03-02T09:00:00Z",
			     "FREQ=DAILY");
	assert_int_equal(rec_row_made(&row, at("2027-03-03T09:00:00Z"), third, true, &e), SVC_OK);
	assert_int_equal(rec_row_made(&row, at("2027-03-02T09:00:00Z"), second, true, &e), SVC_OK);
	assert_int_equal(row.generated, 3);
	assert_string_equal(row.latest_task_id, "33333333-2222-4333-8444-555555555555");
	assert_int_equal(row.latest_at, at("2027-03-03T09:00:00Z"));
	/* The same occurrence recorded before (another worker got there
	 * first): not counted again. */
	assert_int_equal(rec_row_made(&row, at("2027-03-03T09:00:00Z"), third, false, &e), SVC_OK);
	assert_int_equal(row.generated, 3);
	assert_string_equal(row.latest_task_id, "33333333-2222-4333-8444-555555555555");
	cJSON_Delete(third);
	cJSON_Delete(second);
	rec_row_cleanup(&row);
}

static void a_skip_found_late_moves_past_it_only_when_ahead(void **state)
{
	(void)state;
	struct rec_row row;
	row_of(&row, "2027-03-01T09:00:00Z", "FREQ=DAILY");
	struct rec_plan plan;
	struct svc_err e = {0};
	long long now = at("2026-06-01T00:00:00Z");
	/* Made by a worker that died before it told the row, then deleted. */
	assert_int_equal(rec_row_skipped(&row, at("2027-03-02T09:00:00Z"), now, &plan, &e), SVC_OK);
	assert_true(plan.make);
	assert_string_equal(plan.occurrence_at, "2027-03-03T09:00:00Z");
	rec_plan_cleanup(&plan);
	/* A stale plan whose occurrence the series has passed: nothing. */
	cJSON *later = snap("33333333-2222-4333-8444-555555555555", "2027-03-04T09:00:00Z",
			    "FREQ=DAILY");
	assert_int_equal(rec_row_made(&row, at("2027-03-04T09:00:00Z"), later, true, &e), SVC_OK);
	assert_int_equal(rec_row_skipped(&row, at("2027-03-02T09:00:00Z"), now, &plan, &e), SVC_OK);
	assert_false(plan.make);
	row.ended = true;
	assert_int_equal(rec_row_skipped(&row, at("2027-03-09T09:00:00Z"), now, &plan, &e), SVC_OK);
	assert_false(plan.make);
	cJSON_Delete(later);
	rec_row_cleanup(&row);
}

static void the_event_is_the_same_however_often_it_is_built(void **state)
{
	(void)state;
	struct rec_row row;
	row_of(&row, "2027-03-01T09:00:00Z", "FREQ=DAILY");
	struct rec_plan plan;
	struct svc_err e = {0};
	assert_int_equal(rec_row_plan(&row, row.latest_at, false, false, 0, &plan, &e), SVC_OK);
	cJSON *task = snap("22222222-2222-4333-8444-555555555555", plan.occurrence_at, "FREQ=DAILY");
	char *one = rec_event_text(&plan, task, "2026-01-01T00:00:00Z");
	char *two = rec_event_text(&plan, task, "2026-01-01T00:05:00Z");
	assert_non_null(one);
	assert_non_null(two);
	struct svc_event a, b;
	assert_int_equal(svc_event_parse(one, strlen(one), &a, &e), SVC_OK);
	assert_int_equal(svc_event_parse(two, strlen(two), &b, &e), SVC_OK);
	assert_string_equal(a.id, b.id);
	char name[128], want[37];
	snprintf(name, sizeof name, "occurrence:%s:%lld000", SERIES, plan.at);
	svc_uuid_derive(name, want);
	assert_string_equal(a.id, want);
	assert_string_equal(a.type, "recurring-task-generated");
	assert_string_equal(a.user_id, "u1");
	const cJSON *d = a.data;
	assert_string_equal(cJSON_GetObjectItem(d, "series_id")->valuestring, SERIES);
	assert_string_equal(cJSON_GetObjectItem(d, "occurrence_at")->valuestring,
			    "2027-03-02T09:00:00Z");
	assert_string_equal(cJSON_GetObjectItem(d, "previous_task_id")->valuestring, FIRST);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "task"), "id")->valuestring,
			    "22222222-2222-4333-8444-555555555555");
	svc_event_cleanup(&a);
	svc_event_cleanup(&b);
	free(one);
	free(two);

	/* Another occurrence of the series is another event. */
	struct rec_plan next;
	assert_int_equal(rec_row_plan(&row, plan.at, false, false, 0, &next, &e), SVC_OK);
	one = rec_event_text(&next, task, "2026-01-01T00:00:00Z");
	assert_int_equal(svc_event_parse(one, strlen(one), &b, &e), SVC_OK);
	assert_string_not_equal(b.id, want);
	svc_event_cleanup(&b);
	free(one);
	rec_plan_cleanup(&next);
	rec_plan_cleanup(&plan);
	cJSON_Delete(task);
	rec_row_cleanup(&row);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_completion_plans_the_next_occurrence),
		cmocka_unit_test(a_rule_that_runs_out_or_is_gone_ends_the_series),
		cmocka_unit_test(what_was_made_never_moves_a_series_backwards),
		cmocka_unit_test(a_skip_found_late_moves_past_it_only_when_ahead),
		cmocka_unit_test(the_event_is_the_same_however_often_it_is_built),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
