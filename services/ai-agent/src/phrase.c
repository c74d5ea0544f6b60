#include "phrase.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The hours parts of the day stand for when no time is given. */
#define MORNING 9
#define AFTERNOON 14
#define EVENING 19
#define NIGHT 20
#define END_OF_DAY 17 /* close of business */

static const char *const weekday_names[] = {"sunday",   "monday", "tuesday", "wednesday",
					    "thursday", "friday", "saturday"};
static const char *const weekday_abbrevs[] = {
	"sun", "mon", "tue|tues", "wed|weds", "thu|thur|thurs", "fri", "sat"};
static const char *const month_names[] = {"january",   "february", "march",    "april",
					  "may",       "june",     "july",     "august",
					  "september", "october",  "november", "december"};
static const char *const month_abbrevs[] = {"jan", "feb", "mar",      "apr", "may", "jun",
					    "jul", "aug", "sep|sept", "oct", "nov", "dec"};

enum svc_result agt_now_init(struct agt_now *now, long long t, const char *zone)
{
	now->t = t;
	now->zone = zone;
	return agt_local(zone, t, &now->local, NULL);
}

int agt_weekday_word(const struct agt_toks *t, size_t i, bool allow_abbrev)
{
	if (i >= t->n || t->v[i].used)
		return -1;
	const char *w = t->v[i].w;
	for (int d = 0; d < 7; d++) {
		size_t l = strlen(weekday_names[d]);
		if (strncmp(w, weekday_names[d], l) == 0 &&
		    (w[l] == '\0' || strcmp(w + l, "s") == 0))
			return d;
		if (allow_abbrev && agt_is(t, i, weekday_abbrevs[d]))
			return d;
	}
	return -1;
}

/* "mondays": a weekday that repeats, not a date. */
static bool plural_weekday(const struct agt_toks *t, size_t i)
{
	int d = agt_weekday_word(t, i, false);
	return d >= 0 && strcmp(t->v[i].w, weekday_names[d]) != 0;
}

static int month_word(const struct agt_toks *t, size_t i)
{
	for (int m = 0; m < 12; m++)
		if (agt_is(t, i, month_names[m]) || agt_is(t, i, month_abbrevs[m]))
			return m + 1;
	return 0;
}

static struct agt_civil today(const struct agt_now *now)
{
	struct agt_civil c = now->local;
	c.hour = c.minute = c.second = 0;
	return c;
}

static long long at_local(const struct agt_now *now, const struct agt_civil *day, int h, int m)
{
	struct agt_civil c = *day;
	c.hour = h;
	c.minute = m;
	c.second = 0;
	long long t = 0;
	agt_instant(now->zone, &c, &t);
	return t;
}

static void when_init(struct agt_when *w)
{
	memset(w, 0, sizeof *w);
	w->default_hour = -1;
}

static void set_day(struct agt_when *w, struct agt_civil c)
{
	/* A time read before the date ("at noon tomorrow") stays. */
	c.hour = w->has_time ? w->date.hour : 0;
	c.minute = w->has_time ? w->date.minute : 0;
	c.second = 0;
	w->has_date = true;
	agt_civil_normalize(&c);
	w->date = c;
	if (w->span == AGT_SPAN_NONE)
		w->span = AGT_SPAN_DAY;
}

/* Clock times. */

/* Reads "5", "5pm", "5:30", "17:00", "0930" from a token: hours, minutes,
 * whether it said am/pm (1 am, 2 pm, 0 neither), whether the hour had two
 * digits. false when the token is no clock. */
static bool clock_token(const char *w, int *h, int *m, int *ampm, bool *two_digits, bool *colon)
{
	const char *p = w;
	int digits = 0, hh = 0, mm = 0;
	while (*p >= '0' && *p <= '9' && digits < 4) {
		hh = hh * 10 + (*p++ - '0');
		digits++;
	}
	if (digits == 0)
		return false;
	*colon = false;
	if (digits >= 3) { /* 0930, 1730 */
		mm = hh % 100;
		hh /= 100;
		*colon = true;
	} else if ((*p == ':' || *p == '.') && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' &&
		   p[2] <= '9') {
		mm = (p[1] - '0') * 10 + (p[2] - '0');
		p += 3;
		*colon = true;
	}
	*two_digits = digits == 2 || digits == 4;
	*ampm = 0;
	if (strcmp(p, "am") == 0 || strcmp(p, "a") == 0 || strcmp(p, "a.m") == 0)
		*ampm = 1;
	else if (strcmp(p, "pm") == 0 || strcmp(p, "p") == 0 || strcmp(p, "p.m") == 0)
		*ampm = 2;
	else if (*p)
		return false;
	if (mm > 59 || hh > 23 || (*ampm && (hh < 1 || hh > 12)))
		return false;
	*h = hh;
	*m = mm;
	return true;
}

/* A clock time at i. explicit: a word such as "at" came before, so a bare
 * "5" is a time. *guessed: the hour's half of the day was guessed (1-6 is
 * afternoon, 7-11 morning). */
static size_t clock_read(const struct agt_toks *t, size_t i, bool explicit, int *h, int *m,
			 bool *guessed)
{
	if (i >= t->n || t->v[i].used || t->v[i].kind != AGT_TOK_NUM)
		return 0;
	int hh, mm, ampm;
	bool two, colon;
	if (!clock_token(t->v[i].w, &hh, &mm, &ampm, &two, &colon))
		return 0;
	size_t n = 1;
	if (!ampm && agt_is(t, i + 1, "am|a.m")) {
		ampm = 1;
		n++;
	} else if (!ampm && agt_is(t, i + 1, "pm|p.m")) {
		ampm = 2;
		n++;
	}
	if (ampm && (hh < 1 || hh > 12))
		return 0;
	bool oclock = agt_is(t, i + n, "o'clock|oclock");
	if (oclock)
		n++;
	if (!ampm && !colon && !explicit && !oclock)
		return 0;
	*guessed = false;
	if (ampm == 1)
		hh = hh == 12 ? 0 : hh;
	else if (ampm == 2)
		hh = hh == 12 ? 12 : hh + 12;
	else if (hh >= 1 && hh <= 6 && !two) {
		hh += 12;
		*guessed = true;
	} else if (hh >= 7 && hh <= 11) {
		*guessed = true;
	}
	*h = hh;
	*m = mm;
	return n;
}

/* "morning", "in the evening", "tonight" as parts of a day: the hour. */
static size_t part_of_day(const struct agt_toks *t, size_t i, int *hour)
{
	size_t n = agt_match(t, i, "in the");
	if (!n)
		n = agt_match(t, i, "this");
	static const struct {
		const char *w;
		int h;
	} parts[] = {{"morning", MORNING},
		     {"afternoon", AFTERNOON},
		     {"evening", EVENING},
		     {"night", NIGHT},
		     {"lunch|lunchtime", 12}};
	for (size_t k = 0; k < sizeof parts / sizeof *parts; k++)
		if (agt_is(t, i + n, parts[k].w)) {
			*hour = parts[k].h;
			return n + 1;
		}
	return 0;
}

