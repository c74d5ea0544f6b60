#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "notify.h"
#include "svc/json.h"

#define TASK_ID "6f1c2d4e-0000-4000-8000-000000000001"

static cJSON *json(const char *text)
{
	cJSON *v = NULL;
	struct svc_err e;
	assert_int_equal(svc_json_parse(text, strlen(text), &v, &e), SVC_OK);
	return v;
}

/* ---- events -> notifications ------------------------------------------ */

static void reminder_text(void **state)
{
	(void)state;
	cJSON *data = json("{\"task\": {\"id\": \"" TASK_ID "\", \"user_id\": \"u1\","
			   " \"title\": \"Water the plants\", \"description\": \"  \","
			   " \"status\": \"pending\", \"due_at\": \"2026-05-01T19:00:00+02:00\"},"
			   " \"remind_at\": \"2026-05-01T16:30:00Z\"}");
	struct ntf_draft d;
	bool notify;
	struct svc_err e = {0};
	assert_int_equal(ntf_draft_from_event("reminder-due", "u1", data, &notify, &d, &e), SVC_OK);
	assert_true(notify);
	assert_string_equal(d.kind, "reminder");
	assert_string_equal(d.title, "Reminder: Water the plants");
	assert_string_equal(d.body, "Due Fri 1 May 2026, 17:00 UTC.");
	assert_string_equal(d.task_id, TASK_ID);
	ntf_draft_cleanup(&d);

	/* No due date: the reminder's own time. */
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(data, "task"), "due_at", cJSON_CreateNull());
	assert_int_equal(ntf_draft_from_event("reminder-due", "u1", data, &notify, &d, &e), SVC_OK);
	assert_string_equal(d.body, "You asked to be reminded at Fri 1 May 2026, 16:30 UTC.");
	ntf_draft_cleanup(&d);

	/* In the task's own time zone. */
	cJSON_AddStringToObject(cJSON_GetObjectItem(data, "task"), "time_zone", "Europe/Berlin");
	assert_int_equal(ntf_draft_from_event("reminder-due", "u1", data, &notify, &d, &e), SVC_OK);
	assert_string_equal(d.body,
			    "You asked to be reminded at Fri 1 May 2026, 18:30 (Europe/Berlin).");
	ntf_draft_cleanup(&d);
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(data, "task"), "time_zone",
				  cJSON_CreateString("America/New_York"));
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(data, "task"), "due_at",
				  cJSON_CreateString("2026-11-29T13:00:00Z"));
	assert_int_equal(ntf_draft_from_event("reminder-due", "u1", data, &notify, &d, &e), SVC_OK);
	assert_string_equal(d.body, "Due Sun 29 Nov 2026, 08:00 (America/New_York).");
	ntf_draft_cleanup(&d);

	/* A completed task is not worth a reminder. */
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(data, "task"), "status",
				  cJSON_CreateString("completed"));
	assert_int_equal(ntf_draft_from_event("reminder-due", "u1", data, &notify, &d, &e), SVC_OK);
	assert_false(notify);
	assert_null(d.title);
	cJSON_Delete(data);
}

static void description_excerpt_is_cut_at_a_character(void **state)
{
	(void)state;
	/* 300 e-acutes: the body keeps 280 of them and an ellipsis. */
	char desc[700];
	for (int i = 0; i < 300; i++)
		memcpy(desc + 2 * i, "\xc3\xa9", 2);
	desc[600] = '\0';
	cJSON *data = json("{\"task\": {\"id\": \"" TASK_ID "\", \"title\": \"T\","
			   " \"status\": \"pending\", \"due_at\": null},"
			   " \"series_id\": \"" TASK_ID "\","
			   " \"occurrence_at\": \"2026-03-29T07:00:00+00:00\"}");
	cJSON_AddStringToObject(cJSON_GetObjectItem(data, "task"), "description", desc);
	struct ntf_draft d;
	bool notify;
	struct svc_err e = {0};
	assert_int_equal(ntf_draft_from_event("recurring-task-generated", "u1", data, &notify, &d,
					      &e),
			 SVC_OK);
	assert_true(notify);
	assert_string_equal(d.kind, "recurrence");
	assert_string_equal(d.title, "Next occurrence: T");
	const char *lead = "The next occurrence of a recurring task, due Sun 29 Mar 2026, 07:00 UTC.\n\n";
	assert_memory_equal(d.body, lead, strlen(lead));
	assert_int_equal(strlen(d.body), strlen(lead) + 280 * 2 + 3);
	assert_string_equal(d.body + strlen(d.body) - 3, "\xe2\x80\xa6");
	ntf_draft_cleanup(&d);
	cJSON_Delete(data);
}

