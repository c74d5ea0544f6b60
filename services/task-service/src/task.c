#include "task.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libical/ical.h>

#include "svc/cursor.h"
#include "svc/json.h"
#include "svc/util.h"

/* The fields a client sets, in the order tsk_merge returns them. */
static const char *const fields[] = {
	"title", "description", "priority", "tags", "due_at", "remind_at",
	"remind_before_minutes", "rrule", "time_zone", "recur_from", NULL,
};

static bool blank(const char *s)
{
	return strspn(s, " \t\r\n") == strlen(s);
}

static const char *const priorities[] = {"high", "medium", "low", NULL};

static bool priority_valid(const char *p)
{
	for (size_t i = 0; priorities[i]; i++)
		if (strcmp(p, priorities[i]) == 0)
			return true;
	return false;
}

/* Trims and lowercases (ASCII) a tag into out[n]; checks length and
 * characters. */
static enum svc_result tag_normalize(const char *in, char *out, size_t n, const char *field,
				     struct svc_err *err)
{
	while (*in == ' ' || *in == '\t')
		in++;
	size_t len = strlen(in);
	while (len && (in[len - 1] == ' ' || in[len - 1] == '\t'))
		len--;
	if (len == 0)
		return svc_err_set(err, SVC_EINVAL, field, "a tag must not be empty");
	if (len >= n)
		return svc_err_set(err, SVC_EINVAL, field, "a tag is at most %d characters",
				   TSK_TAG_MAX);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c < 0x20 || c == 0x7f || c == ',')
			return svc_err_set(err, SVC_EINVAL, field,
					   "a tag must not contain commas or control characters");
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	out[len] = '\0';
	if (!svc_utf8_valid(out, len) || svc_utf8_len(out) > TSK_TAG_MAX)
		return svc_err_set(err, SVC_EINVAL, field, "a tag is at most %d characters",
				   TSK_TAG_MAX);
	return SVC_OK;
}

static enum svc_result read_tags(const cJSON *v, cJSON **out, struct svc_err *err)
{
	*out = cJSON_CreateArray();
	if (!*out)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	if (cJSON_IsNull(v))
		return SVC_OK;
	if (!cJSON_IsArray(v))
		return svc_err_set(err, SVC_EINVAL, "tags", "tags must be an array of strings");
	if (cJSON_GetArraySize(v) > 5 * TSK_TAGS_MAX)
		return svc_err_set(err, SVC_EINVAL, "tags", "at most %d tags", TSK_TAGS_MAX);
	const cJSON *t;
	cJSON_ArrayForEach(t, v) {
		if (!cJSON_IsString(t))
			return svc_err_set(err, SVC_EINVAL, "tags", "tags must be an array of strings");
		char norm[TSK_TAG_MAX * 4 + 1];
		enum svc_result r = tag_normalize(t->valuestring, norm, sizeof norm, "tags", err);
		if (r != SVC_OK)
			return r;
		bool seen = false;
		const cJSON *have;
		cJSON_ArrayForEach(have, *out) seen = seen || strcmp(have->valuestring, norm) == 0;
		if (seen)
			continue;
		if (cJSON_GetArraySize(*out) == TSK_TAGS_MAX)
			return svc_err_set(err, SVC_EINVAL, "tags", "at most %d tags", TSK_TAGS_MAX);
		if (!cJSON_AddItemToArray(*out, cJSON_CreateString(norm)))
			return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	}
	return SVC_OK;
}

static void ical_quiet(void)
{
	/* libical's default turns a malformed rule into abort(). */
	icalerror_set_errors_are_fatal(0);
}

/* The rate of a rule is what it expands to, not its FREQ:
 * FREQ=HOURLY;BYSECOND=0,1,...,59 or FREQ=DAILY;BYMINUTE=0,30 make
 * occurrences seconds or minutes apart. Expanded from a fixed start, no
 * two of the first RATE_SAMPLE occurrences may be less than an hour apart
 * (the BY parts repeat within that many for every rule a person writes:
 * a faster rule shows itself at once). */