/* A time part at i: a clock time, noon, midnight, end of day, a part of
 * the day. */
static size_t time_atom(const struct agt_toks *t, size_t i, bool explicit, bool after_date,
			struct agt_when *w, bool *guessed)
{
	int h, m, hour;
	size_t n;
	if ((n = clock_read(t, i, explicit, &h, &m, guessed))) {
		w->has_time = true;
		w->date.hour = h;
		w->date.minute = m;
		return n;
	}
	*guessed = false;
	if ((n = agt_match(t, i, "noon|midday"))) {
		w->has_time = true;
		w->date.hour = 12;
		w->date.minute = 0;
		return n;
	}
	if ((n = agt_match(t, i, "midnight"))) {
		/* Due at midnight: the day's last minute, not its first. */
		w->has_time = true;
		w->date.hour = 23;
		w->date.minute = 59;
		return n;
	}
	/* "morning" alone is a word of a title ("morning run"); after a day
	 * or as "in the morning" it is a time. */
	if (w->default_hour < 0 && (n = part_of_day(t, i, &hour)) && !agt_is(t, i, "this") &&
	    (after_date || n > 1)) {
		w->default_hour = hour;
		return n;
	}
	return 0;
}

/* Dates. */

/* The first day with weekday d strictly after today (or from today). */
static struct agt_civil next_weekday(const struct agt_now *now, int d, bool today_too)
{
	struct agt_civil c = today(now);
	int ahead = (d - c.wday + 7) % 7;
	if (ahead == 0 && !today_too)
		ahead = 7;
	agt_civil_add_days(&c, ahead);
	return c;
}

/* Monday of the week holding c (weeks run Monday to Sunday). */
static struct agt_civil monday_of(struct agt_civil c)
{
	agt_civil_add_days(&c, -((c.wday + 6) % 7));
	return c;
}

static bool plausible_year(long y)
{
	return y >= 1970 && y <= 2200;
}

/* A year after a month and day: ", 2027" or "2027". */
static size_t year_read(const struct agt_toks *t, size_t i, int *year)
{
	size_t n = agt_is(t, i, ",") ? 1 : 0;
	if (i + n < t->n && t->v[i + n].kind == AGT_TOK_NUM) {
		long y = agt_tok_int(t, i + n, false);
		if (plausible_year(y)) {
			*year = (int)y;
			return n + 1;
		}
	}
	return 0;
}

/* A day of the month: "3", "3rd", "third". */
static long day_number(const struct agt_toks *t, size_t i)
{
	long d = agt_tok_ordinal(t, i);
	if (d < 0 && i < t->n && t->v[i].kind == AGT_TOK_NUM)
		d = agt_tok_int(t, i, false);
	return d >= 1 && d <= 31 ? d : -1;
}

/* Places month/day (and maybe year) on the calendar: the given year, or
 * the next time that date comes (today included). false for a date that
 * does not exist. */
static bool month_day(const struct agt_now *now, int month, long day, int year, struct agt_when *w)
{
	struct agt_civil c = today(now);
	int y = year ? year : c.year;
	/* Without a year, 29 February is a date (of the next leap year). */
	if (day > agt_days_in_month(year ? year : 2024, month))
		return false;
	if (!year) {
		long long want = agt_days_from_civil(y, month, (int)day);
		if (want < agt_days_from_civil(c.year, c.month, c.day))
			y++;
		/* 29 February: the next year that has one. */
		while (day > agt_days_in_month(y, month))
			y++;
	}
	c.year = y;
	c.month = month;
	c.day = (int)day;
	set_day(w, c);
	return true;
}

/* "Dec 3", "December 3rd, 2027", "3 Dec", "the 3rd of December",
 * "2026-12-03". */
static size_t absolute_date(const struct agt_toks *t, size_t i, const struct agt_now *now,
			    struct agt_when *w)
{
	int month, year = 0;
	long day;
	size_t n;
	if ((month = month_word(t, i)) && (day = day_number(t, i + 1)) > 0) {
		n = 2 + year_read(t, i + 2, &year);
		return month_day(now, month, day, year, w) ? n : 0;
	}
	n = agt_match(t, i, "the");
	if ((day = day_number(t, i + n)) > 0) {
		size_t of = agt_match(t, i + n + 1, "of");
		if ((month = month_word(t, i + n + 1 + of))) {
			n += 2 + of;
			n += year_read(t, i + n, &year);
			return month_day(now, month, day, year, w) ? n : 0;
		}
	}
	if (i < t->n && !t->v[i].used && t->v[i].kind == AGT_TOK_NUM) {
		int y, mo, d, len = 0;
		if (sscanf(t->v[i].w, "%4d-%2d-%2d%n", &y, &mo, &d, &len) == 3 &&
		    (size_t)len == strlen(t->v[i].w) && plausible_year(y) && mo >= 1 && mo <= 12 &&
		    d >= 1 && d <= agt_days_in_month(y, mo))
			return month_day(now, mo, d, y, w) ? 1 : 0;
	}
	return 0;
}

/* "the 15th" as a day of this month or the next that has it. */
static size_t day_of_month(const struct agt_toks *t, size_t i, const struct agt_now *now,
			   struct agt_when *w)
{
	size_t n = agt_match(t, i, "the");
	long d = agt_tok_ordinal(t, i + n);
	if (!n || d < 1 || d > 31)
		return 0;
	struct agt_civil c = today(now);
	if (d < c.day)
		agt_civil_add_months(&c, 1);
	for (int k = 0; k < 12 && d > agt_days_in_month(c.year, c.month); k++) {
		c.day = 1;
		agt_civil_add_months(&c, 1);
	}
	c.day = (int)d;
	set_day(w, c);
	return n + 1 + agt_match(t, i + n + 1, "of the|this|next? month");
}

static void set_span(struct agt_when *w, enum agt_span span, struct agt_civil start,
		     struct agt_civil due)
{
	set_day(w, due);
	w->span = span;
	start.hour = start.minute = start.second = 0;
	agt_civil_normalize(&start);
	w->span_start = start;
}

