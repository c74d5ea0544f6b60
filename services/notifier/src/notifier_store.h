/* The notify schema: processed events, notifications, settings, and the
 * delivery queue with its log. Every function runs on the calling thread's
 * own connection. */
#ifndef NTF_STORE_H
#define NTF_STORE_H

#include <stdbool.h>

#include "notify.h"
#include "svc/result.h"

enum svc_result ntf_store_migrate(const char *conninfo, struct svc_err *err);

/* Records that event_id was handled. *first is true the first time only, so
 * a redelivered event acts once. */
enum svc_result ntf_store_mark_event(const char *conninfo, const char *event_id,
				     const char *topic, const char *user_id,
				     const char *subject, bool *first,
				     struct svc_err *err);

/* An event that makes a notification. Everything is borrowed. */
struct ntf_new {
	const char *event_id;
	const char *topic;
	const char *user_id;
	const struct ntf_draft *draft;
	bool email_on; /* SMTP is configured: queue e-mail for users who opted in */
};

/* The user's notification lock: a session advisory lock on this thread's
 * connection, held from before a notification is stored until after it is
 * pushed live, so that one user's notifications are committed and pushed
 * in id order across threads and replicas (a stream only ever moves
 * forward, and resumes after the last id it saw). Unlock on every path. */
enum svc_result ntf_store_user_lock(const char *conninfo, const char *user_id,
				    struct svc_err *err);
void ntf_store_user_unlock(const char *conninfo, const char *user_id);

/* In one transaction: records the event and, the first time only, stores
 * its notification and queues its deliveries (webhook when the user has
 * one, e-mail when email_on and the user opted in). *json receives the
 * notification JSON (caller frees with free()) when it was made now, NULL
 * for a redelivery; *queued how many deliveries were queued. */
enum svc_result ntf_store_notify(const char *conninfo, const struct ntf_new *n,
				 char **json, int *queued, struct svc_err *err);

/* One page of the user's notifications, {"items": [...], "next_cursor"}
 * as JSON text in *out (caller frees with free()). */
enum svc_result ntf_store_list(const char *conninfo, const char *user_id,
			       const struct ntf_query *q, char **out, struct svc_err *err);

/* Marks one of the user's notifications read (keeping the first read_at)
 * and returns it in *out (caller frees). SVC_ENOTFOUND when it is missing
 * or another user's. */
enum svc_result ntf_store_mark_read(const char *conninfo, const char *user_id,
				    long long id, char **out, struct svc_err *err);

/* Marks all of the user's unread notifications read; *updated says how
 * many. */
enum svc_result ntf_store_read_all(const char *conninfo, const char *user_id,
				   long *updated, struct svc_err *err);

/* The user's settings as {"webhook_url", "webhook_secret", "email",
 * "email_enabled", "updated_at"} in *out (caller frees); defaults (nulls,
 * false) for a user who never saved any. */
enum svc_result ntf_store_settings_get(const char *conninfo, const char *user_id,
				       char **out, struct svc_err *err);

/* Applies a checked patch under the row's lock, makes the webhook secret
 * when a webhook URL is set and there is none yet, and returns the settings
 * as ntf_store_settings_get does. SVC_EUNPROCESSABLE (ntf_settings_check)
 * changes nothing. */
enum svc_result ntf_store_settings_put(const char *conninfo, const char *user_id,
				       const struct ntf_settings_patch *p, char **out,
				       struct svc_err *err);

/* One delivery to attempt, as the queue and the user's settings say now.
 * Everything is borrowed until the deliver function returns. */
struct ntf_job {
	long long delivery_id;
	const char *channel; /* "webhook" or "email" */
	int attempt;         /* this attempt's number, from 1 */
	const char *event_id;
	const char *notification; /* its JSON */
	const char *title;
	const char *body;
	const char *webhook_url;    /* NULL: the user has none now */
	const char *webhook_secret;
	const char *email;          /* NULL unless the user still opts in */
};

enum ntf_result {
	NTF_SENT,      /* delivered */
	NTF_FAILED,    /* try again after a backoff (until the attempts run out) */
	NTF_REFUSED,   /* never possible (a forbidden target): give up now */
	NTF_CANCELLED, /* not wanted any more (setting removed): no attempt made */
};

struct ntf_outcome {
	enum ntf_result result;
	long status;        /* HTTP status or SMTP reply code; 0 when none */
	char target[300];   /* where it went (URL, "smtp:<address>") */
	char error[256];    /* why not, "" when sent */
	long duration_ms;
};

typedef void (*ntf_deliver_fn)(void *arg, const struct ntf_job *job, struct ntf_outcome *out);

struct ntf_retry {
	long base_ms;     /* pause after the first failure, doubled each time */
	long max_ms;      /* the longest pause */
	int max_attempts; /* then the delivery has failed for good */
};

/* Claims the oldest due delivery (skipping any another worker holds),
 * calls deliver for it while holding its row lock, and records the outcome
 * and the attempt in the delivery log in the same transaction, so a
 * delivery succeeds at most once even with several workers and replicas.
 * *did tells whether there was one; when there was none *next_ms says how
 * long until the next one is due (-1: none queued). */
enum svc_result ntf_store_deliver_next(const char *conninfo, const struct ntf_retry *retry,
				       ntf_deliver_fn deliver, void *arg, bool *did,
				       long *next_ms, struct svc_err *err);

#endif