#define RATE_SAMPLE 64
static bool rate_ok(struct icalrecurrencetype rt)
{
	struct icaltimetype start = icaltime_from_timet_with_zone(1767225600 /* 2026-01-01 */, 0,
								  icaltimezone_get_utc_timezone());
	icalrecur_iterator *it = icalrecur_iterator_new(rt, start);
	if (!it)
		return false;
	bool ok = true;
	time_t prev = 0;
	for (int i = 0; i < RATE_SAMPLE && ok; i++) {
		struct icaltimetype t = icalrecur_iterator_next(it);
		if (icaltime_is_null_time(t))
			break;
		time_t e = icaltime_as_timet(t);
		ok = i == 0 || e - prev >= 3600;
		prev = e;
	}
	icalrecur_iterator_free(it);
	return ok;
}

enum svc_result tsk_rrule_check(const char *rrule, char *out, size_t n, struct svc_err *err)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, ical_quiet);
	if (strncasecmp(rrule, "RRULE:", 6) == 0)
		rrule += 6;
	size_t len = strlen(rrule);
	if (len == 0 || len > TSK_RRULE_MAX || len >= n)
		return svc_err_set(err, SVC_EINVAL, "rrule", "rrule must be 1 to %d characters",
				   TSK_RRULE_MAX);
	for (size_t i = 0; i < len; i++)
		if (rrule[i] <= ' ' || rrule[i] > '~')
			return svc_err_set(err, SVC_EINVAL, "rrule",
					   "rrule must not contain spaces or non-ASCII characters");
	if (strncasecmp(rrule, "FREQ=", 5) != 0 && !strstr(rrule, ";FREQ=") &&
	    !strstr(rrule, ";freq="))
		return svc_err_set(err, SVC_EINVAL, "rrule", "rrule needs a FREQ");
	icalerror_clear_errno();
	struct icalrecurrencetype rt = icalrecurrencetype_from_string(rrule);
	if (rt.freq == ICAL_NO_RECURRENCE || icalerrno != ICAL_NO_ERROR)
		return svc_err_set(err, SVC_EINVAL, "rrule",
				   "rrule is not a valid RFC 5545 recurrence rule");
	if (rt.freq == ICAL_SECONDLY_RECURRENCE || rt.freq == ICAL_MINUTELY_RECURRENCE ||
	    !rate_ok(rt))
		return svc_err_set(err, SVC_EUNPROCESSABLE, "rrule",
				   "tasks cannot recur more often than hourly");
	memcpy(out, rrule, len + 1);
	return SVC_OK;
}

bool tsk_time_zone_valid(const char *name)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, ical_quiet);
	size_t n = strlen(name);
	if (n == 0 || n > 64 || strstr(name, "..") || name[0] == '/')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '/' || c == '_' || c == '-' || c == '+'))
			return false;
	}
	return strcmp(name, "UTC") == 0 || icaltimezone_get_builtin_timezone(name) != NULL;
}

/* Reads an optional timestamp member into out (a string or null). */
static enum svc_result read_time(const cJSON *v, const char *name, cJSON **out,
				 struct svc_err *err)
{
	if (cJSON_IsNull(v)) {
		*out = cJSON_CreateNull();
	} else {
		if (!cJSON_IsString(v) || svc_time_parse_rfc3339(v->valuestring, NULL) != 0)
			return svc_err_set(err, SVC_EINVAL, name,
					   "%s must be an RFC 3339 date-time with an offset, e.g."
					   " 2026-05-01T17:00:00Z",
					   name);
		*out = cJSON_CreateString(v->valuestring);
	}
	return *out ? SVC_OK : svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
}

/* Sets name in obj to v (taking ownership of v). */
static enum svc_result put(cJSON *obj, const char *name, cJSON *v, struct svc_err *err)
{
	if (!v)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	if (cJSON_GetObjectItemCaseSensitive(obj, name))
		return cJSON_ReplaceItemInObjectCaseSensitive(obj, name, v)
			       ? SVC_OK
			       : svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	return cJSON_AddItemToObject(obj, name, v) ? SVC_OK
						   : svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
}

