#include "notify.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <libical/ical.h>
#include <sodium.h>

#include "svc/cursor.h"
#include "svc/json.h"
#include "svc/util.h"

const char *const ntf_topics[] = {"reminder-due", "recurring-task-generated",
				  "task-created", "task-updated", "task-completed",
				  "task-deleted", NULL};

void ntf_draft_cleanup(struct ntf_draft *d)
{
	free(d->title);
	free(d->body);
	memset(d, 0, sizeof *d);
}

/* ---- events -> notifications ------------------------------------------ */

static const char *str_of(const cJSON *o, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
}

static void ical_quiet(void)
{
	/* libical's default turns an error into abort(). */
	icalerror_set_errors_are_fatal(0);
}

/* An instant as people read it, in the task's time zone (an IANA name;
 * UTC when absent or unknown): "Fri 1 May 2026, 19:00 (Europe/Berlin)",
 * "Fri 1 May 2026, 17:00 UTC". */
static int human_time(const char *rfc3339, const char *zone_name, char *out, size_t n)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	long long epoch;
	if (!rfc3339 || svc_time_parse_rfc3339(rfc3339, &epoch) != 0)
		return -1;
	time_t t = (time_t)epoch;
	struct tm tm;
	icaltimezone *zone = NULL;
	if (zone_name && strcmp(zone_name, "UTC") != 0) {
		pthread_once(&once, ical_quiet);
		zone = icaltimezone_get_builtin_timezone(zone_name);
	}
	if (!zone) {
		if (!gmtime_r(&t, &tm) || strftime(out, n, "%a %-d %b %Y, %H:%M UTC", &tm) == 0)
			return -1;
		return 0;
	}
	struct icaltimetype local = icaltime_from_timet_with_zone(t, 0, zone);
	memset(&tm, 0, sizeof tm);
	tm.tm_year = local.year - 1900;
	tm.tm_mon = local.month - 1;
	tm.tm_mday = local.day;
	tm.tm_hour = local.hour;
	tm.tm_min = local.minute;
	tm.tm_wday = icaltime_day_of_week(local) - 1; /* libical: 1 is Sunday */
	char day[48];
	if (strftime(day, sizeof day, "%a %-d %b %Y, %H:%M", &tm) == 0)
		return -1;
	return (size_t)snprintf(out, n, "%s (%s)", day, zone_name) < n ? 0 : -1;
}

/* "<lead>", then the task's description (cut to NTF_EXCERPT_MAX code
 * points) after a blank line when it has one. NULL on OOM. */
static char *body_text(const char *lead, const char *description)
{
	struct svc_buf b;
	svc_buf_init(&b, 16384);
	svc_buf_puts(&b, lead);
	if (description && description[strspn(description, " \t\r\n")]) {
		size_t cut = svc_utf8_prefix(description, NTF_EXCERPT_MAX);
		svc_buf_puts(&b, "\n\n");
		svc_buf_append(&b, description, cut);
		if (description[cut])
			svc_buf_puts(&b, "\xe2\x80\xa6"); /* an ellipsis */
	}
	char *out = svc_buf_take(&b, NULL);
	svc_buf_cleanup(&b);
	return out;
}

static enum svc_result make_draft(const char *kind, const char *prefix, const cJSON *task,
				  const char *lead, struct ntf_draft *out, struct svc_err *err)
{
	const char *title = str_of(task, "title");
	size_t len = strlen(prefix) + strlen(title) + 1;
	out->kind = kind;
	out->title = malloc(len);
	out->body = body_text(lead, str_of(task, "description"));
	if (!out->title || !out->body) {
		ntf_draft_cleanup(out);
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	}
	snprintf(out->title, len, "%s%s", prefix, title);
	snprintf(out->task_id, sizeof out->task_id, "%s", str_of(task, "id"));
	return SVC_OK;
}

