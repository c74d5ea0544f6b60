#include "when.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libical/ical.h>

static void ical_quiet(void)
{
	/* libical's default turns some errors into abort(). */
	icalerror_set_errors_are_fatal(0);
}

static icaltimezone *zone_of(const char *name)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, ical_quiet);
	if (!name || !*name)
		return NULL;
	if (strcmp(name, "UTC") == 0)
		return icaltimezone_get_utc_timezone();
	return icaltimezone_get_builtin_timezone(name);
}

bool agt_zone_valid(const char *zone)
{
	return zone_of(zone) != NULL;
}

/* Offset from UTC (seconds) in zone at instant t. */
static int offset_at(icaltimezone *z, long long t)
{
	struct icaltimetype tt =
		icaltime_from_timet_with_zone((time_t)t, 0, icaltimezone_get_utc_timezone());
	int dst = 0;
	return icaltimezone_get_utc_offset_of_utc_time(z, &tt, &dst);
}

/* Days since 1970-01-01 (Howard Hinnant's algorithm). */
long long agt_days_from_civil(int year, int month, int day)
{
	long long y = (long long)year - (month <= 2);
	long long era = (y >= 0 ? y : y - 399) / 400;
	long long yoe = y - era * 400;
	long long mp = (month + 9) % 12;
	long long doy = (153 * mp + 2) / 5 + day - 1;
	long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void agt_civil_from_days(long long z, int *year, int *month, int *day)
{
	z += 719468;
	long long era = (z >= 0 ? z : z - 146096) / 146097;
	long long doe = z - era * 146097;
	long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long y = yoe + era * 400;
	long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long long mp = (5 * doy + 2) / 153;
	long long d = doy - (153 * mp + 2) / 5 + 1;
	long long m = mp < 10 ? mp + 3 : mp - 9;
	*year = (int)(y + (m <= 2));
	*month = (int)m;
	*day = (int)d;
}

int agt_weekday(int year, int month, int day)
{
	long long d = agt_days_from_civil(year, month, day);
	/* 1970-01-01 was a Thursday (4). */
	return (int)(((d % 7) + 7 + 4) % 7);
}

int agt_days_in_month(int year, int month)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
		return 29;
	return days[(month - 1) % 12];
}

void agt_civil_add_days(struct agt_civil *c, long long days)
{
	long long d = agt_days_from_civil(c->year, c->month, c->day) + days;
	agt_civil_from_days(d, &c->year, &c->month, &c->day);
	c->wday = agt_weekday(c->year, c->month, c->day);
}

void agt_civil_add_months(struct agt_civil *c, int months)
{
	long long m = (long long)c->year * 12 + (c->month - 1) + months;
	c->year = (int)(m >= 0 ? m / 12 : (m - 11) / 12);
	c->month = (int)(m - (long long)c->year * 12) + 1;
	int dim = agt_days_in_month(c->year, c->month);
	if (c->day > dim)
		c->day = dim;
	c->wday = agt_weekday(c->year, c->month, c->day);
}

void agt_civil_normalize(struct agt_civil *c)
{
	long long d = agt_days_from_civil(c->year, c->month, 1) + c->day - 1;
	agt_civil_from_days(d, &c->year, &c->month, &c->day);
	c->wday = agt_weekday(c->year, c->month, c->day);
}

static long long local_seconds(const struct agt_civil *c)
{
	return agt_days_from_civil(c->year, c->month, c->day) * 86400 + c->hour * 3600 +
	       c->minute * 60 + c->second;
}

enum svc_result agt_local(const char *zone, long long t, struct agt_civil *out, int *offset)
{
	icaltimezone *z = zone_of(zone);
	if (!z)
		return svc_err_set(NULL, SVC_EINVAL, "time_zone", "unknown time zone");
	int off = offset_at(z, t);
	long long l = t + off;
	long long days = l >= 0 ? l / 86400 : (l - 86399) / 86400;
	long long secs = l - days * 86400;
	agt_civil_from_days(days, &out->year, &out->month, &out->day);
	out->hour = (int)(secs / 3600);
	out->minute = (int)(secs / 60 % 60);
	out->second = (int)(secs % 60);
	out->wday = agt_weekday(out->year, out->month, out->day);
	if (offset)
		*offset = off;
	return SVC_OK;
}

enum svc_result agt_instant(const char *zone, const struct agt_civil *c, long long *t)
{
	icaltimezone *z = zone_of(zone);
	if (!z)
		return SVC_EINVAL;
	long long l = local_seconds(c);
	/* At most one offset change within a day either side: the instant is
	 * l minus the offset before or the offset after. */
	int before = offset_at(z, l - 86400), after = offset_at(z, l + 86400);
	long long t1 = l - before, t2 = l - after;
	bool ok1 = t1 + offset_at(z, t1) == l, ok2 = t2 + offset_at(z, t2) == l;
	if (ok1 && ok2)
		*t = t1 < t2 ? t1 : t2;
	else if (ok1)
		*t = t1;
	else if (ok2)
		*t = t2;
	else
		*t = t1; /* in the gap: the offset before moves it forward by the gap */
	return SVC_OK;
}

enum svc_result agt_rfc3339_local(const char *zone, long long t, char *out, size_t n)
{
	struct agt_civil c;
	int off = 0;
	if (agt_local(zone, t, &c, &off) != SVC_OK)
		return SVC_EINVAL;
	char tz[8] = "Z";
	if (strcmp(zone, "UTC") != 0 || off != 0) {
		int a = abs(off);
		snprintf(tz, sizeof tz, "%c%02d:%02d", off < 0 ? '-' : '+', a / 3600 % 100,
			 a / 60 % 60);
	}
	int w = snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d%s", c.year, c.month, c.day, c.hour,
			 c.minute, c.second, tz);
	return w > 0 && (size_t)w < n ? SVC_OK : SVC_EINVAL;
}
