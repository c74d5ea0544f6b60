/* Recurrence rules, no I/O: the next occurrence of a series by its RRULE
 * in its time zone, and the task that occurrence becomes. */
#ifndef REC_RECUR_H
#define REC_RECUR_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "svc/result.h"

/* What the rules need to know of a series. Strings are borrowed. */
struct rec_series {
	const char *rrule;     /* RFC 5545 RRULE without the "RRULE:" prefix */
	const char *time_zone; /* IANA name, or "UTC" */
	bool from_completion;  /* count from the completion time, not the due date */
	long long dtstart;     /* the series' first occurrence, seconds since 1970 */
	long generated;        /* occurrences made so far (COUNT when counting
				* from completion) */
};

/* Catching up (the cron sweep of overdue series, a skipped occurrence)
 * makes at most one occurrence per hour of a series, whatever its rule
 * says: task-service refuses faster rules, and this bounds rules stored
 * before it did (FREQ=HOURLY;BYSECOND=0,...,59 once made a task at every
 * cron tick). */
#define REC_MIN_GAP 3600

/* The series' first occurrence strictly after `after` (seconds since
 * 1970), expanded in the series' time zone so local wall-clock time holds
 * across DST. With from_completion, `after` is the completion time and the
 * rule starts there, at the series' local time of day. *ended is true (and
 * *next unset) when COUNT or UNTIL leave no further occurrence.
 * SVC_EINVAL for a rule or zone libical does not know. */
enum svc_result rec_next(const struct rec_series *s, long long after, long long *next,
			 bool *ended, struct svc_err *err);

/* The first occurrence after now and at least REC_MIN_GAP after the
 * occurrence `after`: occurrences missed while a task was overdue are
 * skipped, not made one by one, so a catch-up makes no past occurrence,
 * and a series at most one per REC_MIN_GAP. */
enum svc_result rec_next_after_now(const struct rec_series *s, long long after,
				   long long now, long long *next, bool *ended,
				   struct svc_err *err);

/* The fields of the task for the occurrence at `next`, from the series'
 * latest task (its snapshot, borrowed): the same title, description,
 * priority, tags, rule, zone and recur_from; due_at = next; a reminder
 * given as minutes before due keeps its minutes, one given as a time keeps
 * its distance from the due date. Caller frees with cJSON_Delete; NULL on
 * OOM. */
cJSON *rec_occurrence_fields(const cJSON *latest, long long next);

/* Writes t as RFC 3339 UTC ("2026-01-02T03:04:05Z") into out[n]. */
void rec_time_format(long long t, char *out, size_t n);

/* Reads an RFC 3339 member of obj into *t. false when absent, null or bad. */
bool rec_time_member(const cJSON *obj, const char *name, long long *t);

#endif