static void task_events_and_bad_events(void **state)
{
	(void)state;
	cJSON *data = json("{\"task\": {\"id\": \"" TASK_ID "\", \"title\": \"T\","
			   " \"user_id\": \"u1\"}}");
	struct ntf_draft d;
	bool notify = true;
	struct svc_err e = {0};
	const char *own[] = {"task-created", "task-updated", "task-completed", "task-deleted"};
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(ntf_draft_from_event(own[i], "u1", data, &notify, &d, &e), SVC_OK);
		assert_false(notify);
	}
	assert_int_equal(ntf_draft_from_event("nope", "u1", data, &notify, &d, &e), SVC_EINVAL);
	/* No remind_at and no due date, no user, another user's task. */
	assert_int_equal(ntf_draft_from_event("reminder-due", "u1", data, &notify, &d, &e),
			 SVC_EINVAL);
	assert_string_equal(e.field, "remind_at");
	assert_int_equal(ntf_draft_from_event("reminder-due", NULL, data, &notify, &d, &e),
			 SVC_EINVAL);
	assert_int_equal(ntf_draft_from_event("reminder-due", "u2", data, &notify, &d, &e),
			 SVC_EINVAL);
	assert_int_equal(ntf_draft_from_event("recurring-task-generated", "u1", data, &notify, &d,
					      &e),
			 SVC_EINVAL);
	assert_string_equal(e.field, "occurrence_at");
	assert_false(notify);
	cJSON_Delete(data);
}

/* ---- the list query ---------------------------------------------------- */

static enum svc_result parse_query(const char *const *kv, size_t n, struct ntf_query *q,
				   struct svc_err *e)
{
	struct svc_kv params[8] = {{0}};
	for (size_t i = 0; i < n; i++) {
		params[i].name = (char *)kv[2 * i];
		params[i].value = (char *)kv[2 * i + 1];
	}
	return ntf_query_parse(params, n, q, e);
}

