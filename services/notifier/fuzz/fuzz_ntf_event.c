/* An event as notifier receives it (a CloudEvent body): what notification
 * it makes (ntf_draft_from_event: the task's title, description and times
 * in its time zone), and the e-mail and webhook body made from that. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "notify.h"
#include "svc/event.h"
#include "svc/json.h"

/* An RFC 5322 message: CRLF line ends only, no line over 998 bytes, and
 * the header (up to the first empty line) in ASCII. */
static void check_mail(const char *m)
{
	const char *body = strstr(m, "\r\n\r\n");
	SVC_FUZZ_CHECK(body != NULL);
	for (const char *p = m, *line = m; *p; p++) {
		SVC_FUZZ_CHECK(*p != '\r' || p[1] == '\n');
		SVC_FUZZ_CHECK(*p != '\n' || (p > m && p[-1] == '\r'));
		SVC_FUZZ_CHECK(p > body || (unsigned char)*p < 0x80);
		if (*p == '\n')
			line = p + 1;
		SVC_FUZZ_CHECK(p - line < 998);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct svc_event ev;
	struct svc_err err = {0};
	if (svc_event_parse((const char *)data, size, &ev, &err) != SVC_OK)
		return 0;
	struct ntf_draft d;
	bool notify = false;
	if (ntf_draft_from_event(ev.type, ev.user_id, ev.data, &notify, &d, &err) == SVC_OK &&
	    notify) {
		SVC_FUZZ_CHECK(d.title && d.body && strlen(d.task_id) == 36);
		SVC_FUZZ_CHECK(svc_utf8_valid(d.title, strlen(d.title)) &&
			       svc_utf8_valid(d.body, strlen(d.body)));
		struct ntf_mail mail = {.from = "todo@example.org", .to = "me@example.com",
					.subject = d.title, .text = d.body,
					.message_id = ev.id, .date = 1767225600};
		char *m = ntf_email_message(&mail);
		SVC_FUZZ_CHECK(m != NULL);
		check_mail(m);
		free(m);
		free(ntf_webhook_body(ev.id, "{\"id\":1}"));
		ntf_draft_cleanup(&d);
	} else {
		SVC_FUZZ_CHECK(!notify && d.title == NULL);
	}
	svc_event_cleanup(&ev);
	return 0;
}