/* "this week", "next month", "the weekend", "end of month". */
static size_t stretch(const struct agt_toks *t, size_t i, const struct agt_now *now,
		      struct agt_when *w, bool anchored)
{
	struct agt_civil c = today(now), mon = monday_of(today(now));
	size_t n;
	int which = 0; /* 0 this, 1 next */
	if ((n = agt_match(t, i, "this|the|current")))
		which = 0;
	else if ((n = agt_match(t, i, "next")) || (n = agt_match(t, i, "the? following")))
		which = 1;
	if (agt_is(t, i + n, "week")) {
		struct agt_civil start = mon, due;
		agt_civil_add_days(&start, 7 * which);
		if (which) {
			due = start;
		} else {
			due = start;
			agt_civil_add_days(&due, 4); /* Friday */
			if (c.wday == 6 || c.wday == 0)
				due = c;
		}
		if (!n)
			return 0;
		set_span(w, AGT_SPAN_WEEK, start, due);
		return n + 1;
	}
	if (agt_is(t, i + n, "weekend") && (n || anchored)) {
		struct agt_civil sat = mon;
		agt_civil_add_days(&sat, 5 + 7 * which);
		struct agt_civil due = sat;
		if (!which && c.wday == 0)
			due = c; /* Sunday: what is left of this weekend */
		set_span(w, AGT_SPAN_WEEKEND, sat, due);
		return n + 1;
	}
	if (agt_is(t, i + n, "month") && n) {
		struct agt_civil first = c;
		first.day = 1;
		agt_civil_add_months(&first, which);
		struct agt_civil due = first;
		if (!which)
			due.day = agt_days_in_month(c.year, c.month);
		set_span(w, AGT_SPAN_MONTH, first, due);
		return n + 1;
	}
	if (agt_is(t, i + n, "year") && n) {
		struct agt_civil first = c;
		first.month = 1;
		first.day = 1;
		first.year += which;
		struct agt_civil due = first;
		if (!which) {
			due.month = 12;
			due.day = 31;
		}
		set_span(w, AGT_SPAN_YEAR, first, due);
		return n + 1;
	}
	/* The end of a stretch: its last (working) day. */
	n = agt_match(t, i, "the? end of the? this?");
	size_t k = 0;
	if (n >= 2 && (k = agt_match(t, i + n, "day")) == 0) {
		if (agt_is(t, i + n, "week")) {
			struct agt_civil fri = mon;
			agt_civil_add_days(&fri, 4);
			set_day(w, c.wday == 6 || c.wday == 0 ? c : fri);
			return n + 1;
		}
		if (agt_is(t, i + n, "month")) {
			c.day = agt_days_in_month(c.year, c.month);
			set_day(w, c);
			return n + 1;
		}
		if (agt_is(t, i + n, "year")) {
			c.month = 12;
			c.day = 31;
			set_day(w, c);
			return n + 1;
		}
		return 0;
	}
	if ((n >= 2 && k) || (n = agt_match(t, i, "eod|cob")) ||
	    (n = agt_match(t, i, "close of business"))) {
		set_day(w, c);
		w->has_time = true;
		w->date.hour = END_OF_DAY;
		w->date.minute = 0;
		return n + k;
	}
	if ((n = agt_match(t, i, "eow"))) {
		struct agt_civil fri = mon;
		agt_civil_add_days(&fri, 4);
		set_day(w, c.wday == 6 || c.wday == 0 ? c : fri);
		return n;
	}
	if ((n = agt_match(t, i, "eom"))) {
		c.day = agt_days_in_month(c.year, c.month);
		set_day(w, c);
		return n;
	}
	return 0;
}

/* "in 3 days", "in 2 hours", "3 days from now", "the next 7 days". */
static size_t relative(const struct agt_toks *t, size_t i, const struct agt_now *now,
		       struct agt_when *w)
{
	struct agt_duration d;
	size_t n = 0, k;
	if ((n = agt_match(t, i, "in|within? the? next|coming")) &&
	    (k = agt_duration_read(t, i + n, &d)) && d.calendar && d.months == 0) {
		w->span = AGT_SPAN_DAYS;
		w->span_days = (int)d.days;
		struct agt_civil c = today(now);
		agt_civil_add_days(&c, d.days);
		w->has_date = true;
		w->date = c;
		return n + k;
	}
	bool in = agt_is(t, i, "in|within");
	n = in ? 1 : 0;
	if (!(k = agt_duration_read(t, i + n, &d)))
		return 0;
	size_t from = 0;
	if (!in && !(from = agt_match(t, i + k, "from now|today")) &&
	    !(from = agt_match(t, i + k, "later")))
		return 0;
	n += k + from;
	if (d.calendar) {
		struct agt_civil c = today(now);
		agt_civil_add_months(&c, (int)d.months);
		agt_civil_add_days(&c, d.days);
		set_day(w, c);
	} else {
		w->exact = true;
		w->instant = now->t + d.minutes * 60;
	}
	return n;
}

/* A date part at i. */
static size_t date_atom(const struct agt_toks *t, size_t i, const struct agt_now *now,
			struct agt_when *w, bool anchored)
{
	struct agt_civil c = today(now);
	size_t n;
	int hour;
	if ((n = agt_match(t, i, "today|tod|tdy"))) {
		set_day(w, c);
		return n;
	}
	if ((n = agt_match(t, i, "tonight|tonite"))) {
		set_day(w, c);
		w->default_hour = NIGHT;
		return n;
	}
	if (agt_is(t, i, "this") && (n = part_of_day(t, i, &hour))) {
		set_day(w, c);
		w->default_hour = hour;
		return n;
	}
	if ((n = agt_match(t, i, "the? day after tomorrow|tmr|tmrw"))) {
		if (n >= 3) {
			agt_civil_add_days(&c, 2);
			set_day(w, c);
			return n;
		}
	}
	if ((n = agt_match(t, i, "tomorrow|tmr|tmrw|tomorow|tommorow|tommorrow|tmw"))) {
		agt_civil_add_days(&c, 1);
		set_day(w, c);
		return n;
	}
	if ((n = agt_match(t, i, "yesterday"))) {
		agt_civil_add_days(&c, -1);
		set_day(w, c);
		return n;
	}
	/* Weekdays: "friday", "next friday", "this friday", "friday after
	 * next", "friday next week". */
	size_t pre = agt_match(t, i, "next|coming|following|this");
	int d = agt_weekday_word(t, i + pre, pre > 0 || anchored);
	if (d >= 0 && !plural_weekday(t, i + pre)) {
		bool this_ = pre && agt_is(t, i, "this");
		n = pre + 1;
		struct agt_civil day = next_weekday(now, d, this_);
		size_t k;
		if ((k = agt_match(t, i + n, "after next"))) {
			agt_civil_add_days(&day, 7);
			n += k;
		} else if (!pre && (k = agt_match(t, i + n, "next|this week"))) {
			day = monday_of(c);
			if (agt_is(t, i + n, "next"))
				agt_civil_add_days(&day, 7);
			agt_civil_add_days(&day, (d + 6) % 7);
			n += k;
		}
		set_day(w, day);
		return n;
	}
	if ((n = stretch(t, i, now, w, anchored)))
		return n;
	if ((n = relative(t, i, now, w)))
		return n;
	if ((n = absolute_date(t, i, now, w)))
		return n;
	if (anchored && (n = day_of_month(t, i, now, w)))
		return n;
	return 0;
}

/* Words that lead into a date or time; "due" may stand before another. */
static size_t lead_read(const struct agt_toks *t, size_t i, char lead[8])
{
	lead[0] = '\0';
	size_t n = agt_match(t, i, "due");
	if (agt_is(t, i + n, "before|after|until|till|by")) {
		const char *w = t->v[i + n].w;
		snprintf(lead, 8, "%.7s", strcmp(w, "till") == 0 ? "until" : w);
		return n + 1;
	}
	return n + agt_match(t, i + n, "on|at|@|for|around|about|over|from|since|starting");
}

