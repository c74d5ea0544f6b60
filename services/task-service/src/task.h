/* Task rules, no I/O: what a create or PATCH body may say, how a task's
 * fields change, what changed, preconditions, and the list query. */
#ifndef TSK_TASK_H
#define TSK_TASK_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "svc/server.h"
#include "svc/result.h"

#define TSK_TITLE_MAX 500
#define TSK_DESCRIPTION_MAX 10000
#define TSK_TAGS_MAX 20
#define TSK_TAG_MAX 50
#define TSK_RRULE_MAX 500
#define TSK_REMIND_BEFORE_MAX 525600 /* a year, in minutes */
#define TSK_SEARCH_MAX 200
#define TSK_LIMIT_MAX 200
#define TSK_LIMIT_DEFAULT 50

/* Validates a create body (base NULL) or a PATCH body (base = the task's
 * current snapshot) and returns the task's editable fields after the
 * change, normalized:
 *   {"title", "description", "priority", "tags": [...], "due_at",
 *    "remind_at", "remind_before_minutes", "rrule", "time_zone", "recur_from"}
 * (null where unset; remind_at is null when remind_before_minutes decides
 * it). *out: caller frees with cJSON_Delete. Errors: SVC_EINVAL naming the
 * field for unknown fields, wrong types, bad lengths or formats;
 * SVC_EUNPROCESSABLE for well-formed values that break a rule (a minutely
 * RRULE, both reminder forms, minutes before a due date that is not set).
 * Neither base nor body is changed. */
enum svc_result tsk_merge(const cJSON *base, const cJSON *body, cJSON **out,
			  struct svc_err *err);

/* Checks an RFC 5545 RRULE (an optional "RRULE:" prefix is dropped) with
 * libical; on success writes the rule without the prefix to out[n]. */
enum svc_result tsk_rrule_check(const char *rrule, char *out, size_t n,
				struct svc_err *err);

/* True for an IANA time zone name this machine knows (tzdata), e.g.
 * Europe/Berlin, and for UTC. */
bool tsk_time_zone_valid(const char *name);

/* What differs between two snapshots, as {"field": {"old": .., "new": ..}},
 * ignoring version and updated_at. NULL when nothing did (or on OOM, which
 * the caller cannot tell apart: it then publishes no update, which is
 * what an unchanged task needs). Caller frees with cJSON_Delete. */
cJSON *tsk_diff(const cJSON *old, const cJSON *new_);

/* True when an If-Match header value (* alone, or a list of entity tags:
 * "5", "1", "5") matches version, by RFC 9110's strong comparison (a weak
 * W/"5" matches nothing). A malformed value matches nothing. */
bool tsk_if_match(const char *header, long version);
/* SVC_EINVAL (field If-Match) when header is present and not a
 * well-formed If-Match value: "*x", "*, \"5\"", 5, "5 are refused. */
enum svc_result tsk_if_match_check(const char *header, struct svc_err *err);

enum tsk_sort { TSK_SORT_CREATED, TSK_SORT_DUE, TSK_SORT_PRIORITY, TSK_SORT_TITLE };

/* A parsed GET /api/tasks query. Strings are copies (normalized). */
struct tsk_query {
	enum tsk_sort sort;
	bool desc;
	char q[TSK_SEARCH_MAX * 4 + 1];       /* "" when absent */
	char status[16];                      /* "" when absent */
	char priority[16];                    /* "" when absent */
	char tags[TSK_TAGS_MAX][TSK_TAG_MAX * 4 + 1];
	size_t ntags;
	char due_before[64]; /* "" when absent */
	char due_after[64];
	bool overdue;
	long limit;
	/* The position after which this page starts (from the cursor). */
	bool after;
	char after_key[TSK_TITLE_MAX * 4 + 1];
	char after_id[37];
};

/* Parses the query string. SVC_EINVAL naming the parameter for unknown or
 * repeated parameters, bad values, or a cursor that is malformed or was
 * made for another sort or other filters. */
enum svc_result tsk_query_parse(const struct svc_kv *params, size_t n,
				struct tsk_query *out, struct svc_err *err);

/* The opaque cursor for the page after the row with this sort key (as
 * text) and id. Caller frees with free(); NULL on OOM. */
char *tsk_cursor_make(const struct tsk_query *q, const char *key, const char *id);

/* The sort field's name as the API spells it. */
const char *tsk_sort_name(enum tsk_sort s);

/* Adds tags as a PostgreSQL text[] literal to b, e.g. {"a","b c"}. */
struct svc_buf;
int tsk_pg_text_array(struct svc_buf *b, const char *const *items, size_t n);

#endif
