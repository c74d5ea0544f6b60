/* The notify schema: processed events, notifications, settings, and the
 * delivery queue with its log. Every function runs on the caller's handle
 * pg, outside any transaction of the caller's; one that writes several
 * rows begins and finishes its own transaction before it returns. */
#ifndef NTF_STORE_H
#define NTF_STORE_H

#include <stdbool.h>

#include "notify.h"
#include "svc/pg.h"
#include "svc/result.h"

enum svc_result ntf_store_migrate(const char *conninfo, struct svc_err *err);

/* Records that event_id was handled. *first is true the first time only, so
 * a redelivered event acts once. */
enum svc_result ntf_store_mark_event(struct svc_pg *pg, const char *event_id,
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

/* The user's notification lock: a session advisory lock on pg, held from
 * before a notification is stored until after it is pushed live, so that
 * one user's notifications are committed and pushed in id order across
 * threads and replicas (a stream only ever moves forward, and resumes
 * after the last id it saw). It is a session lock, not a transaction: no
 * row is locked while the push goes out. Unlock on every path before pg
 * goes back to its pool (an unlock that fails closes pg's connection,
 * which ends the lock). */
enum svc_result ntf_store_user_lock(struct svc_pg *pg, const char *user_id,
				    struct svc_err *err);
void ntf_store_user_unlock(struct svc_pg *pg, const char *user_id);

/* In one transaction: records the event and, the first time only, stores
 * its notification and queues its deliveries (webhook when the user has
 * one, e-mail when email_on and the user opted in). *json receives the
 * notification JSON (caller frees with free()) when it was made now, NULL
 * for a redelivery; *queued how many deliveries were queued. */
enum svc_result ntf_store_notify(struct svc_pg *pg, const struct ntf_new *n,
				 char **json, int *queued, struct svc_err *err);

/* One page of the user's notifications, {"items": [...], "next_cursor"}
 * as JSON text in *out (caller frees with free()). */
enum svc_result ntf_store_list(struct svc_pg *pg, const char *user_id,
			       const struct ntf_query *q, char **out, struct svc_err *err);

/* Marks one of the user's notifications read (keeping the first read_at)
 * and returns it in *out (caller frees). SVC_ENOTFOUND when it is missing
 * or another user's. */
enum svc_result ntf_store_mark_read(struct svc_pg *pg, const char *user_id,
				    long long id, char **out, struct svc_err *err);

/* Marks all of the user's unread notifications read; *updated says how
 * many. */
enum svc_result ntf_store_read_all(struct svc_pg *pg, const char *user_id,
				   long *updated, struct svc_err *err);

/* The user's settings as {"webhook_url", "webhook_secret", "email",
 * "email_enabled", "updated_at"} in *out (caller frees); defaults (nulls,
 * false) for a user who never saved any. */
enum svc_result ntf_store_settings_get(struct svc_pg *pg, const char *user_id,
				       char **out, struct svc_err *err);

/* Applies a checked patch under the row's lock, makes the webhook secret
 * when a webhook URL is set and there is none yet, and returns the settings
 * as ntf_store_settings_get does. SVC_EUNPROCESSABLE (ntf_settings_check)
 * changes nothing. */
enum svc_result ntf_store_settings_put(struct svc_pg *pg, const char *user_id,
				       const struct ntf_settings_patch *p, char **out,
				       struct svc_err *err);

/* One delivery to attempt, as the queue and the user's settings say now.
 * Its strings are borrowed from the claim that holds it. */
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

struct ntf_retry {
	long base_ms;     /* pause after the first failure, doubled each time */
	long max_ms;      /* the longest pause */
	int max_attempts; /* then the delivery has failed for good */
};

/* A delivery claimed for one attempt. job's strings live as long as the
 * claim; free with ntf_claim_cleanup. */
struct ntf_claim {
	struct ntf_job job;
	char token[37];        /* proves the claim is still the holder's */
	struct pg_result *res; /* what job's strings point into */
};
void ntf_claim_cleanup(struct ntf_claim *c);

/* Claims the oldest due delivery (skipping one that another worker is
 * claiming at this moment) for lease_ms: it is the caller's to attempt
 * until then, with no transaction or row lock held meanwhile; if the
 * caller dies mid-attempt, it becomes due again when the lease runs out.
 * The job reads the user's settings as they are now. *found false when
 * none is due; *next_ms then says how long until the next one is (-1:
 * none queued). */
enum svc_result ntf_store_claim_delivery(struct svc_pg *pg, long lease_ms, struct ntf_claim *c,
					 bool *found, long *next_ms, struct svc_err *err);

/* Records the outcome of the claimed attempt, in one transaction: the
 * delivery's state (delivered, retried after a backoff, failed for good,
 * cancelled) and the attempt in the log. SVC_ECONFLICT, with nothing
 * written, when the claim is no longer the caller's (its lease ran out and
 * another worker claimed it). */
enum svc_result ntf_store_record_delivery(struct svc_pg *pg, const struct ntf_retry *retry,
					  const struct ntf_claim *c, const struct ntf_outcome *o,
					  struct svc_err *err);

#endif
