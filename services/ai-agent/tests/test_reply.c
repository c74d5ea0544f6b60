#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agt_test.h"
#include "reply.h"
#include "svc/util.h"

/* Thursday, 5 March 2026, 14:30 in New York. */
static struct agt_now now_ny(void)
{
	struct agt_now n;
	long long t = 0;
	svc_time_parse_rfc3339("2026-03-05T14:30:00-05:00", &t);
	assert_int_equal(agt_now_init(&n, t, "America/New_York"), SVC_OK);
	return n;
}

#define TASK(title, extra)                                                                         \
	"{\"id\":\"11111111-1111-4111-8111-111111111111\",\"title\":\"" title "\","                \
	"\"status\":\"pending\",\"priority\":\"medium\",\"tags\":[],\"due_at\":null,"              \
	"\"remind_at\":null,\"remind_before_minutes\":null,\"rrule\":null" extra "}"

static void rules_in_words(void **state)
{
	(void)state;
	struct agt_now now = now_ny();
	const char *cases[][2] = {
		{"FREQ=DAILY", "every day"},
		{"FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "every weekday"},
		{"RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", "every other week on Monday"},
		{"FREQ=WEEKLY;BYDAY=MO,TH", "every Monday and Thursday"},
		{"FREQ=MONTHLY;BYMONTHDAY=15", "every month on the 15th"},
		{"FREQ=MONTHLY;BYMONTHDAY=-1", "every month on the last day"},
		{"FREQ=MONTHLY;BYDAY=1MO", "every month on the first Monday"},
		{"FREQ=MONTHLY;BYDAY=-1FR", "every month on the last Friday"},
		{"FREQ=YEARLY;BYMONTH=6;BYMONTHDAY=12", "every year on June 12"},
		{"FREQ=HOURLY;INTERVAL=8", "every 8 hours"},
		{"FREQ=WEEKLY;BYDAY=FR;UNTIL=20270101T045959Z",
		 "every Friday, until December 31, 2026"},
		{"FREQ=DAILY;COUNT=10", "every day, 10 times"},
	};
	char out[200];
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		assert_true(agt_rrule_words(cases[i][0], &now, out, sizeof out));
		assert_string_equal(out, cases[i][1]);
	}
	const char *other[] = {"FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU",
			       "FREQ=SECONDLY",
			       "",
			       "FREQ=WEEKLY;BYDAY=2MO,TU",
			       "FREQ=DAILY;INTERVAL=0",
			       "nonsense",
			       "FREQ=YEARLY;BYMONTH=6"};
	for (size_t i = 0; i < sizeof other / sizeof *other; i++) {
		assert_false(agt_rrule_words(other[i], &now, out, sizeof out));
		assert_string_equal(out, "");
	}
}

static void fields(void **state)
{
	(void)state;
	struct agt_now now = now_ny();
	char out[512];
	cJSON *t =
		agt_test_json("{\"title\":\"Call\",\"status\":\"pending\",\"priority\":\"high\","
			      "\"tags\":[\"health\"],\"due_at\":\"2026-03-10T14:00:00Z\","
			      "\"remind_at\":\"2026-03-10T13:00:00Z\",\"remind_before_minutes\":60,"
			      "\"rrule\":null}");
	agt_fields_words(t, true, &now, out, sizeof out);
	assert_string_equal(out, ", due Tuesday, March 10 at 10:00, high priority, tagged #health, "
				 "with a reminder 1 hour before");
	cJSON_Delete(t);
	/* A plain task says nothing; changes say what they clear. */
	t = agt_test_json(TASK("Plain", ""));
	assert_int_equal(agt_fields_words(t, true, &now, out, sizeof out), 0);
	cJSON_Delete(t);
	t = agt_test_json("{\"due_at\":null,\"remind_at\":null,\"rrule\":null,\"tags\":[],"
			  "\"description\":null}");
	agt_fields_words(t, false, &now, out, sizeof out);
	assert_string_equal(out, ", with no due date, not repeating, with no tags, with no "
				 "reminder, with no note");
	cJSON_Delete(t);
}

static char *reply_for(const char *tool, const char *args, const char *result, enum svc_result r,
		       const char *message)
{
	struct agt_now now = now_ny();
	cJSON *a = agt_test_json(args);
	cJSON *res = result ? agt_test_json(result) : NULL;
	struct svc_err err = {0};
	if (message)
		svc_err_set(&err, r, NULL, "%s", message);
	char *s = agt_call_reply(tool, a, res, r, &err, &now);
	cJSON_Delete(a);
	cJSON_Delete(res);
	return s;
}

