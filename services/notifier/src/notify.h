/* Notifier rules, no I/O: which events make a notification and its text,
 * the list query and its cursor, the settings a user may save, webhook URLs
 * and target addresses, the webhook body and signature, retry backoff, and
 * the e-mail message. */
#ifndef NTF_NOTIFY_H
#define NTF_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "svc/server.h"
#include "svc/net.h"
#include "svc/result.h"
#include "svc/text.h"

#define NTF_LIMIT_DEFAULT 50
#define NTF_LIMIT_MAX 200
#define NTF_URL_MAX 2048
#define NTF_USER_MAX 63    /* a user id is a JWT sub (struct svc_claims) */
#define NTF_EXCERPT_MAX 280 /* code points of a task's description in a body */
#define NTF_SIGNATURE_BUF 72 /* "sha256=" + 64 hex digits + NUL */

/* The topics notifier subscribes to, NULL-terminated. */
extern const char *const ntf_topics[];

/* A notification about to be stored. */
struct ntf_draft {
	const char *kind; /* "reminder" or "recurrence": static */
	char *title;      /* owned; free with ntf_draft_cleanup */
	char *body;       /* owned */
	char task_id[37]; /* "" when none */
};
void ntf_draft_cleanup(struct ntf_draft *d);

/* What an event of type with data means for user_id (data.user_id, may be
 * NULL). SVC_OK and *notify true: out holds the notification to make.
 * SVC_OK and *notify false: nothing to tell (task events, whose changes
 * the user made themselves; a reminder whose task snapshot is already
 * completed). SVC_EINVAL with why in err when the event lacks what its kind
 * needs, or its type is not one of ntf_topics (a poison message). out is
 * left empty unless a notification is made. */
enum svc_result ntf_draft_from_event(const char *type, const char *user_id,
				     const cJSON *data, bool *notify, struct ntf_draft *out,
				     struct svc_err *err);

/* A parsed GET /api/notifications query. */
struct ntf_query {
	bool unread;    /* only unread ones */
	long limit;
	bool ascending; /* oldest first (after_id, or a cursor made from it) */
	bool after;     /* pos is set */
	long long pos;  /* ids above it when ascending, below it otherwise */
};

/* Parses unread=true|false, limit (1..200), cursor and after_id (>= 0);
 * after_id with cursor, unknown, repeated or bad parameters are SVC_EINVAL
 * naming the parameter. */
enum svc_result ntf_query_parse(const struct svc_kv *params, size_t n,
				struct ntf_query *out, struct svc_err *err);

/* The cursor for the page after the notification last_id, continuing q's
 * filter and order. Caller frees with free(); NULL on OOM. */
char *ntf_cursor_make(const struct ntf_query *q, long long last_id);

/* A PUT /api/me/notification-settings body: what it changes. */
struct ntf_settings_patch {
	bool has_webhook_url;
	const char *webhook_url; /* borrowed from the body; NULL clears it */
	bool has_email;
	bool email_null;                /* clears it */
	char email[SVC_EMAIL_BUF];      /* normalized */
	bool has_email_enabled;
	bool email_enabled;
};

/* Reads a settings body: only webhook_url (string or null, see
 * ntf_webhook_url_check), email (string or null, an address) and
 * email_enabled (boolean). SVC_EINVAL naming the key otherwise. *out
 * borrows from body. */
enum svc_result ntf_settings_parse(const cJSON *body, struct ntf_settings_patch *out,
				   struct svc_err *err);

/* The rule across keys, on the settings as they would be after a change:
 * email_enabled needs an email (SVC_EUNPROCESSABLE). */
enum svc_result ntf_settings_check(bool email_enabled, const char *email,
				   struct svc_err *err);

/* Checks a webhook URL's form: an absolute http or https URL of at most
 * NTF_URL_MAX printable ASCII characters with a host and no user name or
 * password. SVC_EINVAL (field webhook_url) otherwise. */
enum svc_result ntf_webhook_url_check(const char *url, struct svc_err *err);

/* True when a webhook may connect to addr: a public unicast address, or one
 * inside allow. Otherwise *why (static) says what addr is. */
bool ntf_addr_allowed(const char *addr, const struct svc_nets *allow, const char **why);

/* The webhook body {"event_id": .., "notification": <notification JSON as
 * stored>}. Caller frees with free(); NULL on OOM. */
char *ntf_webhook_body(const char *event_id, const char *notification);

/* "sha256=" and the lowercase hex HMAC-SHA256, keyed with the secret's
 * bytes, of "<ts>.<body>". */
void ntf_webhook_sign(const char *secret, long long ts, const char *body, size_t len,
		      char out[NTF_SIGNATURE_BUF]);

/* The pause before the attempt after failed attempt number attempt (1 for
 * the first): base_ms doubled each time, at most max_ms. */
long ntf_backoff_ms(int attempt, long base_ms, long max_ms);

/* An e-mail about one notification. Every string is borrowed. */
struct ntf_mail {
	const char *from;       /* an address */
	const char *to;         /* a normalized address (svc_email_normalize) */
	const char *subject;    /* UTF-8 */
	const char *text;       /* UTF-8, lines end in \n */
	const char *message_id; /* the part before '@' */
	time_t date;
};

/* The message as RFC 5322 text with CRLF line ends: the subject as
 * RFC 2047 encoded words when it is not short plain ASCII, the text as
 * base64 of UTF-8 text/plain. Caller frees with free(); NULL on OOM. */
char *ntf_email_message(const struct ntf_mail *m);

#endif