static bool clock_word_before(const struct agt_toks *t, size_t i)
{
	if (i == 0)
		return false;
	const char *w = t->v[i - 1].w;
	return strcmp(w, "at") == 0 || strcmp(w, "@") == 0 || strcmp(w, "by") == 0 ||
	       strcmp(w, "around") == 0 || strcmp(w, "about") == 0 || strcmp(w, "before") == 0 ||
	       strcmp(w, "after") == 0 || strcmp(w, "until") == 0 || strcmp(w, "till") == 0;
}

size_t agt_when_read(const struct agt_toks *t, size_t i, const struct agt_now *now,
		     struct agt_when *w)
{
	when_init(w);
	char lead[8] = "";
	size_t k = i + lead_read(t, i, lead);
	bool anchored = k > i, any = false, guessed = false;
	size_t end = i;
	for (int atoms = 0; atoms < 4 && k < t->n; atoms++) {
		size_t sep = 0;
		if (any) {
			sep = agt_match(t, k, ",");
			sep += agt_match(t, k + sep, "at|on|@|around|by");
		}
		size_t n = 0;
		bool g = false;
		if (!w->has_date && !w->exact)
			n = date_atom(t, k + sep, now, w, anchored || any);
		if (!n && !w->has_time && !w->exact)
			n = time_atom(t, k + sep, clock_word_before(t, k + sep), w->has_date, w,
				      &g);
		if (!n && w->has_time && w->has_date && w->default_hour < 0 && !w->exact) {
			/* "at 9 tomorrow morning": the part of day settles the half. */
			int hour;
			if ((n = part_of_day(t, k + sep, &hour)) && !agt_is(t, k + sep, "this"))
				w->default_hour = hour;
			else
				n = 0;
		}
		if (!n)
			break;
		if (g)
			guessed = true;
		any = true;
		k += sep + n;
		end = k;
		if (w->exact)
			break;
	}
	if (!any)
		return 0;
	/* "at 8 in the evening": a guessed half of the day gives way. */
	if (w->has_time && w->default_hour >= 0 && guessed) {
		if (w->default_hour >= 12 && w->date.hour < 12)
			w->date.hour += 12;
		else if (w->default_hour < 12 && w->date.hour >= 12 && w->date.hour != 12)
			w->date.hour -= 12;
	}
	snprintf(w->lead, sizeof w->lead, "%s", lead);
	return end - i;
}

long long agt_when_due(const struct agt_when *w, const struct agt_now *now)
{
	if (w->exact)
		return w->instant;
	struct agt_civil day = w->has_date ? w->date : today(now);
	int h = AGT_DEFAULT_HOUR, m = 0;
	if (w->has_time) {
		h = w->date.hour;
		m = w->date.minute;
	} else if (w->default_hour >= 0) {
		h = w->default_hour;
	}
	long long t = at_local(now, &day, h, m);
	if (!w->has_date && t <= now->t) {
		agt_civil_add_days(&day, 1);
		t = at_local(now, &day, h, m);
	} else if (w->has_date && !w->has_time && w->default_hour < 0 && t <= now->t &&
		   day.year == now->local.year && day.month == now->local.month &&
		   day.day == now->local.day) {
		/* Today with no time, after the default hour: still today. */
		t = at_local(now, &day, 23, 59);
	}
	return t;
}

void agt_when_range(const struct agt_when *w, const struct agt_now *now, long long *from,
		    long long *to)
{
	if (w->exact) {
		*from = *to = w->instant;
		return;
	}
	struct agt_civil s = w->span_start, e;
	switch (w->span) {
	case AGT_SPAN_WEEK:
	case AGT_SPAN_WEEKEND:
		e = s;
		agt_civil_add_days(&e, w->span == AGT_SPAN_WEEK ? 7 : 2);
		break;
	case AGT_SPAN_MONTH:
		e = s;
		agt_civil_add_months(&e, 1);
		break;
	case AGT_SPAN_YEAR:
		e = s;
		agt_civil_add_months(&e, 12);
		break;
	case AGT_SPAN_DAYS:
		*from = now->t;
		e = today(now);
		agt_civil_add_days(&e, w->span_days + 1);
		*to = at_local(now, &e, 0, 0);
		return;
	default:
		if (!w->has_date || w->has_time) {
			*from = *to = agt_when_due(w, now);
			return;
		}
		s = w->date;
		e = s;
		agt_civil_add_days(&e, 1);
		break;
	}
	*from = at_local(now, &s, 0, 0);
	*to = at_local(now, &e, 0, 0);
}

/* Durations. */

/* "30min", "2h", "1d", "2wk": a number with its unit in one token. */
static bool compact_duration(const char *w, long *v, char *unit, size_t n)
{
	long x = 0;
	const char *p = w;
	while (*p >= '0' && *p <= '9' && x < 100000)
		x = x * 10 + (*p++ - '0');
	if (p == w || !*p)
		return false;
	*v = x;
	snprintf(unit, n, "%s", p);
	return true;
}

static bool unit_is(const char *u, const char *alternatives)
{
	size_t ul = strlen(u);
	for (const char *a = alternatives; *a;) {
		size_t l = strcspn(a, "|");
		if (l == ul && strncmp(a, u, l) == 0)
			return true;
		a += l;
		if (*a == '|')
			a++;
	}
	return false;
}

static bool apply_unit(const char *u, long v, struct agt_duration *d)
{
	memset(d, 0, sizeof *d);
	if (v < 0 || v > 100000)
		return false;
	if (unit_is(u, "minute|minutes|min|mins|m|mn"))
		d->minutes = v;
	else if (unit_is(u, "hour|hours|hr|hrs|h"))
		d->minutes = v * 60;
	else if (unit_is(u, "day|days|d"))
		d->days = v;
	else if (unit_is(u, "week|weeks|wk|wks|w"))
		d->days = v * 7;
	else if (unit_is(u, "month|months|mo|mos"))
		d->months = v;
	else if (unit_is(u, "year|years|yr|yrs|y"))
		d->months = v * 12;
	else
		return false;
	d->calendar = d->minutes == 0;
	if (d->calendar)
		d->minutes = d->days * 1440 + d->months * 43200;
	return true;
}