enum svc_result ntf_draft_from_event(const char *type, const char *user_id,
				     const cJSON *data, bool *notify, struct ntf_draft *out,
				     struct svc_err *err)
{
	*notify = false;
	memset(out, 0, sizeof *out);
	bool reminder = strcmp(type, "reminder-due") == 0;
	bool recurrence = strcmp(type, "recurring-task-generated") == 0;
	if (!reminder && !recurrence) {
		for (const char *const *t = ntf_topics; *t; t++)
			if (strcmp(*t, type) == 0)
				return SVC_OK; /* a task event: the user's own doing */
		return svc_err_set(err, SVC_EINVAL, NULL, "not an event notifier handles: %.64s",
				   type);
	}
	if (!user_id || strlen(user_id) > NTF_USER_MAX)
		return svc_err_set(err, SVC_EINVAL, "user_id", "%s without a valid user_id", type);
	const cJSON *task = cJSON_GetObjectItemCaseSensitive(data, "task");
	const char *id = str_of(task, "id");
	const char *title = str_of(task, "title");
	if (!id || !svc_uuid_valid(id) || !title || !*title)
		return svc_err_set(err, SVC_EINVAL, "task", "%s without a task id and title", type);
	const char *owner = str_of(task, "user_id");
	if (owner && strcmp(owner, user_id) != 0)
		return svc_err_set(err, SVC_EINVAL, "user_id", "%s: the task is another user's",
				   type);

	const char *zone = str_of(task, "time_zone");
	char when[128], lead[192];
	if (reminder) {
		const char *status = str_of(task, "status");
		if (status && strcmp(status, "completed") == 0)
			return SVC_OK; /* done already: nothing to remind of */
		const char *due = str_of(task, "due_at");
		if (due && human_time(due, zone, when, sizeof when) == 0)
			snprintf(lead, sizeof lead, "Due %s.", when);
		else if (human_time(str_of(data, "remind_at"), zone, when, sizeof when) == 0)
			snprintf(lead, sizeof lead, "You asked to be reminded at %s.", when);
		else
			return svc_err_set(err, SVC_EINVAL, "remind_at",
					   "reminder-due without a valid remind_at");
	} else {
		if (human_time(str_of(data, "occurrence_at"), zone, when, sizeof when) != 0)
			return svc_err_set(err, SVC_EINVAL, "occurrence_at",
					   "recurring-task-generated without a valid occurrence_at");
		snprintf(lead, sizeof lead, "The next occurrence of a recurring task, due %s.",
			 when);
	}
	enum svc_result r = reminder
		? make_draft("reminder", "Reminder: ", task, lead, out, err)
		: make_draft("recurrence", "Next occurrence: ", task, lead, out, err);
	*notify = r == SVC_OK;
	return r;
}

/* ---- the list query ---------------------------------------------------- */

/* The query's filter and order: a cursor only continues the one it was
 * made for. */
static void fingerprint(bool unread, bool ascending, char out[17])
{
	const char *parts[] = {unread ? "unread" : "all", ascending ? "asc" : "desc"};
	svc_fingerprint(parts, 2, out);
}

char *ntf_cursor_make(const struct ntf_query *q, long long last_id)
{
	char fp[17], key[24];
	fingerprint(q->unread, q->ascending, fp);
	snprintf(key, sizeof key, "%lld", last_id);
	return svc_cursor_make(fp, key, NULL);
}

/* A cursor of either order for q's filter; sets q's order and position. */
static enum svc_result cursor_read(const char *s, struct ntf_query *q, struct svc_err *err)
{
	for (int asc = 0; asc < 2; asc++) {
		char fp[17], key[24];
		long pos;
		fingerprint(q->unread, asc, fp);
		if (svc_cursor_read(s, fp, key, sizeof key, NULL, 0, err) != SVC_OK)
			continue;
		if (svc_parse_long(key, 0, LONG_MAX, &pos) != 0)
			return svc_err_set(err, SVC_EINVAL, "cursor", "cursor is not valid");
		q->ascending = asc;
		q->after = true;
		q->pos = pos;
		return SVC_OK;
	}
	return SVC_EINVAL; /* err says why, from the last reading */
}

enum svc_result ntf_query_parse(const struct svc_kv *params, size_t n,
				struct ntf_query *out, struct svc_err *err)
{
	static const char *const names[] = {"unread", "limit", "cursor", "after_id", NULL};
	memset(out, 0, sizeof *out);
	out->limit = NTF_LIMIT_DEFAULT;
	const char *cursor = NULL;
	enum svc_result known = svc_query_known(params, n, names, NULL, err);
	if (known != SVC_OK)
		return known;
	for (size_t i = 0; i < n; i++) {
		const char *k = params[i].name, *v = params[i].value;
		long num;
		if (strcmp(k, "unread") == 0) {
			if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
				return svc_err_set(err, SVC_EINVAL, k, "unread must be true or false");
			out->unread = strcmp(v, "true") == 0;
		} else if (strcmp(k, "limit") == 0) {
			if (svc_parse_long(v, 1, NTF_LIMIT_MAX, &out->limit) != 0)
				return svc_err_set(err, SVC_EINVAL, k, "limit must be 1 to %d",
						   NTF_LIMIT_MAX);
		} else if (strcmp(k, "after_id") == 0) {
			if (svc_parse_long(v, 0, LONG_MAX, &num) != 0)
				return svc_err_set(err, SVC_EINVAL, k,
						   "after_id must be a notification id (0 or more)");
			out->ascending = out->after = true;
			out->pos = num;
		} else {
			cursor = v;
		}
	}
	if (cursor && out->after)
		return svc_err_set(err, SVC_EINVAL, "after_id",
				   "give after_id or cursor, not both");
	/* The cursor is checked against the filter, so read it last. */
	return cursor ? cursor_read(cursor, out, err) : SVC_OK;
}