/* The editable fields of base (a snapshot), or a new task's defaults. */
static cJSON *start_from(const cJSON *base)
{
	cJSON *m = cJSON_CreateObject();
	if (!m)
		return NULL;
	for (size_t i = 0; fields[i]; i++) {
		const cJSON *v = base ? cJSON_GetObjectItemCaseSensitive(base, fields[i]) : NULL;
		cJSON *c = v ? cJSON_Duplicate(v, 1) : NULL;
		if (!c) {
			if (strcmp(fields[i], "tags") == 0)
				c = cJSON_CreateArray();
			else if (strcmp(fields[i], "description") == 0)
				c = cJSON_CreateString("");
			else if (strcmp(fields[i], "priority") == 0)
				c = cJSON_CreateString("medium");
			else if (strcmp(fields[i], "time_zone") == 0)
				c = cJSON_CreateString("UTC");
			else if (strcmp(fields[i], "recur_from") == 0)
				c = cJSON_CreateString("due");
			else
				c = cJSON_CreateNull();
		}
		if (!c || !cJSON_AddItemToObject(m, fields[i], c)) {
			cJSON_Delete(c);
			cJSON_Delete(m);
			return NULL;
		}
	}
	return m;
}

static enum svc_result merge_into(cJSON *m, const cJSON *body, bool create, struct svc_err *err)
{
	enum svc_result r = svc_json_only_keys(body, fields, err);
	if (r != SVC_OK)
		return r;
	const char *s = NULL;
	const cJSON *v;

	v = cJSON_GetObjectItemCaseSensitive(body, "title");
	if (create || v) {
		if (cJSON_IsNull(v))
			return svc_err_set(err, SVC_EINVAL, "title", "title must not be null");
		if ((r = svc_json_string(body, "title", true, 1, TSK_TITLE_MAX, &s, err)))
			return r;
		if (blank(s))
			return svc_err_set(err, SVC_EINVAL, "title", "title must not be blank");
		if ((r = put(m, "title", cJSON_CreateString(s), err)))
			return r;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(body, "description"))) {
		if ((r = svc_json_string(body, "description", false, 0, TSK_DESCRIPTION_MAX, &s,
					 err)))
			return r;
		if ((r = put(m, "description", cJSON_CreateString(s ? s : ""), err)))
			return r;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(body, "priority"))) {
		if (!cJSON_IsString(v) || !priority_valid(v->valuestring))
			return svc_err_set(err, SVC_EINVAL, "priority",
					   "priority must be high, medium or low");
		if ((r = put(m, "priority", cJSON_CreateString(v->valuestring), err)))
			return r;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(body, "tags"))) {
		cJSON *tags = NULL;
		r = read_tags(v, &tags, err);
		if (r != SVC_OK) {
			cJSON_Delete(tags);
			return r;
		}
		if ((r = put(m, "tags", tags, err)))
			return r;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(body, "due_at"))) {
		cJSON *t = NULL;
		if ((r = read_time(v, "due_at", &t, err)) || (r = put(m, "due_at", t, err)))
			return r;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(body, "rrule"))) {
		cJSON *rule;
		if (cJSON_IsNull(v)) {
			rule = cJSON_CreateNull();
		} else {
			if (!cJSON_IsString(v))
				return svc_err_set(err, SVC_EINVAL, "rrule", "rrule must be a string");
			char norm[TSK_RRULE_MAX + 1];
			if ((r = tsk_rrule_check(v->valuestring, norm, sizeof norm, err)))
				return r;
			rule = cJSON_CreateString(norm);
		}
		if ((r = put(m, "rrule", rule, err)))
			return r;
	}

	if ((v = cJSON_GetObjectItemCaseSensitive(body, "time_zone"))) {
		if (!cJSON_IsNull(v) && (!cJSON_IsString(v) || !tsk_time_zone_valid(v->valuestring)))
			return svc_err_set(err, SVC_EINVAL, "time_zone",
					   "time_zone must be an IANA time zone, e.g. Europe/Berlin");
		if ((r = put(m, "time_zone", cJSON_CreateString(cJSON_IsNull(v) ? "UTC" : v->valuestring),
			     err)))
			return r;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(body, "recur_from"))) {
		if (!cJSON_IsNull(v) && (!cJSON_IsString(v) || (strcmp(v->valuestring, "due") != 0 &&
								strcmp(v->valuestring, "completion") != 0)))
			return svc_err_set(err, SVC_EINVAL, "recur_from",
					   "recur_from must be due or completion");
		if ((r = put(m, "recur_from",
			     cJSON_CreateString(cJSON_IsNull(v) ? "due" : v->valuestring), err)))
			return r;
	}

	/* The reminder: an explicit time or minutes before due_at. Setting one
	 * form clears the other; null in either clears the reminder. */
	const cJSON *at = cJSON_GetObjectItemCaseSensitive(body, "remind_at");
	const cJSON *before = cJSON_GetObjectItemCaseSensitive(body, "remind_before_minutes");
	if (at && before && !cJSON_IsNull(at) && !cJSON_IsNull(before))
		return svc_err_set(err, SVC_EUNPROCESSABLE, "remind_at",
				   "give remind_at or remind_before_minutes, not both");
	if (before && !cJSON_IsNull(before)) {
		long mins;
		bool present;
		if ((r = svc_json_int(body, "remind_before_minutes", false, 0,
				      TSK_REMIND_BEFORE_MAX, &mins, &present, err)))
			return r;
		if ((r = put(m, "remind_before_minutes", cJSON_CreateNumber((double)mins), err)) ||
		    (r = put(m, "remind_at", cJSON_CreateNull(), err)))
			return r;
	} else if (at && !cJSON_IsNull(at)) {
		cJSON *t = NULL;
		if ((r = read_time(at, "remind_at", &t, err)) || (r = put(m, "remind_at", t, err)) ||
		    (r = put(m, "remind_before_minutes", cJSON_CreateNull(), err)))
			return r;
	} else if (at || before) {
		if ((r = put(m, "remind_at", cJSON_CreateNull(), err)) ||
		    (r = put(m, "remind_before_minutes", cJSON_CreateNull(), err)))
			return r;
	} else if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(m, "remind_before_minutes"))) {
		/* remind_at follows due_at: the store computes it again. */
		if ((r = put(m, "remind_at", cJSON_CreateNull(), err)))
			return r;
	}
	if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(m, "remind_before_minutes")) &&
	    cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(m, "due_at")))
		return svc_err_set(err, SVC_EUNPROCESSABLE,
				   before ? "remind_before_minutes" : "due_at",
				   "remind_before_minutes needs a due_at");
	return SVC_OK;
}

