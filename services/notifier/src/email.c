#include "email.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "svc/util.h"

struct reader {
	const char *data;
	size_t left;
};

static size_t on_read(char *p, size_t size, size_t n, void *arg)
{
	struct reader *r = arg;
	size_t take = size * n < r->left ? size * n : r->left;
	memcpy(p, r->data, take);
	r->data += take;
	r->left -= take;
	return take;
}

/* The message text: the notification, and why it came. NULL on OOM. */
static char *mail_text(const struct ntf_job *job)
{
	struct svc_buf b;
	svc_buf_init(&b, 64 * 1024);
	svc_buf_printf(&b, "%s\n\n%s\n\n-- \nYou get this e-mail because e-mail notifications"
			   " are on in your todo settings.\n",
		       job->title, job->body);
	char *out = svc_buf_take(&b, NULL);
	svc_buf_cleanup(&b);
	return out;
}

void ntf_email_deliver(const struct ntf_email_cfg *cfg, const struct ntf_job *job,
		       struct ntf_outcome *out)
{
	out->result = NTF_CANCELLED;
	if (!cfg->smtp_url) {
		snprintf(out->error, sizeof out->error, "e-mail is not configured (SMTP_URL)");
		return;
	}
	if (!job->email) {
		snprintf(out->error, sizeof out->error, "the user has turned e-mail off");
		return;
	}
	out->result = NTF_FAILED;
	snprintf(out->target, sizeof out->target, "smtp:%s", job->email);
	char *text = mail_text(job);
	struct ntf_mail m = {.from = cfg->from, .to = job->email, .subject = job->title,
			     .text = text ? text : "", .message_id = job->event_id,
			     .date = time(NULL)};
	char *msg = text ? ntf_email_message(&m) : NULL;
	CURL *c = msg ? curl_easy_init() : NULL;
	if (!c) {
		free(text);
		free(msg);
		snprintf(out->error, sizeof out->error, "out of memory");
		return;
	}
	char from[300], to[300];
	snprintf(from, sizeof from, "<%s>", cfg->from);
	snprintf(to, sizeof to, "<%s>", job->email);
	struct curl_slist *rcpt = curl_slist_append(NULL, to);
	struct reader rd = {msg, strlen(msg)};
	curl_easy_setopt(c, CURLOPT_URL, cfg->smtp_url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &rd);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)rd.left);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, cfg->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			 cfg->timeout_ms < 5000 ? cfg->timeout_ms : 5000L);
	long long t0 = svc_now_ms();
	CURLcode rc = curl_easy_perform(c);
	out->duration_ms = (long)(svc_now_ms() - t0);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	if (rc == CURLE_OK)
		out->result = NTF_SENT;
	else
		snprintf(out->error, sizeof out->error, "SMTP: %s", curl_easy_strerror(rc));
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(c);
	free(text);
	free(msg);
}