static void query_defaults_and_errors(void **state)
{
	(void)state;
	struct ntf_query q;
	struct svc_err e = {0};
	assert_int_equal(parse_query(NULL, 0, &q, &e), SVC_OK);
	assert_false(q.unread);
	assert_int_equal(q.limit, 50);
	assert_false(q.ascending);
	assert_false(q.after);

	const char *ok[] = {"unread", "true", "limit", "200", "after_id", "0"};
	assert_int_equal(parse_query(ok, 3, &q, &e), SVC_OK);
	assert_true(q.unread && q.ascending && q.after);
	assert_int_equal(q.limit, 200);
	assert_int_equal(q.pos, 0);

	static const struct {
		const char *kv[4];
		size_t n;
		const char *field;
	} bad[] = {
		{{"unread", "yes"}, 1, "unread"},
		{{"limit", "0"}, 1, "limit"},
		{{"limit", "201"}, 1, "limit"},
		{{"after_id", "-1"}, 1, "after_id"},
		{{"after_id", "x"}, 1, "after_id"},
		{{"page", "2"}, 1, "page"},
		{{"limit", "5", "limit", "6"}, 2, "limit"},
		{{"cursor", "!!"}, 1, "cursor"},
		{{"after_id", "3", "cursor", "e30"}, 2, "after_id"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		e.field[0] = '\0';
		assert_int_equal(parse_query(bad[i].kv, bad[i].n, &q, &e), SVC_EINVAL);
		assert_string_equal(e.field, bad[i].field);
	}
}

static void cursor_continues_its_filter_and_order(void **state)
{
	(void)state;
	struct ntf_query q;
	struct svc_err e = {0};
	const char *first[] = {"unread", "true"};
	assert_int_equal(parse_query(first, 1, &q, &e), SVC_OK);
	char *cur = ntf_cursor_make(&q, 41);
	assert_non_null(cur);
	const char *next[] = {"cursor", cur, "unread", "true"};
	assert_int_equal(parse_query(next, 2, &q, &e), SVC_OK);
	assert_true(q.after && !q.ascending && q.unread);
	assert_int_equal(q.pos, 41);
	/* Another filter: refused. */
	const char *other[] = {"cursor", cur};
	assert_int_equal(parse_query(other, 1, &q, &e), SVC_EINVAL);
	assert_string_equal(e.field, "cursor");
	free(cur);

	/* A cursor from an after_id page goes on oldest first. */
	const char *resume[] = {"after_id", "7"};
	assert_int_equal(parse_query(resume, 1, &q, &e), SVC_OK);
	cur = ntf_cursor_make(&q, 9);
	const char *more[] = {"cursor", cur};
	assert_int_equal(parse_query(more, 1, &q, &e), SVC_OK);
	assert_true(q.after && q.ascending);
	assert_int_equal(q.pos, 9);
	free(cur);
}

/* ---- settings ---------------------------------------------------------- */

static enum svc_result parse_settings(const char *text, struct ntf_settings_patch *p,
				      struct svc_err *e, cJSON **keep)
{
	*keep = json(text);
	return ntf_settings_parse(*keep, p, e);
}

static void settings_bodies(void **state)
{
	(void)state;
	struct ntf_settings_patch p;
	struct svc_err e = {0};
	cJSON *b;
	assert_int_equal(parse_settings("{}", &p, &e, &b), SVC_OK);
	assert_false(p.has_webhook_url || p.has_email || p.has_email_enabled);
	cJSON_Delete(b);

	assert_int_equal(parse_settings("{\"webhook_url\": \"https://hooks.example.com/t?x=1\","
					" \"email\": \" Ann@Example.ORG\", \"email_enabled\": true}",
					&p, &e, &b),
			 SVC_OK);
	assert_string_equal(p.webhook_url, "https://hooks.example.com/t?x=1");
	assert_string_equal(p.email, "ann@example.org");
	assert_true(p.has_email_enabled && p.email_enabled);
	cJSON_Delete(b);

	assert_int_equal(parse_settings("{\"webhook_url\": null, \"email\": null}", &p, &e, &b),
			 SVC_OK);
	assert_true(p.has_webhook_url && !p.webhook_url && p.email_null);
	cJSON_Delete(b);

	static const struct {
		const char *body, *field;
	} bad[] = {
		{"{\"webhook\": \"https://x.example\"}", "webhook"},
		{"{\"webhook_url\": 5}", "webhook_url"},
		{"{\"webhook_url\": \"ftp://x.example/\"}", "webhook_url"},
		{"{\"webhook_url\": \"file:///etc/passwd\"}", "webhook_url"},
		{"{\"webhook_url\": \"gopher://x.example/\"}", "webhook_url"},
		{"{\"webhook_url\": \"x.example/hook\"}", "webhook_url"},
		{"{\"webhook_url\": \"https://\"}", "webhook_url"},
		{"{\"webhook_url\": \"https://user:pw@x.example/\"}", "webhook_url"},
		{"{\"webhook_url\": \"https://x.example/a b\"}", "webhook_url"},
		{"{\"webhook_url\": \"\"}", "webhook_url"},
		{"{\"email\": \"not an address\"}", "email"},
		{"{\"email\": true}", "email"},
		{"{\"email_enabled\": \"yes\"}", "email_enabled"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		e.field[0] = '\0';
		if (parse_settings(bad[i].body, &p, &e, &b) != SVC_EINVAL)
			fail_msg("accepted %s", bad[i].body);
		assert_string_equal(e.field, bad[i].field);
		cJSON_Delete(b);
	}
	char *long_url = malloc(NTF_URL_MAX + 40);
	memcpy(long_url, "https://x.example/", 18);
	memset(long_url + 18, 'a', NTF_URL_MAX);
	long_url[NTF_URL_MAX + 18] = '\0';
	assert_int_equal(ntf_webhook_url_check(long_url, &e), SVC_EINVAL);
	free(long_url);

	assert_int_equal(ntf_settings_check(true, NULL, &e), SVC_EUNPROCESSABLE);
	assert_string_equal(e.field, "email_enabled");
	assert_int_equal(ntf_settings_check(true, "a@b.co", &e), SVC_OK);
	assert_int_equal(ntf_settings_check(false, NULL, &e), SVC_OK);
}

/* ---- webhooks ---------------------------------------------------------- */

static void addresses_against_the_allow_list(void **state)
{
	(void)state;
	struct svc_nets none = {0}, allow;
	char err[160];
	assert_int_equal(svc_nets_parse("127.0.0.1/32, 10.1.0.0/16", &allow, err, sizeof err), 0);
	const char *why = NULL;
	assert_true(ntf_addr_allowed("93.184.215.14", &none, &why));
	assert_true(ntf_addr_allowed("2606:2800:21f:cb07::1", &none, &why));
	static const struct {
		const char *addr, *why;
		bool allowed;
	} cases[] = {
		{"127.0.0.1", "loopback", true},   {"127.0.0.2", "loopback", false},
		{"::1", "loopback", false},        {"::ffff:127.0.0.1", "loopback", true},
		{"10.1.2.3", "private", true},     {"10.2.0.1", "private", false},
		{"192.168.0.10", "private", false}, {"169.254.169.254", "link-local", false},
		{"0.0.0.0", "unspecified", false}, {"::", "unspecified", false},
		{"224.0.0.1", "multicast", false}, {"fe80::1", "link-local", false},
		{"fd00::2", "private", false},     {"100.64.1.1", "shared address space", false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		why = NULL;
		assert_false(ntf_addr_allowed(cases[i].addr, &none, &why));
		assert_string_equal(why, cases[i].why);
		if (ntf_addr_allowed(cases[i].addr, &allow, &why) != cases[i].allowed)
			fail_msg("%s with the allow-list", cases[i].addr);
	}
	svc_nets_cleanup(&allow);
}

static void signature_and_body(void **state)
{
	(void)state;
	char sig[NTF_SIGNATURE_BUF];
	/* Python: hmac.new(b"whsec_test", b'1700000000.{"a":1}', sha256). */
	ntf_webhook_sign("whsec_test", 1700000000LL, "{\"a\":1}", 7, sig);
	assert_string_equal(sig, "sha256=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789");
	char *body = ntf_webhook_body("e-1", "{\"id\":3,\"title\":\"x\"}");
	assert_string_equal(body, "{\"event_id\":\"e-1\",\"notification\":{\"id\":3,\"title\":\"x\"}}");
	free(body);
}

static void backoff_doubles_up_to_the_cap(void **state)
{
	(void)state;
	assert_int_equal(ntf_backoff_ms(1, 1000, 60000), 1000);
	assert_int_equal(ntf_backoff_ms(2, 1000, 60000), 2000);
	assert_int_equal(ntf_backoff_ms(3, 1000, 60000), 4000);
	assert_int_equal(ntf_backoff_ms(7, 1000, 60000), 60000);
	assert_int_equal(ntf_backoff_ms(100, 1000, 60000), 60000);
	assert_int_equal(ntf_backoff_ms(1, 5000, 3000), 3000);
}

/* ---- e-mail ------------------------------------------------------------ */

static void email_message(void **state)
{
	(void)state;
	struct ntf_mail m = {.from = "todo@example.com", .to = "ann@example.org",
			     .subject = "Reminder: Caf\xc3\xa9 \xe2\x98\x95",
			     .text = "Line one\nLine two\n", .message_id = "e-1",
			     .date = 1700000000};
	char *msg = ntf_email_message(&m);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"));
	assert_non_null(strstr(msg, "From: <todo@example.com>\r\nTo: <ann@example.org>\r\n"));
	assert_non_null(strstr(msg, "Message-ID: <e-1@todo-notifier>\r\n"));
	assert_non_null(strstr(msg, "Subject: =?UTF-8?B?UmVtaW5kZXI6IENhZsOpIOKYlQ==?=\r\n"));
	assert_non_null(strstr(msg, "Content-Transfer-Encoding: base64\r\n"));
	/* base64 of "Line one\r\nLine two\r\n" after the blank line. */
	assert_non_null(strstr(msg, "\r\n\r\nTGluZSBvbmUNCkxpbmUgdHdvDQo=\r\n"));
	/* No bare line feeds anywhere. */
	for (const char *p = msg; *p; p++)
		if (*p == '\n')
			assert_true(p > msg && p[-1] == '\r');
	free(msg);

	/* A long or unsafe subject becomes folded encoded words of at most 75
	 * columns; control characters cannot start a header of their own. */
	char subject[400];
	size_t n = (size_t)snprintf(subject, sizeof subject, "Reminder: ");
	for (int i = 0; i < 30; i++)
		n += (size_t)snprintf(subject + n, sizeof subject - n, "\xe2\x82\xac\r\nBcc: x");
	m.subject = subject;
	msg = ntf_email_message(&m);
	assert_null(strstr(msg, "\r\nBcc:"));
	const char *s = strstr(msg, "Subject: ");
	const char *end = strstr(s, "\r\nMIME-Version");
	int words = 0;
	for (const char *line = s + 9; line < end;) {
		const char *eol = strstr(line, "\r\n");
		assert_true(eol - line <= 76);
		words++;
		line = eol + 3; /* past CRLF and the folding space */
	}
	assert_true(words > 1);
	free(msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reminder_text),
		cmocka_unit_test(description_excerpt_is_cut_at_a_character),
		cmocka_unit_test(task_events_and_bad_events),
		cmocka_unit_test(query_defaults_and_errors),
		cmocka_unit_test(cursor_continues_its_filter_and_order),
		cmocka_unit_test(settings_bodies),
		cmocka_unit_test(addresses_against_the_allow_list),
		cmocka_unit_test(signature_and_body),
		cmocka_unit_test(backoff_doubles_up_to_the_cap),
		cmocka_unit_test(email_message),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