enum svc_result tsk_merge(const cJSON *base, const cJSON *body, cJSON **out,
			  struct svc_err *err)
{
	*out = NULL;
	if (!cJSON_IsObject(body))
		return svc_err_set(err, SVC_EINVAL, NULL, "the body must be a JSON object");
	cJSON *m = start_from(base);
	if (!m)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	enum svc_result r = merge_into(m, body, base == NULL, err);
	if (r != SVC_OK) {
		cJSON_Delete(m);
		return r;
	}
	*out = m;
	return SVC_OK;
}

cJSON *tsk_diff(const cJSON *old, const cJSON *new_)
{
	cJSON *changes = NULL;
	const cJSON *n;
	cJSON_ArrayForEach(n, new_) {
		if (strcmp(n->string, "version") == 0 || strcmp(n->string, "updated_at") == 0)
			continue;
		const cJSON *o = cJSON_GetObjectItemCaseSensitive(old, n->string);
		if (o && cJSON_Compare(o, n, 1))
			continue;
		if (!changes && !(changes = cJSON_CreateObject()))
			return NULL;
		cJSON *c = cJSON_AddObjectToObject(changes, n->string);
		if (!c || !cJSON_AddItemToObject(c, "old", o ? cJSON_Duplicate(o, 1) : cJSON_CreateNull()) ||
		    !cJSON_AddItemToObject(c, "new", cJSON_Duplicate(n, 1))) {
			cJSON_Delete(changes);
			return NULL;
		}
	}
	return changes;
}

/* Reads an If-Match value strictly (RFC 9110 13.1.1): "*" alone, or a
 * comma list of entity-tags (empty elements allowed, OWS around them).
 * entity-tag = [ W/ ] DQUOTE *etagc DQUOTE, etagc = %x21 / %x23-7E /
 * obs-text. If-Match compares strongly: a weak tag never matches, and
 * ours are "<version>". Returns -1 for a malformed value, else whether
 * version matches. */