/* ---- settings ---------------------------------------------------------- */

enum svc_result ntf_webhook_url_check(const char *url, struct svc_err *err)
{
	size_t len = strlen(url);
	if (len == 0 || len > NTF_URL_MAX)
		return svc_err_set(err, SVC_EINVAL, "webhook_url",
				   "webhook_url must be 1 to %d characters", NTF_URL_MAX);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)url[i] <= ' ' || (unsigned char)url[i] >= 0x7f)
			return svc_err_set(err, SVC_EINVAL, "webhook_url",
					   "webhook_url must be printable ASCII without spaces"
					   " (percent-encode the rest)");
	CURLU *u = curl_url();
	if (!u)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	char *scheme = NULL, *host = NULL, *user = NULL, *password = NULL;
	enum svc_result r = SVC_OK;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host)
		r = svc_err_set(err, SVC_EINVAL, "webhook_url",
				"webhook_url must be an absolute URL with a host, e.g."
				" https://example.com/hooks/todo");
	else if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
		r = svc_err_set(err, SVC_EINVAL, "webhook_url", "webhook_url must be http or https");
	else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
		 curl_url_get(u, CURLUPART_PASSWORD, &password, 0) == CURLUE_OK)
		r = svc_err_set(err, SVC_EINVAL, "webhook_url",
				"webhook_url must not hold a user name or password;"
				" the signature authenticates each call");
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_free(password);
	curl_url_cleanup(u);
	return r;
}

enum svc_result ntf_settings_parse(const cJSON *body, struct ntf_settings_patch *out,
				   struct svc_err *err)
{
	static const char *const keys[] = {"webhook_url", "email", "email_enabled", NULL};
	memset(out, 0, sizeof *out);
	enum svc_result r = svc_json_only_keys(body, keys, err);
	if (r != SVC_OK)
		return r;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, "webhook_url");
	if (v) {
		out->has_webhook_url = true;
		if (!cJSON_IsNull(v)) {
			if (!cJSON_IsString(v))
				return svc_err_set(err, SVC_EINVAL, "webhook_url",
						   "webhook_url must be a string or null");
			if ((r = ntf_webhook_url_check(v->valuestring, err)) != SVC_OK)
				return r;
			out->webhook_url = v->valuestring;
		}
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(body, "email"))) {
		out->has_email = true;
		out->email_null = cJSON_IsNull(v);
		if (!cJSON_IsNull(v)) {
			if (!cJSON_IsString(v))
				return svc_err_set(err, SVC_EINVAL, "email",
						   "email must be a string or null");
			if ((r = svc_email_normalize(v->valuestring, out->email, err)) != SVC_OK)
				return r;
		}
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(body, "email_enabled"))) {
		if (!cJSON_IsBool(v))
			return svc_err_set(err, SVC_EINVAL, "email_enabled",
					   "email_enabled must be true or false");
		out->has_email_enabled = true;
		out->email_enabled = cJSON_IsTrue(v);
	}
	return SVC_OK;
}

enum svc_result ntf_settings_check(bool email_enabled, const char *email, struct svc_err *err)
{
	if (email_enabled && (!email || !*email))
		return svc_err_set(err, SVC_EUNPROCESSABLE, "email_enabled",
				   "email_enabled needs an email address to send to");
	return SVC_OK;
}

/* ---- webhooks ---------------------------------------------------------- */

bool ntf_addr_allowed(const char *addr, const struct svc_nets *allow, const char **why)
{
	const char *special = svc_addr_special(addr);
	if (!special || svc_nets_contains(allow, addr))
		return true;
	*why = special;
	return false;
}

