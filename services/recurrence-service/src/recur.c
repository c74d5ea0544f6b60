#include "recur.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <libical/ical.h>

#include "svc/util.h"

/* Occurrences looked at past the point the walk starts from: far more
 * than any valid rule needs between two occurrences (the sparsest, a 29
 * February, takes 8 years of 366 daily candidates at most). */
#define MAX_STEPS 100000

static void ical_quiet(void)
{
	/* libical's default turns a malformed rule into abort(). */
	icalerror_set_errors_are_fatal(0);
}

static icaltimezone *zone_of(const char *name)
{
	if (!name || strcmp(name, "UTC") == 0)
		return icaltimezone_get_utc_timezone();
	return icaltimezone_get_builtin_timezone(name);
}

enum svc_result rec_next(const struct rec_series *s, long long after, long long *next,
			 bool *ended, struct svc_err *err)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, ical_quiet);
	*ended = false;
	icaltimezone *zone = zone_of(s->time_zone);
	if (!zone)
		return svc_err_set(err, SVC_EINVAL, "time_zone", "unknown time zone %s",
				   s->time_zone);
	icalerror_clear_errno();
	struct icalrecurrencetype rt = icalrecurrencetype_from_string(s->rrule);
	if (rt.freq == ICAL_NO_RECURRENCE || icalerrno != ICAL_NO_ERROR)
		return svc_err_set(err, SVC_EINVAL, "rrule", "rrule %.60s is not valid", s->rrule);
	long long start = s->dtstart;
	if (s->from_completion) {
		/* The completion's local date at the series' local time of day;
		 * COUNT is the number of occurrences made, not dates from start. */
		if (rt.count > 0 && s->generated >= rt.count) {
			*ended = true;
			return SVC_OK;
		}
		rt.count = 0;
		struct icaltimetype day = icaltime_from_timet_with_zone((time_t)after, 0, zone);
		struct icaltimetype tod = icaltime_from_timet_with_zone((time_t)s->dtstart, 0, zone);
		day.hour = tod.hour;
		day.minute = tod.minute;
		day.second = tod.second;
		start = (long long)icaltime_as_timet_with_zone(day, zone);
		if (start > after)
			after = start; /* the start itself is not an occurrence after it */
	}
	struct icaltimetype dt = icaltime_from_timet_with_zone((time_t)start, 0, zone);
	/* Without COUNT the walk need not start at the series' start: it starts
	 * close before after, so a series years old costs what a new one does
	 * and never ends for want of steps. Hourly: the start moved on by whole
	 * multiples of INTERVAL days of local time, which is itself an
	 * occurrence with the same local hours after it (libical's set_start
	 * does not keep an hourly INTERVAL's phase). Daily and longer: libical's
	 * set_start. Either way a candidate not after after is skipped below.
	 * With COUNT the walk counts from the start, as it must. */
	int interval = rt.interval > 0 ? rt.interval : 1;
	bool jump = rt.count == 0 && after > start;
	if (jump && rt.freq == ICAL_HOURLY_RECURRENCE) {
		/* One period short: a DST change moves local time by an hour. */
		long long periods = (after - start) / (86400LL * interval) - 1;
		if (periods > 0)
			icaltime_adjust(&dt, (int)(periods * interval), 0, 0, 0);
	}
	icalrecur_iterator *it = icalrecur_iterator_new(rt, dt);
	if (!it)
		return svc_err_set(err, SVC_EINVAL, "rrule", "rrule %.60s cannot be expanded",
				   s->rrule);
	if (jump && rt.freq != ICAL_HOURLY_RECURRENCE &&
	    !icalrecur_iterator_set_start(it, icaltime_from_timet_with_zone((time_t)after, 0,
									   zone))) {
		icalrecur_iterator_free(it);
		return svc_err_set(err, SVC_EINVAL, "rrule", "rrule %.60s cannot be expanded",
				   s->rrule);
	}
	/* With COUNT the iterator ends the series itself after COUNT. */
	long long steps = rt.count > 0 ? (long long)rt.count + 1 : MAX_STEPS;
	bool found = false;
	for (long long i = 0; i < steps && !found; i++) {
		struct icaltimetype t = icalrecur_iterator_next(it);
		if (icaltime_is_null_time(t))
			break;
		long long e = (long long)icaltime_as_timet_with_zone(t, zone);
		if (e > after) {
			*next = e;
			found = true;
		}
	}
	icalrecur_iterator_free(it);
	*ended = !found;
	return SVC_OK;
}

enum svc_result rec_next_after_now(const struct rec_series *s, long long after,
				   long long now, long long *next, bool *ended,
				   struct svc_err *err)
{
	/* Not before now, and REC_MIN_GAP after the occurrence `after`. */
	long long from = after + REC_MIN_GAP - 1;
	return rec_next(s, from > now ? from : now, next, ended, err);
}

void rec_time_format(long long t, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	/* Four digits of year always (strftime's %Y writes 539, not 0539). */
	snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

bool rec_time_member(const cJSON *obj, const char *name, long long *t)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, name));
	return s && svc_time_parse_rfc3339(s, t) == 0;
}

static bool copy(cJSON *to, const cJSON *from, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(from, name);
	cJSON *c = v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull();
	return c && cJSON_AddItemToObject(to, name, c);
}

cJSON *rec_occurrence_fields(const cJSON *latest, long long next)
{
	static const char *const kept[] = {"title",  "description", "priority", "tags",
					   "rrule",  "time_zone",   "recur_from", NULL};
	cJSON *f = cJSON_CreateObject();
	if (!f)
		return NULL;
	bool ok = true;
	for (size_t i = 0; kept[i] && ok; i++)
		ok = copy(f, latest, kept[i]);
	char due[32];
	rec_time_format(next, due, sizeof due);
	ok = ok && cJSON_AddStringToObject(f, "due_at", due);
	const cJSON *before = cJSON_GetObjectItemCaseSensitive(latest, "remind_before_minutes");
	long long old_due, old_remind;
	if (ok && cJSON_IsNumber(before)) {
		ok = cJSON_AddNumberToObject(f, "remind_before_minutes", before->valuedouble) != NULL;
	} else if (ok && rec_time_member(latest, "remind_at", &old_remind) &&
		   rec_time_member(latest, "due_at", &old_due)) {
		char at[32];
		rec_time_format(next - (old_due - old_remind), at, sizeof at);
		ok = cJSON_AddStringToObject(f, "remind_at", at) != NULL;
	}
	if (!ok) {
		cJSON_Delete(f);
		return NULL;
	}
	return f;
}