static int if_match_read(const char *h, long version)
{
	const char *p = h;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '*') {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		return *p ? -1 : 1;
	}
	int matched = 0, tags = 0;
	char want[24];
	int wn = snprintf(want, sizeof want, "%ld", version);
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		bool weak = strncmp(p, "W/", 2) == 0;
		if (weak)
			p += 2;
		if (*p != '"')
			return -1;
		const char *open = ++p;
		while (*p && *p != '"') {
			unsigned char c = (unsigned char)*p;
			if (c < 0x21 || c == 0x7f)
				return -1;
			p++;
		}
		if (*p != '"')
			return -1;
		if (!weak && p - open == wn && memcmp(open, want, (size_t)wn) == 0)
			matched = 1;
		tags++;
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p && *p != ',')
			return -1;
	}
	return tags ? matched : -1;
}

bool tsk_if_match(const char *header, long version)
{
	return header && if_match_read(header, version) == 1;
}

enum svc_result tsk_if_match_check(const char *header, struct svc_err *err)
{
	if (header && if_match_read(header, 0) < 0)
		return svc_err_set(err, SVC_EINVAL, "If-Match",
				   "If-Match must be * or a list of entity tags like \"3\"");
	return SVC_OK;
}

static const char *const sort_names[] = {"created_at", "due_at", "priority", "title"};

const char *tsk_sort_name(enum tsk_sort s)
{
	return sort_names[s];
}

/* A fingerprint of the sort and the filters: a cursor only continues the
 * query it was made for. */
static void fingerprint(const struct tsk_query *q, char out[17])
{
	char head[256];
	snprintf(head, sizeof head, "%s|%d|%s|%s|%s|%s|%d|", tsk_sort_name(q->sort), q->desc,
		 q->status, q->priority, q->due_before, q->due_after, q->overdue);
	const char *parts[2 + TSK_TAGS_MAX] = {head, q->q};
	size_t np = 2;
	/* Tags in a canonical order: the same set is the same query. */
	const char *sorted[TSK_TAGS_MAX];
	for (size_t i = 0; i < q->ntags; i++) {
		size_t j = i;
		while (j > 0 && strcmp(sorted[j - 1], q->tags[i]) > 0) {
			sorted[j] = sorted[j - 1];
			j--;
		}
		sorted[j] = q->tags[i];
	}
	for (size_t i = 0; i < q->ntags; i++)
		parts[np++] = sorted[i];
	svc_fingerprint(parts, np, out);
}

char *tsk_cursor_make(const struct tsk_query *q, const char *key, const char *id)
{
	char fp[17];
	fingerprint(q, fp);
	return svc_cursor_make(fp, key, id);
}

static enum svc_result cursor_read(const char *s, struct tsk_query *q, struct svc_err *err)
{
	char fp[17];
	fingerprint(q, fp);
	enum svc_result r = svc_cursor_read(s, fp, q->after_key, sizeof q->after_key, q->after_id,
					    sizeof q->after_id, err);
	if (r != SVC_OK)
		return r;
	/* The key must read back as its sort's type. */
	const char *key = q->after_key;
	long pr;
	bool ok;
	switch (q->sort) {
	case TSK_SORT_PRIORITY:
		ok = svc_parse_long(key, 1, 3, &pr) == 0;
		break;
	case TSK_SORT_TITLE:
		ok = svc_utf8_valid(key, strlen(key));
		break;
	default:
		ok = svc_time_parse_rfc3339(key, NULL) == 0 ||
		     (q->sort == TSK_SORT_DUE &&
		      (strcmp(key, "infinity") == 0 || strcmp(key, "-infinity") == 0));
	}
	if (!ok || !svc_uuid_valid(q->after_id))
		return svc_err_set(err, SVC_EINVAL, "cursor", "cursor is not valid");
	q->after = true;
	return SVC_OK;
}

static enum svc_result one_of(const char *name, const char *v, const char *const *allowed,
			      char *out, size_t n, struct svc_err *err)
{
	for (size_t i = 0; allowed[i]; i++) {
		if (strcmp(v, allowed[i]) == 0) {
			snprintf(out, n, "%s", v);
			return SVC_OK;
		}
	}
	return svc_err_set(err, SVC_EINVAL, name, "%s has no value '%.40s'", name, v);
}

