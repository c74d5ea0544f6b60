#include "reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/text.h"
#include "svc/util.h"
#include "when.h"

#define REPLY_MAX (16 * 1024)
#define NOTE_MAX 80 /* code points of a note quoted back */

/* An RRULE's parts, as agt_recur_read would have read them. */
static bool read_byday(const char *v, struct agt_recur *r)
{
	static const char *const codes[] = {"SU", "MO", "TU", "WE", "TH", "FR", "SA"};
	int nth = 0, count = 0;
	for (const char *p = v; *p;) {
		size_t l = strcspn(p, ",");
		char item[8];
		if (l == 0 || l >= sizeof item)
			return false;
		snprintf(item, sizeof item, "%.*s", (int)l, p);
		char *code = item;
		long n = 0;
		if (*code == '-' || *code == '+' || (*code >= '0' && *code <= '9')) {
			n = strtol(code, &code, 10);
			if (n < -1 || n > 5 || n == 0)
				return false;
		}
		int d = -1;
		for (int k = 0; k < 7; k++)
			if (strcmp(code, codes[k]) == 0)
				d = k;
		if (d < 0)
			return false;
		r->byday |= 1u << d;
		if (n)
			nth = (int)n;
		count++;
		p += l + (p[l] == ',');
	}
	/* "the first Monday" names one weekday only. */
	if (nth && count != 1)
		return false;
	r->byday_nth = nth;
	return count > 0;
}

static bool read_int(const char *v, long min, long max, int *out)
{
	long x;
	if (svc_parse_long(v, min, max, &x) != 0)
		return false;
	*out = (int)x;
	return true;
}

