/* The phrases of everyday task language the built-in planner reads, no
 * I/O: dates and times ("tomorrow 5pm", "next friday", "in 3 days", "on
 * Dec 3 at 9:30", "tonight", "end of month"), recurrence ("every weekday",
 * "every 2 weeks on monday", "monthly on the 15th"), reminders ("remind me
 * 30 minutes before", "remind me at 8"), priorities ("high priority",
 * "p1", "!!") and tags ("#home", "tagged work").
 *
 * Each reader looks at the tokens from i, and when a phrase starts there
 * returns how many tokens it takes (0 when none does) and what it said.
 * Readers never mark tokens used; the planner does, for the phrases it
 * keeps. */
#ifndef AGT_PHRASE_H
#define AGT_PHRASE_H

#include <stdbool.h>
#include <stddef.h>

#include "lex.h"
#include "when.h"

/* A day without a time of day means this hour (09:00 local). */
#define AGT_DEFAULT_HOUR 9

/* "Now" as the planner sees it: the instant, the user's zone and the
 * local time there. */
struct agt_now {
	long long t;
	const char *zone;
	struct agt_civil local;
};

/* Sets now->local from t and zone. SVC_EINVAL for an unknown zone. */
enum svc_result agt_now_init(struct agt_now *now, long long t, const char *zone);

/* What a stretch of time a phrase names, for list filters. */
enum agt_span {
	AGT_SPAN_NONE,    /* a point: a day's due time, or a time */
	AGT_SPAN_DAY,     /* today, friday, Dec 3 */
	AGT_SPAN_WEEK,    /* this week, next week: Monday to Monday */
	AGT_SPAN_WEEKEND, /* Saturday and Sunday */
	AGT_SPAN_MONTH,   /* this month, next month */
	AGT_SPAN_YEAR,    /* this year, next year */
	AGT_SPAN_DAYS,    /* the next N days from now (span_days) */
};

struct agt_when {
	bool has_date; /* date.year/month/day hold a local date */
	bool has_time; /* date.hour/minute hold a local time */
	bool exact;    /* instant is the answer: "in 2 hours" */
	struct agt_civil date;
	int default_hour; /* a part of day ("morning": 9), -1 when none */
	long long instant;
	enum agt_span span;
	int span_days;
	/* The day a stretch starts on (span WEEK, WEEKEND, MONTH, YEAR):
	 * "this week" starts on Monday, though its due day is Friday. */
	struct agt_civil span_start;
	/* The word the phrase began with, for filters: "before", "after",
	 * "by", "until", or "". */
	char lead[8];
};

/* A date and/or time phrase at i: one date part and one time part in
 * either order, with their connectors ("due on", "by", "at", ","). */
size_t agt_when_read(const struct agt_toks *t, size_t i, const struct agt_now *now,
		     struct agt_when *w);

/* The instant a phrase means as a due time: its date at its time (or the
 * part of day's hour, or AGT_DEFAULT_HOUR); a time alone is today's when
 * still ahead, else tomorrow's. */
long long agt_when_due(const struct agt_when *w, const struct agt_now *now);

/* The stretch [*from, *to) a phrase means as a filter: a day is that
 * whole day, a week Monday to Monday, a time alone the instant (to ==
 * from). */
void agt_when_range(const struct agt_when *w, const struct agt_now *now, long long *from,
		    long long *to);

/* A length of time: "30 minutes", "an hour", "half an hour", "2 days",
 * "a week". *minutes: its length in minutes; *calendar: the unit is days
 * or longer (then *days and *months say how many). */
struct agt_duration {
	long minutes;
	long days, months;
	bool calendar;
};
size_t agt_duration_read(const struct agt_toks *t, size_t i, struct agt_duration *d);

enum agt_freq {
	AGT_FREQ_NONE,
	AGT_FREQ_HOURLY,
	AGT_FREQ_DAILY,
	AGT_FREQ_WEEKLY,
	AGT_FREQ_MONTHLY,
	AGT_FREQ_YEARLY
};

struct agt_recur {
	enum agt_freq freq;
	int interval;   /* 1 when not said */
	unsigned byday; /* bit d for weekday d (0 Sunday) */
	int byday_nth;  /* with one weekday in a month: 1..5, -1 last; 0 */
	int bymonthday; /* 1..31, -1 the last day; 0 */
	int bymonth;    /* 1..12; 0 */
	int count;      /* 0: no COUNT */
	bool has_until;
	struct agt_civil until; /* a local date */
	bool has_start;
	struct agt_when start; /* "starting next week" */
	int default_hour;      /* "every morning": 9; -1 */
};

/* A recurrence at i: "every ...", "daily", "weekly on mondays",
 * "monthly on the 15th", with "N times", "until <date>" and "starting
 * <date>" after it. */
size_t agt_recur_read(const struct agt_toks *t, size_t i, const struct agt_now *now,
		      struct agt_recur *r);

/* More of a rule read before, further on: "10 times", "until Dec 31"
 * after "every weekday at 9am". */
size_t agt_recur_more(const struct agt_toks *t, size_t i, const struct agt_now *now,
		      struct agt_recur *r);

/* The RFC 5545 RRULE (without "RRULE:") into out[n]; UNTIL is the end of
 * the until day in the user's zone, in UTC. */
void agt_recur_rrule(const struct agt_recur *r, const struct agt_now *now, char *out, size_t n);

/* The first occurrence at or after now of a rule at local time hh:mm:
 * the first day matching it from today (or from its start). */
long long agt_recur_first(const struct agt_recur *r, const struct agt_now *now, int hour,
			  int minute);

/* Plain words for the rule: "every 2 weeks on Monday", "every month on
 * the 15th". */
void agt_recur_words(const struct agt_recur *r, char *out, size_t n);

struct agt_remind {
	bool before; /* minutes before the due time */
	long minutes;
	bool at; /* at a time of its own */
	struct agt_when when;
	bool bare; /* "remind me" alone: at the due time */
};

/* A reminder at i: "remind me 30 minutes before", "remind me at 8",
 * "with a reminder an hour before", "an hour before", "remind me". */
size_t agt_remind_read(const struct agt_toks *t, size_t i, const struct agt_now *now,
		       struct agt_remind *r);

/* A priority at i ("high priority", "priority: low", "p1", "!!",
 * "urgent"); *priority is "high", "medium" or "low" (static). */
size_t agt_priority_read(const struct agt_toks *t, size_t i, const char **priority);

/* Tags at i: a #name or @name token, or "tagged a, b and c", "with tags
 * a and b", "tag: a". *first and *count: the tokens holding the names
 * (each AGT_TOK_HASH, AGT_TOK_AT, AGT_TOK_WORD or AGT_TOK_QUOTE), among
 * the tokens taken, in order, skipping connectors. */
size_t agt_tags_read(const struct agt_toks *t, size_t i, size_t *names, size_t max, size_t *count);

/* Weekday (0 Sunday) of a name ("monday", "mon", "mondays"); abbreviations
 * only with allow_abbrev. -1 otherwise. */
int agt_weekday_word(const struct agt_toks *t, size_t i, bool allow_abbrev);

/* "Tuesday, March 10 at 10:00" (the year when it is not now's), local. */
void agt_when_words(long long t, const struct agt_now *now, bool with_time, char *out, size_t n);

/* Appends printf-style text at out[at] (out holds n bytes), cut to fit;
 * returns where the text now ends. */
size_t agt_appendf(char *out, size_t n, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