size_t agt_duration_read(const struct agt_toks *t, size_t i, struct agt_duration *d)
{
	size_t n;
	if ((n = agt_match(t, i, "half an? hour")) || (n = agt_match(t, i, "a? half hour"))) {
		apply_unit("minutes", 30, d);
		return n;
	}
	if ((n = agt_match(t, i, "a? quarter of an? hour")) >= 3 ||
	    (n = agt_match(t, i, "a? quarter hour")) >= 2) {
		apply_unit("minutes", 15, d);
		return n;
	}
	if ((n = agt_match(t, i, "a couple of?")) >= 2 || (n = agt_match(t, i, "a few")) == 2) {
		long v = agt_is(t, i + 1, "few") ? 3 : 2;
		return i + n < t->n && apply_unit(t->v[i + n].w, v, d) ? n + 1 : 0;
	}
	if (i < t->n && !t->v[i].used && t->v[i].kind == AGT_TOK_NUM) {
		long v;
		char unit[16];
		if (compact_duration(t->v[i].w, &v, unit, sizeof unit) && apply_unit(unit, v, d))
			return 1;
	}
	long v = agt_tok_int(t, i, true);
	if (v < 0 || i + 1 >= t->n || t->v[i + 1].used)
		return 0;
	if (!apply_unit(t->v[i + 1].w, v, d))
		return 0;
	/* "an hour and a half" */
	if (d->minutes == 60 * v && !d->calendar && (n = agt_match(t, i + 2, "and a half")) == 3) {
		d->minutes += 30;
		return 5;
	}
	return 2;
}

/* Recurrence. */

static void recur_init(struct agt_recur *r)
{
	memset(r, 0, sizeof *r);
	r->interval = 1;
	r->default_hour = -1;
}

/* "monday", "mondays and thursdays", "mon, wed and fri": a weekday set. */
static size_t weekday_list(const struct agt_toks *t, size_t i, bool abbrev, unsigned *set)
{
	size_t n = 0;
	*set = 0;
	for (;;) {
		int d = agt_weekday_word(t, i + n, abbrev);
		if (d < 0)
			break;
		*set |= 1u << d;
		n++;
		size_t sep = agt_match(t, i + n, ",|and|&|or");
		if (!sep || agt_weekday_word(t, i + n + sep, abbrev) < 0) {
			sep = agt_match(t, i + n, ", and");
			if (sep != 2 || agt_weekday_word(t, i + n + sep, abbrev) < 0)
				break;
		}
		n += sep;
	}
	return n;
}

#define WORKWEEK 0x3Eu /* Monday to Friday */
#define WEEKEND 0x41u  /* Saturday and Sunday */

/* "the 15th", "the last day", "the first monday", "the last friday". */
static size_t monthly_day(const struct agt_toks *t, size_t i, struct agt_recur *r)
{
	size_t n = agt_match(t, i, "the");
	long nth = agt_tok_ordinal(t, i + n);
	bool last = agt_is(t, i + n, "last|final");
	if (nth < 0 && !last)
		return 0;
	int d = agt_weekday_word(t, i + n + 1, true);
	if (d >= 0 && (last || nth <= 5)) {
		r->byday = 1u << d;
		r->byday_nth = last ? -1 : (int)nth;
		n += 2;
	} else if (last && agt_is(t, i + n + 1, "day")) {
		r->bymonthday = -1;
		n += 2;
	} else if (!last && nth >= 1 && nth <= 31) {
		r->bymonthday = (int)nth;
		n += 1 + agt_match(t, i + n + 1, "day");
	} else {
		return 0;
	}
	return n + agt_match(t, i + n, "of the|each|every? month");
}

/* After "every": the unit and what goes with it. */
static size_t every_what(const struct agt_toks *t, size_t i, const struct agt_now *now,
			 struct agt_recur *r)
{
	size_t n = 0, k;
	long v;
	if ((k = agt_match(t, i, "other"))) {
		r->interval = 2;
		n = k;
	} else if ((v = agt_tok_int(t, i, false)) >= 1 && v <= 1000) {
		r->interval = (int)v;
		n = 1;
	}
	unsigned set;
	if ((k = agt_match(t, i + n, "weekday|weekdays|workday|workdays|business|work")) &&
	    (agt_is(t, i + n, "weekday|weekdays|workday|workdays") ||
	     agt_is(t, i + n + 1, "day|days"))) {
		k += agt_is(t, i + n, "business|work") ? 1 : 0;
		r->freq = AGT_FREQ_WEEKLY;
		r->byday = WORKWEEK;
		return n + k;
	}
	if ((k = agt_match(t, i + n, "weekend|weekends"))) {
		r->freq = AGT_FREQ_WEEKLY;
		r->byday = WEEKEND;
		return n + k;
	}
	if ((k = weekday_list(t, i + n, true, &set))) {
		r->freq = AGT_FREQ_WEEKLY;
		r->byday = set;
		return n + k;
	}
	int hour;
	if (!n && (k = part_of_day(t, i, &hour))) {
		r->freq = AGT_FREQ_DAILY;
		r->default_hour = hour;
		return k;
	}
	static const struct {
		const char *w;
		enum agt_freq f;
		int mult;
	} units[] = {{"hour|hours|hr|hrs", AGT_FREQ_HOURLY, 1},
		     {"day|days", AGT_FREQ_DAILY, 1},
		     {"week|weeks", AGT_FREQ_WEEKLY, 1},
		     {"fortnight|fortnights", AGT_FREQ_WEEKLY, 2},
		     {"month|months", AGT_FREQ_MONTHLY, 1},
		     {"quarter|quarters", AGT_FREQ_MONTHLY, 3},
		     {"year|years", AGT_FREQ_YEARLY, 1}};
	for (size_t u = 0; u < sizeof units / sizeof *units; u++)
		if (agt_is(t, i + n, units[u].w)) {
			r->freq = units[u].f;
			r->interval *= units[u].mult;
			return n + 1;
		}
	if (n)
		return 0;
	/* "every first monday", "every 15th", "every last day of the month" */
	if ((k = monthly_day(t, i, r))) {
		r->freq = AGT_FREQ_MONTHLY;
		return k;
	}
	/* "every Dec 3", "every 3rd of December" */
	struct agt_when w;
	when_init(&w);
	if ((k = absolute_date(t, i, now, &w))) {
		r->freq = AGT_FREQ_YEARLY;
		r->bymonth = w.date.month;
		r->bymonthday = w.date.day;
		return k;
	}
	return 0;
}

/* What may follow a rule: "on mondays", "on the 15th", "3 times",
 * "until Dec 31", "starting next week". */