char *ntf_webhook_body(const char *event_id, const char *notification)
{
	struct svc_buf b;
	svc_buf_init(&b, strlen(notification) + 256);
	svc_buf_puts(&b, "{\"event_id\":");
	svc_buf_json_string(&b, event_id);
	svc_buf_puts(&b, ",\"notification\":");
	svc_buf_puts(&b, notification);
	svc_buf_puts(&b, "}");
	char *out = svc_buf_take(&b, NULL);
	svc_buf_cleanup(&b);
	return out;
}

void ntf_webhook_sign(const char *secret, long long ts, const char *body, size_t len,
		      char out[NTF_SIGNATURE_BUF])
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char prefix[32];
	int n = snprintf(prefix, sizeof prefix, "%lld.", ts);
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)prefix, (size_t)n);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	memcpy(out, "sha256=", 7);
	svc_hex(mac, sizeof mac, out + 7);
}

long ntf_backoff_ms(int attempt, long base_ms, long max_ms)
{
	long ms = base_ms;
	for (int i = 1; i < attempt && ms < max_ms; i++)
		ms = ms > max_ms / 2 ? max_ms : ms * 2;
	return ms < max_ms ? ms : max_ms;
}

/* ---- e-mail ------------------------------------------------------------ */

static void base64_lines(struct svc_buf *b, const unsigned char *p, size_t n)
{
	/* 57 bytes make one 76-character line. */
	for (size_t i = 0; i < n; i += 57) {
		size_t chunk = n - i < 57 ? n - i : 57;
		char line[80];
		sodium_bin2base64(line, sizeof line, p + i, chunk, sodium_base64_VARIANT_ORIGINAL);
		svc_buf_puts(b, line);
		svc_buf_puts(b, "\r\n");
	}
}

static void subject_header(struct svc_buf *b, const char *s)
{
	size_t len = strlen(s);
	bool plain = len <= 70;
	for (size_t i = 0; plain && i < len; i++)
		plain = s[i] >= ' ' && s[i] < 0x7f;
	svc_buf_puts(b, "Subject: ");
	if (plain) {
		svc_buf_puts(b, s);
		svc_buf_puts(b, "\r\n");
		return;
	}
	/* Encoded words of at most 45 bytes of whole characters (75 columns
	 * each), one per folded line. Control characters become spaces. */
	for (size_t i = 0; i < len;) {
		size_t take = 0, cl;
		while (i + take < len) {
			svc_utf8_next((const unsigned char *)s + i + take, &cl);
			if (take + cl > 45)
				break;
			take += cl;
		}
		unsigned char chunk[45];
		for (size_t k = 0; k < take; k++)
			chunk[k] = (unsigned char)s[i + k] < ' ' ? ' ' : (unsigned char)s[i + k];
		char enc[64];
		sodium_bin2base64(enc, sizeof enc, chunk, take, sodium_base64_VARIANT_ORIGINAL);
		svc_buf_printf(b, "%s=?UTF-8?B?%s?=", i ? "\r\n " : "", enc);
		i += take;
	}
	svc_buf_puts(b, "\r\n");
}

char *ntf_email_message(const struct ntf_mail *m)
{
	struct svc_buf b, text;
	svc_buf_init(&b, 256 * 1024);
	svc_buf_init(&text, 64 * 1024);
	char date[64];
	struct tm tm;
	gmtime_r(&m->date, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	svc_buf_printf(&b, "Date: %s\r\nFrom: <%s>\r\nTo: <%s>\r\nMessage-ID: <%s@todo-notifier>\r\n",
		       date, m->from, m->to, m->message_id);
	subject_header(&b, m->subject);
	svc_buf_puts(&b, "MIME-Version: 1.0\r\n"
			 "Content-Type: text/plain; charset=utf-8\r\n"
			 "Content-Transfer-Encoding: base64\r\n"
			 "Auto-Submitted: auto-generated\r\n\r\n");
	/* Canonical text: CRLF line ends. */
	for (const char *p = m->text; *p; p++) {
		if (*p == '\n' && (p == m->text || p[-1] != '\r'))
			svc_buf_puts(&text, "\r");
		svc_buf_append(&text, p, 1);
	}
	if (!text.failed)
		base64_lines(&b, (const unsigned char *)text.data, text.len);
	char *out = text.failed ? NULL : svc_buf_take(&b, NULL);
	svc_buf_cleanup(&b);
	svc_buf_cleanup(&text);
	return out;
}