enum svc_result tsk_query_parse(const struct svc_kv *params, size_t n, struct tsk_query *out,
				struct svc_err *err)
{
	static const char *const names[] = {"q", "status", "priority", "tag", "due_before",
					    "due_after", "overdue", "sort", "limit", "cursor",
					    NULL};
	static const char *const statuses[] = {"pending", "completed", NULL};
	memset(out, 0, sizeof *out);
	out->sort = TSK_SORT_CREATED;
	out->desc = true;
	out->limit = TSK_LIMIT_DEFAULT;
	const char *cursor = NULL;
	enum svc_result known = svc_query_known(params, n, names, "tag", err);
	if (known != SVC_OK)
		return known;
	for (size_t i = 0; i < n; i++) {
		const char *k = params[i].name, *v = params[i].value;
		if (!svc_utf8_valid(v, strlen(v)))
			return svc_err_set(err, SVC_EINVAL, k, "%s is not valid UTF-8", k);
		enum svc_result r = SVC_OK;
		if (strcmp(k, "q") == 0) {
			if (svc_utf8_len(v) > TSK_SEARCH_MAX)
				return svc_err_set(err, SVC_EINVAL, k, "q is at most %d characters",
						   TSK_SEARCH_MAX);
			snprintf(out->q, sizeof out->q, "%s", v);
		} else if (strcmp(k, "status") == 0) {
			r = one_of(k, v, statuses, out->status, sizeof out->status, err);
		} else if (strcmp(k, "priority") == 0) {
			r = one_of(k, v, priorities, out->priority, sizeof out->priority, err);
		} else if (strcmp(k, "tag") == 0) {
			if (out->ntags == TSK_TAGS_MAX)
				return svc_err_set(err, SVC_EINVAL, k, "at most %d tags", TSK_TAGS_MAX);
			r = tag_normalize(v, out->tags[out->ntags], sizeof out->tags[0], k, err);
			if (r == SVC_OK)
				out->ntags++;
		} else if (strcmp(k, "due_before") == 0 || strcmp(k, "due_after") == 0) {
			if (svc_time_parse_rfc3339(v, NULL) != 0)
				return svc_err_set(err, SVC_EINVAL, k,
						   "%s must be an RFC 3339 date-time with an offset", k);
			snprintf(k[4] == 'b' ? out->due_before : out->due_after, sizeof out->due_before,
				 "%s", v);
		} else if (strcmp(k, "overdue") == 0) {
			if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
				return svc_err_set(err, SVC_EINVAL, k, "overdue must be true or false");
			out->overdue = strcmp(v, "true") == 0;
		} else if (strcmp(k, "sort") == 0) {
			bool desc = v[0] == '-';
			size_t s = 0;
			while (s < 4 && strcmp(sort_names[s], v + desc) != 0)
				s++;
			if (s == 4)
				return svc_err_set(err, SVC_EINVAL, k,
						   "sort must be due_at, priority, created_at or title,"
						   " with '-' in front for descending");
			out->sort = (enum tsk_sort)s;
			out->desc = desc;
		} else if (strcmp(k, "limit") == 0) {
			if (svc_parse_long(v, 1, TSK_LIMIT_MAX, &out->limit) != 0)
				return svc_err_set(err, SVC_EINVAL, k, "limit must be 1 to %d",
						   TSK_LIMIT_MAX);
		} else {
			cursor = v;
		}
		if (r != SVC_OK)
			return r;
	}
	/* The cursor is checked against everything else, so read it last. */
	return cursor ? cursor_read(cursor, out, err) : SVC_OK;
}

int tsk_pg_text_array(struct svc_buf *b, const char *const *items, size_t n)
{
	int rc = svc_buf_puts(b, "{");
	for (size_t i = 0; i < n; i++) {
		rc |= svc_buf_puts(b, i ? ",\"" : "\"");
		for (const char *p = items[i]; *p; p++) {
			if (*p == '"' || *p == '\\')
				rc |= svc_buf_puts(b, "\\");
			rc |= svc_buf_append(b, p, 1);
		}
		rc |= svc_buf_puts(b, "\"");
	}
	return rc | svc_buf_puts(b, "}");
}