bool agt_rrule_words(const char *rrule, const struct agt_now *now, char *out, size_t n)
{
	out[0] = '\0';
	if (!rrule)
		return false;
	if (strncmp(rrule, "RRULE:", 6) == 0)
		rrule += 6;
	struct agt_recur r;
	memset(&r, 0, sizeof r);
	r.interval = 1;
	r.default_hour = -1;
	static const char *const freqs[] = {"", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"};
	for (const char *p = rrule; *p;) {
		size_t l = strcspn(p, ";");
		char part[128];
		if (l == 0 || l >= sizeof part)
			return false;
		snprintf(part, sizeof part, "%.*s", (int)l, p);
		p += l + (p[l] == ';');
		char *eq = strchr(part, '=');
		if (!eq)
			return false;
		*eq = '\0';
		const char *k = part, *v = eq + 1;
		bool ok = true;
		if (strcmp(k, "FREQ") == 0) {
			ok = false;
			for (int f = 1; f <= 5; f++)
				if (strcmp(v, freqs[f]) == 0) {
					r.freq = (enum agt_freq)f;
					ok = true;
				}
		} else if (strcmp(k, "INTERVAL") == 0) {
			ok = read_int(v, 1, 1000, &r.interval);
		} else if (strcmp(k, "BYDAY") == 0) {
			ok = read_byday(v, &r);
		} else if (strcmp(k, "BYMONTHDAY") == 0) {
			ok = read_int(v, -1, 31, &r.bymonthday) && r.bymonthday != 0;
		} else if (strcmp(k, "BYMONTH") == 0) {
			ok = read_int(v, 1, 12, &r.bymonth);
		} else if (strcmp(k, "COUNT") == 0) {
			ok = read_int(v, 1, 100000, &r.count);
		} else if (strcmp(k, "UNTIL") == 0) {
			int y, mo, d, h = 0, mi = 0, s = 0, len = 0;
			ok = (sscanf(v, "%4d%2d%2dT%2d%2d%2dZ%n", &y, &mo, &d, &h, &mi, &s, &len) ==
				      6 ||
			      sscanf(v, "%4d%2d%2d%n", &y, &mo, &d, &len) == 3) &&
			     (size_t)len == strlen(v) && mo >= 1 && mo <= 12 && d >= 1 &&
			     d <= agt_days_in_month(y, mo) && h < 24 && mi < 60 && s < 61;
			if (ok) {
				/* The day it ends on, in the user's zone. */
				long long t = agt_days_from_civil(y, mo, d) * 86400 + h * 3600 +
					      mi * 60 + s;
				r.has_until = agt_local(now->zone, t, &r.until, NULL) == SVC_OK;
				ok = r.has_until;
			}
		} else {
			ok = false;
		}
		if (!ok)
			return false;
	}
	if (r.freq == AGT_FREQ_NONE || (r.bymonth && !r.bymonthday))
		return false;
	agt_recur_words(&r, out, n);
	return true;
}

/* ", due Tuesday, March 10 at 10:00" for a time member. */
static size_t time_words(const cJSON *x, const struct agt_now *now, char *out, size_t n, size_t o,
			 const char *what)
{
	long long t;
	char when[96];
	if (!cJSON_IsString(x) || svc_time_parse_rfc3339(x->valuestring, &t) != 0)
		return o;
	agt_when_words(t, now, true, when, sizeof when);
	return agt_appendf(out, n, o, ", %s %s", what, when);
}

size_t agt_fields_words(const cJSON *obj, bool is_task, const struct agt_now *now, char *out,
			size_t n)
{
	size_t o = 0;
	out[0] = '\0';
	const cJSON *x;
	if ((x = cJSON_GetObjectItemCaseSensitive(obj, "due_at"))) {
		if (cJSON_IsString(x))
			o = time_words(x, now, out, n, o, "due");
		else if (!is_task)
			o = agt_appendf(out, n, o, ", with no due date");
	}
	if ((x = cJSON_GetObjectItemCaseSensitive(obj, "rrule"))) {
		char words[200];
		if (cJSON_IsString(x))
			o = agt_rrule_words(x->valuestring, now, words, sizeof words)
				    ? agt_appendf(out, n, o, ", repeating %s", words)
				    : agt_appendf(out, n, o, ", repeating");
		else if (!is_task)
			o = agt_appendf(out, n, o, ", not repeating");
	}
	if ((x = cJSON_GetObjectItemCaseSensitive(obj, "priority")) && cJSON_IsString(x) &&
	    !(is_task && strcmp(x->valuestring, "medium") == 0))
		o = agt_appendf(out, n, o, ", %s priority", x->valuestring);
	if ((x = cJSON_GetObjectItemCaseSensitive(obj, "tags")) && !cJSON_GetArraySize(x) &&
	    !is_task)
		o = agt_appendf(out, n, o, ", with no tags");
	if ((x = cJSON_GetObjectItemCaseSensitive(obj, "tags")) && cJSON_GetArraySize(x)) {
		o = agt_appendf(out, n, o, ", tagged");
		const cJSON *tag;
		cJSON_ArrayForEach(tag, x)
		{
			if (cJSON_IsString(tag))
				o = agt_appendf(out, n, o, " #%s", tag->valuestring);
		}
	}
	const cJSON *before = cJSON_GetObjectItemCaseSensitive(obj, "remind_before_minutes");
	const cJSON *at = cJSON_GetObjectItemCaseSensitive(obj, "remind_at");
	if (cJSON_IsNumber(before)) {
		int m = before->valueint;
		if (m == 0)
			o = agt_appendf(out, n, o, ", with a reminder when it is due");
		else if (m % 1440 == 0)
			o = agt_appendf(out, n, o, ", with a reminder %d day%s before", m / 1440,
					m == 1440 ? "" : "s");
		else if (m % 60 == 0)
			o = agt_appendf(out, n, o, ", with a reminder %d hour%s before", m / 60,
					m == 60 ? "" : "s");
		else
			o = agt_appendf(out, n, o, ", with a reminder %d minute%s before", m,
					m == 1 ? "" : "s");
	} else if (cJSON_IsString(at)) {
		o = time_words(at, now, out, n, o, "with a reminder");
	} else if (!is_task && (before || at)) {
		o = agt_appendf(out, n, o, ", with no reminder");
	}
	if (!is_task && (x = cJSON_GetObjectItemCaseSensitive(obj, "description"))) {
		if (cJSON_IsString(x) && x->valuestring[0]) {
			const char *d = x->valuestring;
			size_t cut = svc_utf8_prefix(d, NOTE_MAX);
			o = agt_appendf(out, n, o, ", with the note \u201c%.*s%s\u201d", (int)cut,
					d, d[cut] ? "\u2026" : "");
		} else {
			o = agt_appendf(out, n, o, ", with no note");
		}
	}
	return o;
}

static const char *string_of(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* How a call's arguments name its task, for an error: "the task
 * “groceries”", or "that task". */
static void named(const cJSON *args, char *out, size_t n)
{
	const char *title = string_of(args, "title");
	if (title)
		snprintf(out, n, "the task \u201c%s\u201d", title);
	else
		snprintf(out, n, "that task");
}

static char *list_reply(const cJSON *args, const cJSON *result, const struct agt_now *now)
{
	const cJSON *items = cJSON_GetObjectItemCaseSensitive(result, "items");
	int count = cJSON_GetArraySize(items);
	char *out = malloc(REPLY_MAX);
	if (!out)
		return NULL;
	size_t o = 0;
	const char *q = string_of(args, "q");
	if (count == 0) {
		if (q)
			agt_appendf(out, REPLY_MAX, 0, "No tasks match \u201c%s\u201d.", q);
		else
			agt_appendf(out, REPLY_MAX, 0, "You have no tasks that match.");
		return out;
	}
	o = agt_appendf(out, REPLY_MAX, o, "%d task%s:", count, count == 1 ? "" : "s");
	int i = 0;
	const cJSON *task;
	cJSON_ArrayForEach(task, items)
	{
		char fields[1024];
		size_t fl = agt_fields_words(task, true, now, fields, sizeof fields);
		const char *title = string_of(task, "title");
		const char *status = string_of(task, "status");
		bool done = status && strcmp(status, "completed") == 0;
		o = agt_appendf(out, REPLY_MAX, o, "\n%d. %s%s%s%s", ++i, title ? title : "?",
				fl ? " \u2014 " : "", fl ? fields + 2 : "", done ? " (done)" : "");
	}
	if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(result, "next_cursor")))
		agt_appendf(out, REPLY_MAX, o, "\nThere are more; narrow the list to see them.");
	return out;
}