static size_t recur_modifiers(const struct agt_toks *t, size_t i, const struct agt_now *now,
			      struct agt_recur *r)
{
	size_t n = 0, k;
	for (int rounds = 0; rounds < 6; rounds++) {
		size_t sep = agt_match(t, i + n, ",");
		size_t at = i + n + sep;
		unsigned set;
		long v;
		struct agt_when w;
		if ((r->freq == AGT_FREQ_WEEKLY || r->freq == AGT_FREQ_DAILY) && !r->byday &&
		    (k = agt_match(t, at, "on|every")) &&
		    (k += weekday_list(t, at + k, true, &set)) > 1) {
			r->freq = AGT_FREQ_WEEKLY;
			r->byday = set;
		} else if (r->freq == AGT_FREQ_WEEKLY && !r->byday &&
			   (k = agt_match(t, at, "on")) &&
			   (k += agt_match(t, at + k, "weekdays")) > 1) {
			r->byday = WORKWEEK;
		} else if (r->freq == AGT_FREQ_MONTHLY && !r->bymonthday && !r->byday &&
			   (k = agt_match(t, at, "on")) && (k += monthly_day(t, at + 1, r)) > 1) {
		} else if (r->freq == AGT_FREQ_YEARLY && !r->bymonth &&
			   (k = agt_match(t, at, "on")) &&
			   (when_init(&w), (k += absolute_date(t, at + 1, now, &w)) > 1)) {
			r->bymonth = w.date.month;
			r->bymonthday = w.date.day;
		} else if (r->default_hour < 0 && (k = part_of_day(t, at, &r->default_hour)) &&
			   !agt_is(t, at, "this")) {
		} else if (!r->count && (k = agt_match(t, at, "for?")) <= 1 &&
			   (v = agt_tok_int(t, at + k, false)) >= 1 && v <= 1000 &&
			   agt_is(t, at + k + 1, "times|time|occurrences")) {
			r->count = (int)v;
			k += 2;
		} else if (!r->has_until && (k = agt_match(t, at, "until|till|through|ending")) &&
			   agt_when_read(t, at + k, now, &w) && w.has_date && !w.exact) {
			k += agt_when_read(t, at + k, now, &w);
			r->has_until = true;
			r->until = w.date;
		} else if (!r->has_start &&
			   (k = agt_match(t, at, "starting|beginning|effective")) &&
			   (k += agt_match(t, at + k, "on|from")) &&
			   (agt_when_read(t, at + k, now, &w))) {
			k += agt_when_read(t, at + k, now, &r->start);
			r->has_start = true;
		} else {
			break;
		}
		n += sep + k;
	}
	return n;
}

/* After "weekly": is the next word a noun it describes ("weekly review",
 * "quarterly taxes"), making "weekly" part of a title? What may follow a
 * rule instead: the end, punctuation, a number or tag, or a connector,
 * date, priority or reminder word. */
static bool adjective(const struct agt_toks *t, size_t i)
{
	if (i >= t->n || t->v[i].used)
		return false;
	if (t->v[i].kind != AGT_TOK_WORD)
		return false;
	if (agt_weekday_word(t, i, true) >= 0 || month_word(t, i))
		return false;
	return !agt_is(t, i,
		       "on|at|in|from|starting|beginning|until|till|for|and|with|by|due|"
		       "every|each|high|low|medium|normal|urgent|priority|p1|p2|p3|p4|remind|"
		       "reminder|tagged|then|plus|tomorrow|today|tonight|next|this|the|"
		       "starting|effective|except|forever|please|times|also|or");
}

size_t agt_recur_more(const struct agt_toks *t, size_t i, const struct agt_now *now,
		      struct agt_recur *r)
{
	return recur_modifiers(t, i, now, r);
}

size_t agt_recur_read(const struct agt_toks *t, size_t i, const struct agt_now *now,
		      struct agt_recur *r)
{
	recur_init(r);
	size_t n = 0, k;
	unsigned set;
	if ((k = agt_match(t, i, "repeat|repeats|repeating|recurring|recur|recurs")))
		n = k;
	if ((k = agt_match(t, i + n, "every|each"))) {
		if (!(k += every_what(t, i + n + k, now, r)) || r->freq == AGT_FREQ_NONE)
			return 0;
		n += k;
	} else if (agt_is(t, i + n,
			  "daily|weekly|monthly|yearly|annually|hourly|biweekly|"
			  "fortnightly|quarterly") &&
		   !adjective(t, i + n + 1)) {
		const char *w = t->v[i + n].w;
		r->freq = w[0] == 'd'                  ? AGT_FREQ_DAILY
			  : w[0] == 'h'                ? AGT_FREQ_HOURLY
			  : w[0] == 'm'                ? AGT_FREQ_MONTHLY
			  : w[0] == 'q'                ? AGT_FREQ_MONTHLY
			  : w[0] == 'y' || w[0] == 'a' ? AGT_FREQ_YEARLY
						       : AGT_FREQ_WEEKLY;
		if (w[0] == 'b' || w[0] == 'f')
			r->interval = 2;
		if (w[0] == 'q')
			r->interval = 3;
		n++;
	} else if ((k = agt_match(t, i + n, "on? weekdays"))) {
		r->freq = AGT_FREQ_WEEKLY;
		r->byday = WORKWEEK;
		n += k;
	} else if ((k = agt_match(t, i + n, "on")) + 1 && (k += monthly_day(t, i + n + k, r)) > 0 &&
		   r->freq == AGT_FREQ_NONE && (r->bymonthday || r->byday) &&
		   agt_is(t, i + n + k - 1, "month") && agt_is(t, i + n + k - 2, "every|each")) {
		/* "on the 15th of every month", "the last friday of each month" */
		r->freq = AGT_FREQ_MONTHLY;
		n += k;
	} else {
		recur_init(r);
		/* "on mondays": a plural weekday repeats. */
		size_t on = agt_match(t, i + n, "on");
		size_t l = plural_weekday(t, i + n + on) ? weekday_list(t, i + n + on, false, &set)
							 : 0;
		if (!l)
			return 0;
		r->freq = AGT_FREQ_WEEKLY;
		r->byday = set;
		n += on + l;
	}
	return n + recur_modifiers(t, i + n, now, r);
}

static const char *const byday_codes[] = {"SU", "MO", "TU", "WE", "TH", "FR", "SA"};

size_t agt_appendf(char *out, size_t n, size_t at, const char *fmt, ...)
{
	if (at >= n)
		return at;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(out + at, n - at, fmt, ap);
	va_end(ap);
	if (w < 0)
		return at;
	return at + (size_t)w < n ? at + (size_t)w : n - 1;
}

