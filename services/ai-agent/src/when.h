/* Wall-clock time in a user's IANA time zone, no I/O beyond libical's
 * zone data: instants to local dates and back (DST gaps and overlaps
 * resolved), calendar arithmetic, RFC 3339 with the local offset. */
#ifndef AGT_WHEN_H
#define AGT_WHEN_H

#include <stdbool.h>
#include <stddef.h>

#include "svc/result.h"

/* A local date and time. wday: 0 Sunday .. 6 Saturday (set by the
 * functions that fill one; ignored on input). */
struct agt_civil {
	int year, month, day; /* month 1..12, day 1..31 */
	int hour, minute, second;
	int wday;
};

/* True for "UTC" and for an IANA zone libical knows (e.g. Europe/Berlin). */
bool agt_zone_valid(const char *zone);

/* The local time of instant t (seconds since 1970) in zone, and the
 * zone's offset from UTC then in seconds (may be NULL). SVC_EINVAL for an
 * unknown zone. */
enum svc_result agt_local(const char *zone, long long t, struct agt_civil *out, int *offset);

/* The instant at local time c in zone. A time that does not exist (the
 * hour skipped when clocks go forward) moves forward by the gap (02:30
 * becomes 03:30); a time that happens twice (clocks go back) is the first
 * of the two. c's fields must be in range (see agt_civil_normalize). */
enum svc_result agt_instant(const char *zone, const struct agt_civil *c, long long *t);

/* "2026-03-10T10:00:00-04:00": t as local time in zone with its offset
 * ("Z" for UTC itself). out needs 26 bytes. */
enum svc_result agt_rfc3339_local(const char *zone, long long t, char *out, size_t n);

/* Calendar arithmetic on the proleptic Gregorian calendar. */
long long agt_days_from_civil(int year, int month, int day);
void agt_civil_from_days(long long days, int *year, int *month, int *day);
int agt_weekday(int year, int month, int day); /* 0 Sunday .. 6 Saturday */
int agt_days_in_month(int year, int month);
/* Adds days to c's date (time of day kept) and sets wday. */
void agt_civil_add_days(struct agt_civil *c, long long days);
/* Adds months to c's date, keeping the day when the month has it and
 * the month's last day otherwise (Jan 31 + 1 month = Feb 28). */
void agt_civil_add_months(struct agt_civil *c, int months);
/* Brings an out-of-range day (day 0, day 32) back into the calendar and
 * sets wday. */
void agt_civil_normalize(struct agt_civil *c);

#endif