char *agt_call_reply(const char *tool, const cJSON *args, const cJSON *result, enum svc_result r,
		     const struct svc_err *err, const struct agt_now *now)
{
	char buf[REPLY_MAX / 4];
	char who[1024];
	const char *message = err && err->message[0] ? err->message : svc_result_name(r);
	if (r != SVC_OK) {
		named(args, who, sizeof who);
		if (strcmp(tool, "add_task") == 0)
			snprintf(buf, sizeof buf, "I could not add \u201c%s\u201d: %s",
				 string_of(args, "title") ? string_of(args, "title") : "it",
				 message);
		else if (strcmp(tool, "list_tasks") == 0 || strcmp(tool, "search_tasks") == 0)
			snprintf(buf, sizeof buf, "I could not look up your tasks: %s", message);
		else
			snprintf(buf, sizeof buf, "I could not %s %s: %s",
				 strcmp(tool, "update_task") == 0     ? "change"
				 : strcmp(tool, "delete_task") == 0   ? "delete"
				 : strcmp(tool, "complete_task") == 0 ? "complete"
								      : "reopen",
				 who, message);
		return strdup(buf);
	}
	if (strcmp(tool, "list_tasks") == 0 || strcmp(tool, "search_tasks") == 0)
		return list_reply(args, result, now);
	const cJSON *task = cJSON_GetObjectItemCaseSensitive(result, "task");
	const char *title = string_of(task, "title");
	if (!title)
		title = "?";
	char fields[2048];
	if (strcmp(tool, "add_task") == 0) {
		agt_fields_words(task, true, now, fields, sizeof fields);
		snprintf(buf, sizeof buf, "Added \u201c%s\u201d%s.", title, fields);
	} else if (strcmp(tool, "complete_task") == 0) {
		snprintf(buf, sizeof buf, "Marked \u201c%s\u201d as done.", title);
	} else if (strcmp(tool, "reopen_task") == 0) {
		snprintf(buf, sizeof buf, "Reopened \u201c%s\u201d.", title);
	} else if (strcmp(tool, "delete_task") == 0) {
		bool series = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(args, "end_series"));
		snprintf(buf, sizeof buf, "Deleted \u201c%s\u201d%s.", title,
			 series ? " and ended its series" : "");
	} else {
		/* update_task: what changed, as the task now has it. */
		const cJSON *changes = cJSON_GetObjectItemCaseSensitive(args, "changes");
		cJSON *shown = cJSON_CreateObject();
		const cJSON *c;
		cJSON_ArrayForEach(c, changes)
		{
			const cJSON *now_v = cJSON_GetObjectItemCaseSensitive(task, c->string);
			/* shown takes ownership of the copy */
			if (shown && now_v && strcmp(c->string, "title") != 0)
				cJSON_AddItemToObject(shown, c->string,
						      cJSON_Duplicate(now_v, true));
		}
		if (shown && (cJSON_GetObjectItemCaseSensitive(args, "add_tags") ||
			      cJSON_GetObjectItemCaseSensitive(args, "remove_tags"))) {
			const cJSON *tags = cJSON_GetObjectItemCaseSensitive(task, "tags");
			cJSON_AddItemToObject(shown, "tags",
					      tags && cJSON_GetArraySize(tags)
						      ? cJSON_Duplicate(tags, true)
						      : cJSON_CreateArray());
		}
		size_t fl = shown ? agt_fields_words(shown, false, now, fields, sizeof fields) : 0;
		const char *renamed = string_of(changes, "title");
		size_t o = 0;
		if (renamed) {
			const char *old = string_of(args, "title");
			o = old ? agt_appendf(buf, sizeof buf, 0,
					      "Renamed \u201c%s\u201d to \u201c%s\u201d", old,
					      title)
				: agt_appendf(buf, sizeof buf, 0, "Renamed it to \u201c%s\u201d",
					      title);
			agt_appendf(buf, sizeof buf, o, "%s%s.", fl ? ";" : "",
				    fl ? fields + 1 : "");
		} else {
			agt_appendf(buf, sizeof buf, 0, "Updated \u201c%s\u201d%s%s.", title,
				    fl ? ":" : "", fl ? fields + 1 : "");
		}
		cJSON_Delete(shown);
	}
	return strdup(buf);
}

size_t agt_listed_from_result(const cJSON *result, struct agt_task_ref *out, size_t max)
{
	size_t n = 0;
	const cJSON *task;
	cJSON_ArrayForEach(task, cJSON_GetObjectItemCaseSensitive(result, "items"))
	{
		if (n == max)
			break;
		const char *id = string_of(task, "id");
		if (!id)
			continue;
		out[n].id = id;
		out[n].title = string_of(task, "title");
		n++;
	}
	return n;
}

bool agt_touched_from_result(const cJSON *result, struct agt_task_ref *out)
{
	const cJSON *task = cJSON_GetObjectItemCaseSensitive(result, "task");
	const char *id = string_of(task, "id");
	if (!id)
		return false;
	out->id = id;
	out->title = string_of(task, "title");
	return true;
}