void agt_recur_rrule(const struct agt_recur *r, const struct agt_now *now, char *out, size_t n)
{
	static const char *const freqs[] = {"", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"};
	size_t at = agt_appendf(out, n, 0, "FREQ=%s", freqs[r->freq]);
	if (r->interval > 1)
		at = agt_appendf(out, n, at, ";INTERVAL=%d", r->interval);
	if (r->bymonth)
		at = agt_appendf(out, n, at, ";BYMONTH=%d", r->bymonth);
	if (r->bymonthday)
		at = agt_appendf(out, n, at, ";BYMONTHDAY=%d", r->bymonthday);
	if (r->byday) {
		at = agt_appendf(out, n, at, ";BYDAY=");
		bool first = true;
		for (int k = 1; k <= 7; k++) {
			int d = k % 7; /* Monday first */
			if (!(r->byday & (1u << d)))
				continue;
			if (r->byday_nth)
				at = agt_appendf(out, n, at, "%s%d%s", first ? "" : ",",
						 r->byday_nth, byday_codes[d]);
			else
				at = agt_appendf(out, n, at, "%s%s", first ? "" : ",",
						 byday_codes[d]);
			first = false;
		}
	}
	if (r->count)
		at = agt_appendf(out, n, at, ";COUNT=%d", r->count);
	if (r->has_until) {
		struct agt_civil c = r->until;
		c.hour = 23;
		c.minute = 59;
		c.second = 59;
		long long t = 0;
		agt_instant(now->zone, &c, &t);
		struct agt_civil u;
		agt_local("UTC", t, &u, NULL);
		at = agt_appendf(out, n, at, ";UNTIL=%04d%02d%02dT%02d%02d%02dZ", u.year, u.month,
				 u.day, u.hour, u.minute, u.second);
	}
	(void)at;
}

static bool recur_matches(const struct agt_recur *r, const struct agt_civil *c)
{
	int dim = agt_days_in_month(c->year, c->month);
	if (r->bymonth && c->month != r->bymonth)
		return false;
	if (r->bymonthday > 0 && c->day != r->bymonthday)
		return false;
	if (r->bymonthday < 0 && c->day != dim)
		return false;
	if (r->byday && !(r->byday & (1u << c->wday)))
		return false;
	if (r->byday_nth > 0 && (c->day - 1) / 7 + 1 != r->byday_nth)
		return false;
	if (r->byday_nth < 0 && c->day + 7 <= dim)
		return false;
	return true;
}

long long agt_recur_first(const struct agt_recur *r, const struct agt_now *now, int hour,
			  int minute)
{
	struct agt_civil day = today(now);
	if (r->has_start && !r->start.exact && r->start.has_date)
		day = r->start.date;
	day.hour = day.minute = day.second = 0;
	agt_civil_normalize(&day);
	if (r->freq == AGT_FREQ_HOURLY && !(r->has_start && r->start.has_date)) {
		long long t = at_local(now, &day, hour, minute);
		if (t > now->t)
			return t;
		return (now->t / 3600 + 1) * 3600;
	}
	/* Four years and a month cover every rule here (29 February). */
	for (int k = 0; k < 366 * 4 + 31; k++) {
		if (recur_matches(r, &day)) {
			long long t = at_local(now, &day, hour, minute);
			if (t > now->t)
				return t;
		}
		agt_civil_add_days(&day, 1);
	}
	return at_local(now, &day, hour, minute);
}

static const char *const weekday_title[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
					    "Thursday", "Friday", "Saturday"};
static const char *const month_title[] = {"January",   "February", "March",    "April",
					  "May",       "June",     "July",     "August",
					  "September", "October",  "November", "December"};

static const char *ordinal_suffix(int d)
{
	if (d % 100 >= 11 && d % 100 <= 13)
		return "th";
	return d % 10 == 1 ? "st" : d % 10 == 2 ? "nd" : d % 10 == 3 ? "rd" : "th";
}

static size_t weekday_set_words(unsigned set, char *out, size_t n, size_t at)
{
	int count = 0, total = 0;
	for (int d = 0; d < 7; d++)
		total += (set >> d) & 1;
	for (int k = 1; k <= 7; k++) {
		int d = k % 7;
		if (!(set & (1u << d)))
			continue;
		count++;
		at = agt_appendf(out, n, at, "%s%s",
				 count == 1       ? ""
				 : count == total ? " and "
						  : ", ",
				 weekday_title[d]);
	}
	return at;
}

void agt_recur_words(const struct agt_recur *r, char *out, size_t n)
{
	static const char *const units[] = {"", "hour", "day", "week", "month", "year"};
	size_t at = 0;
	if (r->freq == AGT_FREQ_WEEKLY && r->interval == 1 && r->byday == WORKWEEK)
		at = agt_appendf(out, n, at, "every weekday");
	else if (r->freq == AGT_FREQ_WEEKLY && r->interval == 1 && r->byday == WEEKEND)
		at = agt_appendf(out, n, at, "every weekend");
	else if (r->freq == AGT_FREQ_WEEKLY && r->interval == 1 && r->byday) {
		at = agt_appendf(out, n, at, "every ");
		at = weekday_set_words(r->byday, out, n, at);
	} else {
		if (r->interval == 1)
			at = agt_appendf(out, n, at, "every %s", units[r->freq]);
		else if (r->interval == 2)
			at = agt_appendf(out, n, at, "every other %s", units[r->freq]);
		else
			at = agt_appendf(out, n, at, "every %d %ss", r->interval, units[r->freq]);
		if (r->byday && !r->byday_nth) {
			at = agt_appendf(out, n, at, " on ");
			at = weekday_set_words(r->byday, out, n, at);
		}
	}
	if (r->byday_nth) {
		int d = 0;
		while (d < 7 && !(r->byday & (1u << d)))
			d++;
		static const char *const nth[] = {"",      "first",  "second",
						  "third", "fourth", "fifth"};
		at = agt_appendf(out, n, at, " on the %s %s",
				 r->byday_nth < 0 ? "last" : nth[r->byday_nth],
				 weekday_title[d % 7]);
	}
	if (r->bymonth)
		at = agt_appendf(out, n, at, " on %s %d", month_title[r->bymonth - 1],
				 r->bymonthday);
	else if (r->bymonthday > 0)
		at = agt_appendf(out, n, at, " on the %d%s", r->bymonthday,
				 ordinal_suffix(r->bymonthday));
	else if (r->bymonthday < 0)
		at = agt_appendf(out, n, at, " on the last day");
	if (r->count)
		at = agt_appendf(out, n, at, ", %d time%s", r->count, r->count == 1 ? "" : "s");
	if (r->has_until)
		at = agt_appendf(out, n, at, ", until %s %d, %d", month_title[r->until.month - 1],
				 r->until.day, r->until.year);
	(void)at;
}

/* Reminders. */

static size_t before_word(const struct agt_toks *t, size_t i)
{
	size_t n = agt_match(t, i, "before|earlier|ahead|prior|beforehand");
	if (!n) {
		n = agt_match(t, i, "in advance");
		return n == 2 ? n : 0;
	}
	n += agt_match(t, i + n, "of?");
	size_t k;
	if ((k = agt_match(t, i + n, "it is due")) == 3 ||
	    (k = agt_match(t, i + n, "it's due")) == 2 ||
	    (k = agt_match(t, i + n, "the deadline|due")) == 2 ||
	    (k = agt_match(t, i + n, "its? due time")) >= 2 || (k = agt_match(t, i + n, "it|that")))
		return n + k;
	return n;
}

/* What follows "remind me" or "reminder": when. */
static size_t remind_tail(const struct agt_toks *t, size_t i, const struct agt_now *now,
			  struct agt_remind *r)
{
	struct agt_duration d;
	size_t k, b;
	if ((k = agt_duration_read(t, i, &d)) && (b = before_word(t, i + k))) {
		r->before = true;
		r->minutes = d.minutes;
		return k + b;
	}
	if ((k = agt_match(t, i, "the day before"))) {
		r->before = true;
		r->minutes = 1440;
		return k;
	}
	if ((k = agt_match(t, i, "when|once it's|it is? due"))) {
		if (k >= 2 && agt_is(t, i + k - 1, "due")) {
			r->before = true;
			r->minutes = 0;
			return k;
		}
	}
	if ((k = agt_when_read(t, i, now, &r->when))) {
		r->at = true;
		return k;
	}
	return 0;
}

size_t agt_remind_read(const struct agt_toks *t, size_t i, const struct agt_now *now,
		       struct agt_remind *r)
{
	memset(r, 0, sizeof *r);
	size_t n = agt_match(t, i, "and|plus|with|,");
	size_t k;
	if ((k = agt_match(t, i + n, "remind|alert|notify|ping|nudge|warn me"))) {
		if (k != 2)
			return 0;
		n += k;
		n += agt_match(t, i + n, "about|of it|this");
	} else if ((k = agt_match(t, i + n, "set|add? a|an? reminder|alert|notification"))) {
		/* A bare "reminder" is a word of a title ("send rent reminder"):
		 * it needs "with", "and", "set" or "a" before it. */
		if (!agt_is(t, i + n + k - 1, "reminder|alert|notification") || (n == 0 && k == 1))
			return 0;
		n += k;
		n += agt_match(t, i + n, "for|at|on?");
	} else {
		/* "an hour before" with no "remind me" */
		struct agt_duration d;
		size_t b;
		if ((k = agt_duration_read(t, i + n, &d)) && (b = before_word(t, i + n + k))) {
			struct agt_when w;
			if (agt_when_read(t, i + n + k + b, now, &w))
				return 0;
			r->before = true;
			r->minutes = d.minutes;
			return n + k + b;
		}
		return 0;
	}
	if (agt_is(t, i + n, "to"))
		return 0; /* "remind me to ...": a task, not a reminder */
	size_t tail = remind_tail(t, i + n, now, r);
	if (!tail)
		r->bare = true;
	return n + tail;
}

/* Priorities. */

static const char *priority_level(const struct agt_toks *t, size_t i)
{
	if (agt_is(t, i, "high|highest|top|urgent|important|critical|1|hi"))
		return "high";
	if (agt_is(t, i, "medium|normal|mid|regular|default|2|moderate|med"))
		return "medium";
	if (agt_is(t, i, "low|lowest|3|4|lo|minor"))
		return "low";
	return NULL;
}

size_t agt_priority_read(const struct agt_toks *t, size_t i, const char **priority)
{
	size_t n = agt_match(t, i, "with|at|as|and|,");
	n += agt_match(t, i + n, "a|an");
	size_t k;
	const char *p;
	if ((p = priority_level(t, i + n)) && agt_is(t, i + n + 1, "priority|prio|pri")) {
		*priority = p;
		return n + 2;
	}
	if ((k = agt_match(t, i + n, "priority|prio|pri"))) {
		size_t sep = agt_match(t, i + n + k, "is|:|=|of|to|level|set to?");
		if ((p = priority_level(t, i + n + k + sep))) {
			*priority = p;
			return n + k + sep + 1;
		}
		return 0;
	}
	if (i + n < t->n && !t->v[i + n].used) {
		const char *w = t->v[i + n].w;
		if (agt_is(t, i + n, "p1|p2|p3|p4")) {
			*priority = w[1] == '1' ? "high" : w[1] == '2' ? "medium" : "low";
			return n + 1;
		}
		if (agt_is(t, i + n, "high-priority|top-priority|high-prio")) {
			*priority = "high";
			return n + 1;
		}
		if (agt_is(t, i + n, "low-priority|low-prio")) {
			*priority = "low";
			return n + 1;
		}
		if (agt_is(t, i + n, "medium-priority|normal-priority")) {
			*priority = "medium";
			return n + 1;
		}
		if (t->v[i + n].kind == AGT_TOK_BANGS && n == 0) {
			*priority = "high";
			return 1;
		}
		if (n == 0 && agt_is(t, i, "urgent|urgently|asap|a.s.a.p")) {
			*priority = "high";
			return 1;
		}
		if (n == 0 && (k = agt_match(t, i, "not urgent")) == 2) {
			*priority = "low";
			return 2;
		}
		/* "important" only at the end of a clause: in a title it is a word. */
		if (agt_is(t, i + n, "important|critical") &&
		    (i + n + 1 >= t->n || t->v[i + n + 1].kind == AGT_TOK_PUNCT)) {
			*priority = "high";
			return n + 1;
		}
	}
	return 0;
}

/* Tags. */

static bool tag_name_at(const struct agt_toks *t, size_t i)
{
	if (i >= t->n || t->v[i].used)
		return false;
	enum agt_tok_kind k = t->v[i].kind;
	return k == AGT_TOK_HASH || k == AGT_TOK_AT || k == AGT_TOK_QUOTE ||
	       (k == AGT_TOK_WORD && !agt_is(t, i, "and|or|with|to|the|a|an|as|for|on|at|by|due"));
}

size_t agt_tags_read(const struct agt_toks *t, size_t i, size_t *names, size_t max, size_t *count)
{
	*count = 0;
	/* "#42" is a number ("invoice #42"), not a tag. */
	if (i < t->n && !t->v[i].used &&
	    (t->v[i].kind == AGT_TOK_HASH || t->v[i].kind == AGT_TOK_AT) &&
	    strspn(t->v[i].w, "0123456789") != strlen(t->v[i].w)) {
		if (max)
			names[(*count)++] = i;
		return 1;
	}
	size_t n = agt_match(t, i, "and|with|,");
	bool led = n > 0;
	n += agt_match(t, i + n, "the");
	size_t k = agt_match(t, i + n, "tagged|labeled|labelled");
	/* "tag" alone is a word of a title ("fix the tag line"): a tag list
	 * needs "with" before it or ":" after it. */
	if (!k && (k = agt_match(t, i + n, "tag|tags|label|labels")) && !led &&
	    !agt_is(t, i + n + 1, ":"))
		return 0;
	if (!k)
		return 0;
	n += k;
	n += agt_match(t, i + n, "as|with|:|it|them");
	while (*count < max && tag_name_at(t, i + n)) {
		names[(*count)++] = i + n;
		n++;
		size_t sep = agt_match(t, i + n, ",|and|&");
		sep += agt_match(t, i + n + sep, "and");
		if (!sep || !tag_name_at(t, i + n + sep))
			break;
		n += sep;
	}
	return *count ? n : 0;
}

void agt_when_words(long long t, const struct agt_now *now, bool with_time, char *out, size_t n)
{
	struct agt_civil c;
	if (agt_local(now->zone, t, &c, NULL) != SVC_OK) {
		snprintf(out, n, "?");
		return;
	}
	long long days = agt_days_from_civil(c.year, c.month, c.day) -
			 agt_days_from_civil(now->local.year, now->local.month, now->local.day);
	size_t at = 0;
	if (days == 0)
		at = agt_appendf(out, n, at, "today");
	else if (days == 1)
		at = agt_appendf(out, n, at, "tomorrow");
	else
		at = agt_appendf(out, n, at, "%s, %s %d", weekday_title[c.wday],
				 month_title[c.month - 1], c.day);
	if (c.year != now->local.year && (days < 0 || days > 1))
		at = agt_appendf(out, n, at, ", %d", c.year);
	if (with_time)
		at = agt_appendf(out, n, at, " at %02d:%02d", c.hour, c.minute);
	(void)at;
}