static void expect_reply(const char *tool, const char *args, const char *result, enum svc_result r,
			 const char *message, const char *want)
{
	char *got = reply_for(tool, args, result, r, message);
	if (strcmp(got, want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", tool, got, want);
	free(got);
}

static void call_replies(void **state)
{
	(void)state;
	expect_reply("add_task", "{\"title\":\"call the dentist\"}",
		     "{\"task\":{\"id\":\"1\",\"title\":\"call the dentist\",\"priority\":\"high\","
		     "\"tags\":[],\"due_at\":\"2026-03-10T14:00:00Z\",\"remind_before_minutes\":60,"
		     "\"remind_at\":\"2026-03-10T13:00:00Z\",\"rrule\":null}}",
		     SVC_OK, NULL,
		     "Added \u201c"
		     "call the dentist\u201d, due Tuesday, March 10 at 10:00, high "
		     "priority, with a reminder 1 hour before.");
	expect_reply("complete_task", "{\"task_id\":\"1\"}", "{\"task\":" TASK("Pay rent", "") "}",
		     SVC_OK, NULL, "Marked \u201cPay rent\u201d as done.");
	expect_reply("reopen_task", "{\"task_id\":\"1\"}", "{\"task\":" TASK("Pay rent", "") "}",
		     SVC_OK, NULL, "Reopened \u201cPay rent\u201d.");
	expect_reply("delete_task", "{\"title\":\"standup\",\"end_series\":true}",
		     "{\"deleted\":true,\"task\":" TASK("Standup", "") "}", SVC_OK, NULL,
		     "Deleted \u201cStandup\u201d and ended its series.");
	expect_reply("update_task",
		     "{\"title\":\"groceries\",\"changes\":{\"title\":\"Buy food\"}}",
		     "{\"task\":" TASK("Buy food", "") "}", SVC_OK, NULL,
		     "Renamed \u201cgroceries\u201d to \u201c"
		     "Buy food\u201d.");
	expect_reply("update_task",
		     "{\"task_id\":\"1\",\"changes\":{\"due_at\":\"2026-03-06T15:00:00-05:00\"},"
		     "\"add_tags\":[\"home\"]}",
		     "{\"task\":{\"id\":\"1\",\"title\":\"Call\",\"tags\":[\"home\"],"
		     "\"due_at\":\"2026-03-06T20:00:00Z\"}}",
		     SVC_OK, NULL,
		     "Updated \u201c"
		     "Call\u201d: due tomorrow at 15:00, tagged #home.");
	expect_reply("complete_task", "{\"title\":\"gym\"}", NULL, SVC_ENOTFOUND,
		     "No task is called \u201cgym\u201d.",
		     "I could not complete the task \u201cgym\u201d: No task is called "
		     "\u201cgym\u201d.");
	expect_reply(
		"complete_task", "{\"title\":\"report\"}", NULL, SVC_ECONFLICT,
		"2 tasks match: \u201cWrite the report\u201d and \u201cRead the report\u201d. "
		"Which one?",
		"I could not complete the task \u201creport\u201d: 2 tasks match: \u201cWrite the "
		"report\u201d and \u201cRead the report\u201d. Which one?");
	expect_reply("add_task", "{\"title\":\"x\"}", NULL, SVC_EUNAVAIL, NULL,
		     "I could not add \u201cx\u201d: unavailable");
}

static void lists(void **state)
{
	(void)state;
	const char *page =
		"{\"items\":[{\"id\":\"a1\",\"title\":\"Call\",\"status\":\"pending\","
		"\"priority\":\"high\",\"tags\":[],\"due_at\":\"2026-03-10T14:00:00Z\"},"
		"{\"id\":\"b2\",\"title\":\"Pay rent\",\"status\":\"completed\",\"priority\":"
		"\"medium\",\"tags\":[\"home\"],\"due_at\":null}],\"next_cursor\":\"c\"}";
	expect_reply("list_tasks", "{}", page, SVC_OK, NULL,
		     "2 tasks:\n1. Call \u2014 due Tuesday, March 10 at 10:00, high priority\n"
		     "2. Pay rent \u2014 tagged #home (done)\n"
		     "There are more; narrow the list to see them.");
	expect_reply("list_tasks", "{}", "{\"items\":[],\"next_cursor\":null}", SVC_OK, NULL,
		     "You have no tasks that match.");
	expect_reply("search_tasks", "{\"q\":\"milk\"}", "{\"items\":[],\"next_cursor\":null}",
		     SVC_OK, NULL, "No tasks match \u201cmilk\u201d.");
	/* The numbers shown are the next turn's positions. */
	cJSON *res = agt_test_json(page);
	struct agt_task_ref refs[4];
	assert_int_equal(agt_listed_from_result(res, refs, 4), 2);
	assert_string_equal(refs[1].id, "b2");
	assert_string_equal(refs[1].title, "Pay rent");
	assert_int_equal(agt_listed_from_result(res, refs, 1), 1);
	assert_false(agt_touched_from_result(res, refs));
	cJSON_Delete(res);
	res = agt_test_json("{\"task\":" TASK("Pay rent", "") "}");
	assert_true(agt_touched_from_result(res, refs));
	assert_string_equal(refs[0].title, "Pay rent");
	cJSON_Delete(res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rules_in_words),
		cmocka_unit_test(fields),
		cmocka_unit_test(call_replies),
		cmocka_unit_test(lists),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
