#include "planner.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalogue.h"
#include "lex.h"
#include "phrase.h"
#include "reply.h"
#include "svc/json.h"
#include "svc/text.h"
#include "svc/util.h"

#define MAX_TAGS 20
#define TEXT_MAX 2048 /* bytes of a title or tag as typed (500 code points fit) */
#define REPLY_MAX 4096
#define SPLIT_WINDOW 48 /* tokens an update's task reference may span */

struct planner {
	struct agt_toks t;
	struct agt_now now;
	const struct agt_plan_context *ctx;
	struct agt_plan *plan;
	size_t b, e;   /* the tokens left to read */
	bool question; /* it ended in "?" */
	bool oom;
};

/* Replies. */

static void reply(struct planner *p, enum agt_plan_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void reply(struct planner *p, enum agt_plan_kind kind, const char *fmt, ...)
{
	char buf[REPLY_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	/* Cut at a character boundary: the text may hold the user's words. */
	size_t len = strlen(buf);
	while (len && !svc_utf8_valid(buf, len))
		len--;
	buf[len] = '\0';
	free(p->plan->reply);
	p->plan->reply = strdup(buf);
	if (!p->plan->reply)
		p->oom = true;
	p->plan->kind = kind;
}

static const char *const examples = "For example: \u201cadd buy milk tomorrow at 5pm\u201d, "
				    "\u201cshow my tasks\u201d or \u201ccomplete 2\u201d.";

static void not_understood(struct planner *p, const char *what)
{
	reply(p, AGT_PLAN_UNKNOWN, "I did not understand \u201c%s\u201d. %s", what, examples);
}

/* Text of tokens. */

/* The text of tokens [b, e) as typed, white space runs made one space;
 * a single quote token gives its content. */
static void span_text(const struct planner *p, size_t b, size_t e, char *out, size_t n)
{
	out[0] = '\0';
	if (b >= e || !n)
		return;
	const struct agt_tok *first = &p->t.v[b], *last = &p->t.v[e - 1];
	size_t sb = first->ob, se = last->oe;
	if (e - b == 1 && first->kind == AGT_TOK_QUOTE) {
		sb = first->b;
		se = first->e;
	}
	size_t o = 0;
	bool space = false;
	for (size_t i = sb; i < se && o + 5 < n;) {
		size_t len = 1;
		uint32_t c = svc_utf8_next((const unsigned char *)p->t.text + i, &len);
		if (svc_unicode_space(c) || svc_unicode_control(c)) {
			space = o > 0;
			i += len;
			continue;
		}
		if (space)
			out[o++] = ' ';
		space = false;
		memcpy(out + o, p->t.text + i, len);
		o += len;
		i += len;
	}
	out[o] = '\0';
}

/* Everything the user wrote, cut for quoting back. */
static void whole_text(const struct planner *p, char *out, size_t n)
{
	span_text(p, 0, p->t.n, out, n > 200 ? 200 : n);
}

/* The unused tokens of [b, e) that are more than punctuation. */
static bool any_left(const struct planner *p, size_t b, size_t e)
{
	for (size_t i = b; i < e; i++)
		if (!p->t.v[i].used && p->t.v[i].kind != AGT_TOK_PUNCT)
			return true;
	return false;
}

/* The first stretch of unused words in [b, e), as typed. */
static void leftover_text(const struct planner *p, size_t b, size_t e, char *out, size_t n)
{
	size_t i = b;
	while (i < e && (p->t.v[i].used || p->t.v[i].kind == AGT_TOK_PUNCT))
		i++;
	size_t j = i;
	while (j < e && !p->t.v[j].used)
		j++;
	while (j > i && p->t.v[j - 1].kind == AGT_TOK_PUNCT)
		j--;
	span_text(p, i, j, out, n);
}

/* Values: the phrases of a task's fields. */

struct values {
	int n_when;
	struct agt_when when;
	char when_text[2][96];
	bool has_recur;
	struct agt_recur recur;
	size_t recur_at, recur_len; /* its tokens */
	bool has_remind;
	struct agt_remind remind;
	const char *priority;
	size_t tags[MAX_TAGS];
	size_t n_tags;
	bool too_many_tags;
};

static bool has_values(const struct values *v)
{
	return v->n_when || v->has_recur || v->has_remind || v->priority || v->n_tags;
}

/* Reads one value phrase at i (ending by e); marks it used. */
static size_t value_at(struct planner *p, size_t i, size_t e, struct values *v)
{
	struct agt_toks *t = &p->t;
	size_t n;
	struct agt_remind rem;
	if ((n = agt_remind_read(t, i, &p->now, &rem)) && i + n <= e) {
		v->has_remind = true;
		v->remind = rem;
		goto take;
	}
	struct agt_recur rec;
	if (v->has_recur && (n = agt_recur_more(t, i, &p->now, &v->recur)) && i + n <= e)
		goto take;
	if ((n = agt_recur_read(t, i, &p->now, &rec)) && i + n <= e) {
		/* Two rules: a lone "weekly" before "every friday" names the
		 * task ("weekly review"), it goes back to the title. */
		if (v->has_recur && v->recur_len == 1)
			t->v[v->recur_at].used = false;
		v->has_recur = true;
		v->recur = rec;
		v->recur_at = i;
		v->recur_len = n;
		goto take;
	}
	struct agt_when w;
	if ((n = agt_when_read(t, i, &p->now, &w)) && i + n <= e) {
		if (v->n_when < 2)
			span_text(p, i, i + n, v->when_text[v->n_when], sizeof v->when_text[0]);
		if (v->n_when == 0)
			v->when = w;
		v->n_when++;
		goto take;
	}
	const char *prio;
	if ((n = agt_priority_read(t, i, &prio)) && i + n <= e) {
		v->priority = prio;
		goto take;
	}
	size_t names[MAX_TAGS], count;
	if ((n = agt_tags_read(t, i, names, MAX_TAGS, &count)) && i + n <= e) {
		for (size_t k = 0; k < count; k++) {
			if (v->n_tags < MAX_TAGS)
				v->tags[v->n_tags++] = names[k];
			else
				v->too_many_tags = true;
		}
		goto take;
	}
	return 0;
take:
	agt_use(t, i, n);
	return n;
}

static void read_values(struct planner *p, size_t b, size_t e, struct values *v)
{
	for (size_t i = b; i < e; i++) {
		if (p->t.v[i].used)
			continue;
		size_t n = value_at(p, i, e, v);
		if (n)
			i += n - 1;
	}
}

/* Tags as the task keeps them: trimmed, lowercase, no # or @. */
static void tag_text(const struct planner *p, size_t i, char *out, size_t n)
{
	const struct agt_tok *k = &p->t.v[i];
	size_t len = k->e - k->b;
	if (len >= n)
		len = n - 1;
	for (size_t j = 0; j < len; j++) {
		char c = p->t.text[k->b + j];
		out[j] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	out[len] = '\0';
	size_t b, e;
	svc_utf8_trim_span(out, &b, &e);
	memmove(out, out + b, e - b);
	out[e - b] = '\0';
}

static cJSON *tags_array(const struct planner *p, const size_t *idx, size_t n)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; arr && i < n; i++) {
		char tag[TEXT_MAX];
		tag_text(p, idx[i], tag, sizeof tag);
		bool dup = false;
		const cJSON *x;
		cJSON_ArrayForEach(x, arr)
		{
			if (strcmp(x->valuestring, tag) == 0)
				dup = true;
		}
		/* arr takes ownership of the new string */
		if (!dup && tag[0] && !cJSON_AddItemToArray(arr, cJSON_CreateString(tag))) {
			cJSON_Delete(arr);
			return NULL;
		}
	}
	return arr;
}

/* Titles. */

static bool is_punct(const struct planner *p, size_t i)
{
	return p->t.v[i].kind == AGT_TOK_PUNCT && !agt_is(&p->t, i, "(|[|)|]");
}

/* The title: the stretches of [b, e) no phrase took, joined by a space.
 * Punctuation and the connectors a phrase left behind ("buy milk with"
 * before "high priority") come off their ends. */
static void title_from(struct planner *p, size_t b, size_t e, char *out, size_t n)
{
	struct agt_toks *t = &p->t;
	size_t o = 0;
	out[0] = '\0';
	size_t i = b;
	bool first = true;
	while (i < e) {
		while (i < e && t->v[i].used)
			i++;
		size_t cb = i;
		while (i < e && !t->v[i].used)
			i++;
		size_t ce = i;
		bool used_before = cb > b, used_after = ce < e;
		/* Is there another content stretch after this one? */
		bool last = true;
		for (size_t k = ce; k < e; k++)
			if (!t->v[k].used && !is_punct(p, k)) {
				last = false;
				break;
			}
		for (;;) {
			if (cb < ce && is_punct(p, cb)) {
				cb++;
			} else if (cb < ce && first && used_before &&
				   agt_is(t, cb, "and|then|also|plus|with")) {
				cb++;
			} else {
				break;
			}
		}
		for (;;) {
			if (ce > cb && is_punct(p, ce - 1)) {
				ce--;
			} else if (ce > cb && last && used_after &&
				   agt_is(t, ce - 1,
					  "and|with|then|also|at|on|by|due|for|in|from|every|to|"
					  "plus|starting")) {
				ce--;
			} else {
				break;
			}
		}
		if (cb >= ce)
			continue;
		char part[TEXT_MAX];
		span_text(p, cb, ce, part, sizeof part);
		o = agt_appendf(out, n, o, "%s%s", o ? " " : "", part);
		first = false;
	}
}

/* References to tasks. */

enum ref_kind { REF_ID, REF_TITLE, REF_POS, REF_LAST };

struct ref {
	enum ref_kind kind;
	long pos;
	char text[TEXT_MAX];
};

/* One position: "2", "#2", "task 2", "number 2", "the second one",
 * "the last one". */
static size_t position_at(struct planner *p, size_t i, size_t e, long *pos)
{
	struct agt_toks *t = &p->t;
	size_t n = agt_match(t, i, "the");
	n += agt_match(t, i + n, "task|item|number|no|nr|num|todo|#");
	if (n && agt_is(t, i + n - 1, "no|nr|num"))
		n += agt_match(t, i + n, ".");
	if (i + n >= e)
		return 0;
	long v = -1;
	const struct agt_tok *k = &t->v[i + n];
	if (k->kind == AGT_TOK_NUM)
		v = agt_tok_int(t, i + n, false);
	else if (k->kind == AGT_TOK_HASH)
		v = agt_tok_int(t, i + n, false);
	if (v < 0) {
		v = agt_tok_ordinal(t, i + n);
		if (v < 0 && agt_is(t, i + n, "last|final|bottom"))
			v = p->ctx->n_listed ? (long)p->ctx->n_listed : 1000000;
		if (v < 0)
			return 0;
	}
	if (v < 1 || v > 1000000)
		return 0;
	n++;
	n += agt_match(t, i + n, "one|task|item|todo");
	size_t on = agt_match(t, i + n, "on|in the list");
	n += on == 3 ? on : 0;
	*pos = v;
	return n;
}

static bool is_uuid_token(const struct planner *p, size_t i)
{
	const struct agt_tok *k = &p->t.v[i];
	if (k->e - k->b != 36)
		return false;
	char id[37];
	memcpy(id, p->t.text + k->b, 36);
	id[36] = '\0';
	return svc_uuid_valid(id);
}

enum refs_status { REFS_OK, REFS_NONE, REFS_ALL };

/* Reads [b, e) as references to tasks: "it", positions ("1, 2 and 4",
 * "2-4"), an id, or one title ("the groceries task", "'Buy milk'",
 * "the task about groceries"). */
static enum refs_status read_refs(struct planner *p, size_t b, size_t e, struct ref *refs,
				  size_t max, size_t *count)
{
	struct agt_toks *t = &p->t;
	*count = 0;
	while (b < e && (t->v[b].used || is_punct(p, b)))
		b++;
	while (e > b && (t->v[e - 1].used || is_punct(p, e - 1)))
		e--;
	if (b >= e)
		return REFS_NONE;
	size_t n;
	if ((n = agt_match(t, b, "all|everything")) &&
	    (b + n == e || agt_is(t, b + n, "of|my|tasks|the")))
		return REFS_ALL;
	if (((n = agt_match(t, b, "it|that|this|them")) ||
	     (n = agt_match(t, b, "that|this|the same? one|task|item")) ||
	     (n = agt_match(t, b, "the one|task i? just added|created|made|mentioned")) ||
	     (n = agt_match(t, b, "the last one|task i added|created|made"))) &&
	    b + n == e) {
		refs[0].kind = REF_LAST;
		*count = 1;
		return REFS_OK;
	}
	/* Positions, one or several. */
	size_t i = b;
	size_t c = 0;
	while (i < e && c < max) {
		long pos, to;
		size_t k = position_at(p, i, e, &pos);
		const struct agt_tok *tk = &t->v[i];
		int a, z, len = 0;
		if (!k && tk->kind == AGT_TOK_NUM && sscanf(tk->w, "%d-%d%n", &a, &z, &len) == 2 &&
		    (size_t)len == strlen(tk->w) && a >= 1 && z >= a && z - a < (int)max) {
			for (to = a; to <= z && c < max; to++) {
				refs[c].kind = REF_POS;
				refs[c++].pos = to;
			}
			i++;
		} else if (k) {
			refs[c].kind = REF_POS;
			refs[c++].pos = pos;
			i += k;
		} else {
			break;
		}
		size_t sep = agt_match(t, i, ",|and|&|then|also|plus");
		sep += agt_match(t, i + sep, "and");
		if (i < e && !sep)
			break;
		i += sep;
	}
	if (c && i >= e) {
		*count = c;
		return REFS_OK;
	}
	size_t ib = b + agt_match(t, b, "the? task|item|id");
	if (e - ib == 1 && is_uuid_token(p, ib)) {
		refs[0].kind = REF_ID;
		span_text(p, ib, e, refs[0].text, sizeof refs[0].text);
		*count = 1;
		return REFS_OK;
	}
	/* A title: trimmed of "the ... task", "the task called ...". */
	size_t tb = b, te = e;
	if (!(te - tb == 1 && t->v[tb].kind == AGT_TOK_QUOTE)) {
		tb += agt_match(t, tb, "the|my|a|an");
		if ((n = agt_match(t, tb, "task|item|todo|to-do|entry|one|thing")) && tb + n < te) {
			size_t k2 = agt_match(t, tb + n,
					      "about|called|named|titled|for|regarding|on|with|"
					      "saying|that|which|:");
			k2 += agt_match(t, tb + n + k2,
					"says|is|mentions|mentioning|called|named|about");
			if (k2 || t->v[tb + n].kind == AGT_TOK_QUOTE)
				tb += n + k2;
		}
		while (te > tb + 1 && agt_is(t, te - 1, "task|item|todo|to-do|entry|one|thing"))
			te--;
	}
	if (tb >= te)
		return REFS_NONE;
	refs[0].kind = REF_TITLE;
	span_text(p, tb, te, refs[0].text, sizeof refs[0].text);
	*count = 1;
	return refs[0].text[0] ? REFS_OK : REFS_NONE;
}

static const char *const no_list =
	"Show your tasks first (\u201cshow my tasks\u201d), then say its number, or "
	"name it.";

/* Adds the reference's argument (task_id or title) to args and describes
 * the task in desc. false after asking which task is meant. */
static bool ref_args(struct planner *p, const struct ref *r, cJSON *args, char *desc, size_t n)
{
	const struct agt_plan_context *ctx = p->ctx;
	const struct agt_task_ref *task = NULL;
	switch (r->kind) {
	case REF_POS:
		if (!ctx->n_listed) {
			reply(p, AGT_PLAN_QUESTION, "Which task is number %ld? %s", r->pos,
			      no_list);
			return false;
		}
		if ((size_t)r->pos > ctx->n_listed) {
			reply(p, AGT_PLAN_QUESTION,
			      "The last list I showed has %zu task%s, so there is no number %ld. "
			      "Which one do you mean?",
			      ctx->n_listed, ctx->n_listed == 1 ? "" : "s", r->pos);
			return false;
		}
		task = &ctx->listed[r->pos - 1];
		break;
	case REF_LAST:
		if (!ctx->last || !ctx->last->id) {
			reply(p, AGT_PLAN_QUESTION, "Which task do you mean? %s", no_list);
			return false;
		}
		task = ctx->last;
		break;
	case REF_ID:
		snprintf(desc, n, "task %.40s", r->text);
		if (!cJSON_AddStringToObject(args, "task_id", r->text))
			p->oom = true;
		return true;
	case REF_TITLE:
		snprintf(desc, n, "the task \u201c%.1990s\u201d", r->text);
		if (!cJSON_AddStringToObject(args, "title", r->text))
			p->oom = true;
		return true;
	}
	if (task->title)
		snprintf(desc, n, "\u201c%s\u201d", task->title);
	else
		snprintf(desc, n, "task %s", task->id);
	if (!cJSON_AddStringToObject(args, "task_id", task->id))
		p->oom = true;
	return true;
}

/* Calls. */

/* Adds a call; checks its arguments against the catalogue. false (with
 * the plan saying why) when they do not pass. Takes ownership of args. */
static bool add_call(struct planner *p, const char *tool, cJSON *args)
{
	if (!args) {
		p->oom = true;
		return false;
	}
	const struct agt_tool *def = agt_catalogue_find(agt_catalogue_builtin(), tool);
	struct svc_err err = {0};
	if (!def) {
		cJSON_Delete(args);
		p->oom = true;
		return false;
	}
	if (agt_tool_check_args(def, args, &err) != SVC_OK) {
		cJSON_Delete(args);
		reply(p, AGT_PLAN_UNKNOWN, "I cannot do that: %s.", err.message);
		return false;
	}
	if (p->plan->n_calls == AGT_PLAN_MAX_CALLS) {
		cJSON_Delete(args);
		reply(p, AGT_PLAN_UNKNOWN,
		      "That is more than %d tasks at once; please ask in parts.",
		      AGT_PLAN_MAX_CALLS);
		return false;
	}
	p->plan->calls[p->plan->n_calls].tool = def->name;
	p->plan->calls[p->plan->n_calls].arguments = args;
	p->plan->n_calls++;
	p->plan->kind = AGT_PLAN_CALLS;
	return true;
}

static bool add_time(struct planner *p, cJSON *obj, const char *name, long long t)
{
	char buf[32];
	if (agt_rfc3339_local(p->now.zone, t, buf, sizeof buf) != SVC_OK ||
	    !cJSON_AddStringToObject(obj, name, buf)) {
		p->oom = true;
		return false;
	}
	return true;
}

/* Turns the values read into task fields in obj (a new task, or an
 * update's changes). false after asking for what is missing. */
static bool values_to_fields(struct planner *p, struct values *v, cJSON *obj, bool creating)
{
	if (v->n_when > 1) {
		reply(p, AGT_PLAN_QUESTION,
		      "I found two dates, \u201c%s\u201d and \u201c%s\u201d: "
		      "which one do you mean?",
		      v->when_text[0], v->when_text[1]);
		return false;
	}
	if (v->too_many_tags) {
		reply(p, AGT_PLAN_UNKNOWN, "A task can carry at most %d tags.", MAX_TAGS);
		return false;
	}
	if (v->priority && !cJSON_AddStringToObject(obj, "priority", v->priority))
		p->oom = true;
	if (v->n_tags) {
		cJSON *tags = tags_array(p, v->tags, v->n_tags);
		/* obj takes ownership of tags */
		if (!tags || !cJSON_AddItemToObject(obj, "tags", tags)) {
			cJSON_Delete(tags);
			p->oom = true;
		}
	}
	bool has_due = false;
	long long due = 0;
	if (v->has_recur) {
		int h = AGT_DEFAULT_HOUR, m = 0;
		if (v->n_when && v->when.has_time) {
			h = v->when.date.hour;
			m = v->when.date.minute;
		} else if (v->n_when && v->when.default_hour >= 0) {
			h = v->when.default_hour;
		} else if (v->recur.default_hour >= 0) {
			h = v->recur.default_hour;
		}
		if (v->n_when && (v->when.has_date || v->when.exact))
			due = agt_when_due(&v->when, &p->now);
		else
			due = agt_recur_first(&v->recur, &p->now, h, m);
		has_due = true;
		char rule[200];
		agt_recur_rrule(&v->recur, &p->now, rule, sizeof rule);
		if (!cJSON_AddStringToObject(obj, "rrule", rule) ||
		    !cJSON_AddStringToObject(obj, "time_zone", p->now.zone))
			p->oom = true;
	} else if (v->n_when) {
		due = agt_when_due(&v->when, &p->now);
		has_due = true;
	}
	if (has_due && !add_time(p, obj, "due_at", due))
		return false;
	if (v->has_remind) {
		const struct agt_remind *r = &v->remind;
		if (r->before || r->bare) {
			if (!has_due && creating) {
				reply(p, AGT_PLAN_QUESTION,
				      "When is it due? A reminder %s needs a due time.",
				      r->bare ? "at the due time" : "before the due time");
				return false;
			}
			if (!cJSON_AddNumberToObject(obj, "remind_before_minutes",
						     r->bare ? 0 : (double)r->minutes))
				p->oom = true;
		} else if (r->at) {
			struct agt_when w = r->when;
			long long at;
			if (has_due && !w.has_date && !w.exact &&
			    (w.has_time || w.default_hour >= 0)) {
				/* "remind me at 8": on the due day. */
				struct agt_civil day;
				agt_local(p->now.zone, due, &day, NULL);
				w.has_date = true;
				w.date.year = day.year;
				w.date.month = day.month;
				w.date.day = day.day;
				if (w.default_hour >= 0 && !w.has_time) {
					w.has_time = true;
					w.date.hour = w.default_hour;
					w.date.minute = 0;
				}
			}
			at = agt_when_due(&w, &p->now);
			if (!add_time(p, obj, "remind_at", at))
				return false;
		}
	}
	return true;
}

/* Intents. */

static void plan_add(struct planner *p, size_t b, bool remind_at_due)
{
	struct agt_toks *t = &p->t;
	/* "to my list" and the like say nothing about the task. */
	for (size_t i = b; i < p->e; i++) {
		size_t n =
			agt_match(t, i, "to|on|onto|in my|the todo|to-do|task|tasks? list|tasks");
		if (n >= 3)
			agt_use(t, i, n);
	}
	struct values v = {0};
	read_values(p, b, p->e, &v);
	if (remind_at_due && !v.has_remind) {
		v.has_remind = true;
		v.remind.bare = true;
	}
	char title[TEXT_MAX];
	title_from(p, b, p->e, title, sizeof title);
	if (!title[0]) {
		reply(p, AGT_PLAN_QUESTION,
		      "What is the task? Say, for example, \u201cadd buy milk tomorrow\u201d.");
		return;
	}
	if (v.has_remind && v.remind.bare && !v.n_when && !v.has_recur) {
		reply(p, AGT_PLAN_QUESTION, "When should I remind you to %s?", title);
		return;
	}
	cJSON *args = cJSON_CreateObject();
	if (!args || !cJSON_AddStringToObject(args, "title", title)) {
		cJSON_Delete(args);
		p->oom = true;
		return;
	}
	if (!values_to_fields(p, &v, args, true)) {
		cJSON_Delete(args);
		return;
	}
	char fields[1024];
	agt_fields_words(args, false, &p->now, fields, sizeof fields);
	if (add_call(p, "add_task", args))
		reply(p, AGT_PLAN_CALLS, "I'll add \u201c%s\u201d%s.", title, fields);
}

/* Status, priority and sort words of a list request. */
struct filters {
	const char *status;
	bool all;
	const char *priority;
	size_t tags[MAX_TAGS];
	size_t n_tags;
	bool overdue;
	bool due_words; /* "due", "deadline": sort by due time */
	bool has_range;
	long long from, to;
	char lead[8];
	char when_text[96]; /* the user's words for the range */
	const char *sort;
	long limit;
	char q[TEXT_MAX];
};

static size_t filter_at(struct planner *p, size_t i, struct filters *f)
{
	struct agt_toks *t = &p->t;
	size_t n;
	const char *prio;
	if ((n = agt_match(t, i, "overdue|late|missed")) ||
	    (n = agt_match(t, i, "past due")) == 2 || (n = agt_match(t, i, "behind on"))) {
		f->overdue = true;
		return n;
	}
	if ((n = agt_match(t, i,
			   "pending|open|incomplete|unfinished|outstanding|remaining|left|"
			   "undone|active|current|uncompleted|unchecked"))) {
		f->status = "pending";
		return n;
	}
	if ((n = agt_match(t, i, "not done|finished|completed")) == 2 ||
	    (n = agt_match(t, i, "to do")) == 2 || (n = agt_match(t, i, "to be done")) == 3) {
		f->status = "pending";
		return n;
	}
	if ((n = agt_match(t, i, "completed|done|finished|closed|complete|checked|ticked"))) {
		f->status = "completed";
		return n;
	}
	if ((n = agt_match(t, i, "all|every|everything"))) {
		f->all = true;
		return n;
	}
	if ((n = agt_match(t, i, "upcoming|soon")) || (n = agt_match(t, i, "coming up")) == 2) {
		f->has_range = true;
		f->from = p->now.t;
		f->to = p->now.t + 7 * 86400;
		f->due_words = true;
		snprintf(f->when_text, sizeof f->when_text, "in the next 7 days");
		return n;
	}
	long v;
	if ((n = agt_match(t, i, "top|first|last")) && (v = agt_tok_int(t, i + 1, false)) > 0 &&
	    v <= 200) {
		f->limit = v;
		return 2;
	}
	if ((v = agt_tok_int(t, i, false)) > 0 && v <= 200 &&
	    agt_is(t, i + 1, "tasks|items|todos|things")) {
		f->limit = v;
		return 1;
	}
	if ((n = agt_priority_read(t, i, &prio))) {
		f->priority = prio;
		return n;
	}
	if ((n = agt_match(t, i, "high|urgent|important|critical|top"))) {
		f->priority = "high";
		return n;
	}
	if ((n = agt_match(t, i, "low|unimportant|minor"))) {
		f->priority = "low";
		return n;
	}
	if ((n = agt_match(t, i, "medium|normal"))) {
		f->priority = "medium";
		return n;
	}
	size_t names[MAX_TAGS], count;
	if ((n = agt_tags_read(t, i, names, MAX_TAGS, &count))) {
		for (size_t k = 0; k < count && f->n_tags < MAX_TAGS; k++)
			f->tags[f->n_tags++] = names[k];
		return n;
	}
	struct agt_when w;
	if ((n = agt_when_read(t, i, &p->now, &w))) {
		f->has_range = true;
		agt_when_range(&w, &p->now, &f->from, &f->to);
		snprintf(f->lead, sizeof f->lead, "%s", w.lead);
		span_text(p, i, i + n, f->when_text, sizeof f->when_text);
		f->due_words = true;
		return n;
	}
	if ((n = agt_match(t, i, "sorted|ordered|sort|order? by"))) {
		size_t k = n;
		if (agt_is(t, i + k, "due|date|deadline|time|when")) {
			f->sort = "due_at";
			k += 1 + agt_match(t, i + k + 1, "date|time");
		} else if (agt_is(t, i + k, "priority|importance")) {
			f->sort = "-priority";
			k++;
		} else if (agt_is(t, i + k, "title|name|alphabet")) {
			f->sort = "title";
			k++;
		} else if (agt_is(t, i + k, "creation|created|age|date added")) {
			f->sort = "-created_at";
			k++;
		} else {
			return 0;
		}
		return k;
	}
	if ((n = agt_match(t, i, "alphabetically|a-z"))) {
		f->sort = "title";
		return n;
	}
	if ((n = agt_match(t, i, "newest|latest first?")) ||
	    (n = agt_match(t, i, "most recent first?")) >= 2) {
		f->sort = "-created_at";
		return n;
	}
	if ((n = agt_match(t, i, "oldest first?"))) {
		f->sort = "created_at";
		return n;
	}
	if ((n = agt_match(t, i, "due|deadline|deadlines|dated|next"))) {
		f->due_words = true;
		return n;
	}
	return 0;
}

/* Words of a list request that say nothing more than "my tasks". */
static bool list_filler(const struct planner *p, size_t i)
{
	return agt_is(&p->t, i,
		      "me|my|all|the|tasks|task|todos|todo|to-dos|to-do|items|item|things|thing|"
		      "stuff|list|lists|is|are|do|does|i|have|got|there|any|anything|which|that|"
		      "what|what's|whats|on|for|in|of|to|at|with|and|s|'s|need|agenda|plate|"
		      "schedule|up|please|now|currently|still|ones|one|a|an|many|much|how|it|"
		      "please|show|list|display|view|see|tell|give|get|fetch|read|you|can|could|"
		      "would|will|let|us|know|should|work|entries|reminders|current|within|"
		      "yet|already|whole|entire|full|every|set|have|i've|ive|gotta|going|out");
}

static cJSON *filter_args(struct planner *p, const struct filters *f, bool search)
{
	cJSON *args = cJSON_CreateObject();
	if (!args)
		return NULL;
	bool ok = true;
	if (search || f->q[0])
		ok = ok && cJSON_AddStringToObject(args, "q", f->q);
	const char *status = f->status;
	if (!status && !f->all && !f->overdue && !search)
		status = "pending";
	if (status && !(f->all && !f->status))
		ok = ok && cJSON_AddStringToObject(args, "status", status);
	if (f->priority)
		ok = ok && cJSON_AddStringToObject(args, "priority", f->priority);
	if (f->n_tags) {
		cJSON *tags = tags_array(p, f->tags, f->n_tags);
		/* args takes ownership of tags */
		if (!tags || !cJSON_AddItemToObject(args, "tag", tags)) {
			cJSON_Delete(tags);
			ok = false;
		}
	}
	if (f->has_range) {
		bool before = strcmp(f->lead, "before") == 0;
		bool after = strcmp(f->lead, "after") == 0;
		bool until = strcmp(f->lead, "by") == 0 || strcmp(f->lead, "until") == 0;
		if (before)
			ok = ok && add_time(p, args, "due_before", f->from);
		else if (until)
			ok = ok &&
			     add_time(p, args, "due_before", f->to > f->from ? f->to : f->from);
		else if (after)
			ok = ok &&
			     add_time(p, args, "due_after", f->to > f->from ? f->to : f->from);
		else {
			ok = ok && add_time(p, args, "due_after", f->from);
			ok = ok && add_time(p, args, "due_before",
					    f->to > f->from ? f->to : f->from + 60);
		}
	}
	if (f->overdue)
		ok = ok && cJSON_AddBoolToObject(args, "overdue", true);
	const char *sort = f->sort;
	if (!sort && (f->has_range || f->overdue || f->due_words))
		sort = "due_at";
	if (sort)
		ok = ok && cJSON_AddStringToObject(args, "sort", sort);
	if (f->limit)
		ok = ok && cJSON_AddNumberToObject(args, "limit", (double)f->limit);
	if (!ok) {
		cJSON_Delete(args);
		return NULL;
	}
	return args;
}

static void describe_filters(struct planner *p, const struct filters *f, const cJSON *args,
			     char *out, size_t n)
{
	size_t o = 0;
	out[0] = '\0';
#define PUT(...) (o = agt_appendf(out, n, o, __VA_ARGS__))
	const cJSON *x;
	if (f->limit)
		PUT("the first %ld of ", f->limit);
	PUT("your");
	if ((x = cJSON_GetObjectItemCaseSensitive(args, "status")))
		PUT(" %s", x->valuestring);
	if (f->overdue)
		PUT(" overdue");
	if (f->priority)
		PUT(" %s-priority", f->priority);
	PUT(" tasks");
	if ((x = cJSON_GetObjectItemCaseSensitive(args, "tag"))) {
		PUT(" tagged");
		const cJSON *tag;
		cJSON_ArrayForEach(tag, x) PUT(" #%s", tag->valuestring);
	}
	if (f->q[0])
		PUT(" matching \u201c%s\u201d", f->q);
	if (f->when_text[0])
		PUT(" %s%s", strncasecmp(f->when_text, "due ", 4) == 0 ? "" : "due ", f->when_text);
	if ((x = cJSON_GetObjectItemCaseSensitive(args, "sort"))) {
		const char *s = x->valuestring;
		PUT(", %s", strstr(s, "due")        ? "soonest due first"
			    : strstr(s, "priority") ? "most important first"
			    : strstr(s, "title")    ? "by title"
			    : s[0] == '-'           ? "newest first"
						    : "oldest first");
	}
#undef PUT
}

/* A list, a search or "show <task>". verb_end: where the filters start. */
static void plan_list(struct planner *p, size_t b, bool search, bool show)
{
	struct agt_toks *t = &p->t;
	struct filters f = {0};
	/* "about groceries", "called X", "containing X": what the rest
	 * contains, up to the next filter. */
	size_t qb = 0, qe = 0;
	for (size_t i = b; i < p->e; i++) {
		if (t->v[i].used)
			continue;
		size_t n = agt_match(t, i,
				     "about|containing|mentioning|regarding|matching|"
				     "called|named|titled|concerning|re|mentions|contain|"
				     "contains|say|says|for");
		if (!n && (n = agt_match(t, i, "with the word|words")) != 3)
			n = 0;
		if (!n && (n = agt_match(t, i, "that|which mention|mentions|say|says")) != 2)
			n = 0;
		if (n && (!agt_is(t, i, "for") || search)) {
			/* "for" only in a search: "search for milk" */
			struct agt_when w;
			if (agt_is(t, i, "for") && agt_when_read(t, i, &p->now, &w))
				continue;
			agt_use(t, i, n);
			qb = i + n;
			qe = qb;
			while (qe < p->e && !t->v[qe].used) {
				struct filters probe = {0};
				if (qe > qb && filter_at(p, qe, &probe))
					break;
				qe++;
			}
			break;
		}
	}
	if (qe > qb) {
		span_text(p, qb, qe, f.q, sizeof f.q);
		agt_use(t, qb, qe - qb);
	}
	for (size_t i = b; i < p->e; i++) {
		if (t->v[i].used)
			continue;
		size_t n = filter_at(p, i, &f);
		if (n) {
			agt_use(t, i, n);
			i += n - 1;
		}
	}
	/* What is left: a task to show, words to search, or not understood. */
	if (any_left(p, b, p->e)) {
		size_t lb = b;
		while (lb < p->e && (t->v[lb].used || list_filler(p, lb) || is_punct(p, lb)))
			lb++;
		size_t le = p->e;
		while (le > lb &&
		       (t->v[le - 1].used || list_filler(p, le - 1) || is_punct(p, le - 1)))
			le--;
		bool only_filler = true;
		for (size_t i = lb; i < le; i++)
			if (!t->v[i].used && !list_filler(p, i) && !is_punct(p, i))
				only_filler = false;
		if (!only_filler) {
			struct ref refs[1];
			size_t count = 0;
			enum refs_status rs = read_refs(p, lb, le, refs, 1, &count);
			if (show && rs == REFS_OK && refs[0].kind != REF_TITLE) {
				cJSON *args = cJSON_CreateObject();
				char desc[TEXT_MAX];
				if (!args) {
					p->oom = true;
					return;
				}
				if (!ref_args(p, &refs[0], args, desc, sizeof desc)) {
					cJSON_Delete(args);
					return;
				}
				/* No tool reads one task: search for its title. */
				const cJSON *title =
					cJSON_GetObjectItemCaseSensitive(args, "title");
				const struct agt_task_ref *task =
					refs[0].kind == REF_POS ? &p->ctx->listed[refs[0].pos - 1]
					: refs[0].kind == REF_LAST ? p->ctx->last
								   : NULL;
				const char *q = title                 ? title->valuestring
						: task && task->title ? task->title
								      : NULL;
				if (!q) {
					cJSON_Delete(args);
					not_understood(p, desc);
					return;
				}
				snprintf(f.q, sizeof f.q, "%s", q);
				cJSON_Delete(args);
				search = true;
			} else if (search || (show && rs == REFS_OK)) {
				while (le > lb + 1 && agt_is(t, le - 1,
							     "in|on|for|with|and|from|among|"
							     "of|within"))
					le--;
				if (rs == REFS_OK && refs[0].kind == REF_TITLE)
					rs = read_refs(p, lb, le, refs, 1, &count);
				if (rs == REFS_OK && refs[0].kind == REF_TITLE && !f.q[0])
					snprintf(f.q, sizeof f.q, "%s", refs[0].text);
				else if (!f.q[0])
					span_text(p, lb, le, f.q, sizeof f.q);
				search = true;
			} else {
				char what[TEXT_MAX];
				leftover_text(p, lb, le, what, sizeof what);
				not_understood(p, what);
				return;
			}
		}
	}
	if (search && !f.q[0])
		search = false; /* "find high priority tasks": a list */
	cJSON *args = filter_args(p, &f, search);
	if (!args) {
		p->oom = true;
		return;
	}
	char desc[1024];
	describe_filters(p, &f, args, desc, sizeof desc);
	if (add_call(p, search ? "search_tasks" : "list_tasks", args))
		reply(p, AGT_PLAN_CALLS, "I'll %s %s.", search ? "look through" : "list", desc);
}

/* complete / reopen / delete, for one or more tasks. */
static void plan_act(struct planner *p, const char *tool, size_t b, size_t e, bool end_series)
{
	struct ref refs[AGT_PLAN_MAX_CALLS];
	size_t count = 0;
	enum refs_status rs = read_refs(p, b, e, refs, AGT_PLAN_MAX_CALLS, &count);
	const char *verb = strcmp(tool, "complete_task") == 0 ? "complete"
			   : strcmp(tool, "reopen_task") == 0 ? "reopen"
							      : "delete";
	if (rs == REFS_ALL) {
		reply(p, AGT_PLAN_QUESTION,
		      "I %s tasks one at a time, to be safe. Which ones? Say their numbers, e.g. "
		      "\u201c%s 1, 2 and 3\u201d.",
		      verb, verb);
		return;
	}
	if (rs == REFS_NONE) {
		reply(p, AGT_PLAN_QUESTION, "Which task should I %s? %s", verb, no_list);
		return;
	}
	char all[REPLY_MAX / 2] = "";
	size_t o = 0;
	for (size_t i = 0; i < count; i++) {
		cJSON *args = cJSON_CreateObject();
		char desc[TEXT_MAX];
		if (!args) {
			p->oom = true;
			return;
		}
		if (!ref_args(p, &refs[i], args, desc, sizeof desc)) {
			cJSON_Delete(args);
			goto fail;
		}
		if (end_series && !cJSON_AddBoolToObject(args, "end_series", true))
			p->oom = true;
		if (!add_call(p, tool, args))
			goto fail;
		o = agt_appendf(all, sizeof all, o, "%s%s",
				i == 0           ? ""
				: i + 1 == count ? " and "
						 : ", ",
				desc);
	}
	if (strcmp(verb, "complete") == 0)
		reply(p, AGT_PLAN_CALLS, "I'll mark %s as done.", all);
	else if (strcmp(verb, "reopen") == 0)
		reply(p, AGT_PLAN_CALLS, "I'll reopen %s.", all);
	else
		reply(p, AGT_PLAN_CALLS, "I'll delete %s%s.", all,
		      end_series ? " and end its series" : "");
	return;
fail:
	/* One reference failed: run none, keep the question. */
	for (size_t i = 0; i < p->plan->n_calls; i++)
		cJSON_Delete(p->plan->calls[i].arguments);
	p->plan->n_calls = 0;
	if (p->plan->kind == AGT_PLAN_CALLS)
		p->plan->kind = AGT_PLAN_UNKNOWN;
}

/* An update of one task: its reference in [rb, re), the changes built. */
static void plan_update(struct planner *p, size_t rb, size_t re, cJSON *changes, cJSON *add_tags,
			cJSON *remove_tags, const char *what, const char *suffix)
{
	struct ref refs[1];
	size_t count = 0;
	cJSON *args = NULL;
	enum refs_status rs = read_refs(p, rb, re, refs, 1, &count);
	if (rs != REFS_OK) {
		reply(p, AGT_PLAN_QUESTION, "Which task should I change? %s", no_list);
		goto done;
	}
	args = cJSON_CreateObject();
	char desc[TEXT_MAX];
	if (!args) {
		p->oom = true;
		goto done;
	}
	if (!ref_args(p, &refs[0], args, desc, sizeof desc))
		goto done;
	char fields[1024] = "";
	if (changes)
		agt_fields_words(changes, false, &p->now, fields, sizeof fields);
	/* args takes ownership of each part */
	if (changes && cJSON_GetArraySize(changes)) {
		cJSON_AddItemToObject(args, "changes", changes);
		changes = NULL;
	}
	if (add_tags) {
		cJSON_AddItemToObject(args, "add_tags", add_tags);
		add_tags = NULL;
	}
	if (remove_tags) {
		cJSON_AddItemToObject(args, "remove_tags", remove_tags);
		remove_tags = NULL;
	}
	cJSON *a = args;
	args = NULL;
	if (!add_call(p, "update_task", a))
		goto done;
	if (what)
		reply(p, AGT_PLAN_CALLS, "I'll %s %s%s.", what, desc, suffix ? suffix : "");
	else
		reply(p, AGT_PLAN_CALLS, "I'll update %s: %s.", desc,
		      fields[0] ? fields + 2 : "as asked");
done:
	cJSON_Delete(args);
	cJSON_Delete(changes);
	cJSON_Delete(add_tags);
	cJSON_Delete(remove_tags);
}

/* Saves and restores which tokens are used, to try a reading. */
static bool *used_save(const struct planner *p)
{
	bool *s = malloc(p->t.n ? p->t.n : 1);
	if (s)
		for (size_t i = 0; i < p->t.n; i++)
			s[i] = p->t.v[i].used;
	return s;
}

static void used_restore(struct planner *p, const bool *s)
{
	for (size_t i = 0; i < p->t.n; i++)
		p->t.v[i].used = s[i];
}

/* Whether [k, e) reads entirely as values (after a leading "to"),
 * reading them into *v. Stops at the first word that is none, so a
 * failed try costs little. */
static bool all_values(struct planner *p, size_t k, size_t e, struct values *v)
{
	size_t kk = k + agt_match(&p->t, k, "to|into|as|back|until|till");
	kk += agt_match(&p->t, kk, "to");
	memset(v, 0, sizeof *v);
	for (size_t i = kk; i < e;) {
		size_t n;
		if (p->t.v[i].used || is_punct(p, i) || agt_is(&p->t, i, "and|also|please"))
			i++;
		else if ((n = value_at(p, i, e, v)))
			i += n;
		else
			return false;
	}
	if (!has_values(v))
		return false;
	agt_use(&p->t, k, kk - k);
	return true;
}

/* Where an update's values start in [b, e): the first place from which
 * the rest reads entirely as values, so that a time inside the task's
 * name ("move the 5pm meeting to friday") stays in the name. e when none
 * does. */
static size_t values_start(struct planner *p, size_t b, size_t e)
{
	bool *saved = used_save(p);
	if (!saved) {
		p->oom = true;
		return e;
	}
	size_t found = e;
	for (size_t k = b + 1; k < e && k <= b + SPLIT_WINDOW; k++) {
		if (p->t.v[k].used)
			continue;
		struct values v;
		bool ok = all_values(p, k, e, &v);
		used_restore(p, saved);
		if (ok) {
			found = k;
			break;
		}
	}
	free(saved);
	return found;
}

/* "change 2 to tomorrow at 5, high priority", "move the dentist to
 * friday", "make 3 urgent". */
static void plan_change(struct planner *p, size_t b, bool moving)
{
	size_t k = values_start(p, b, p->e);
	if (k >= p->e) {
		char text[TEXT_MAX];
		span_text(p, b, p->e, text, sizeof text);
		reply(p, AGT_PLAN_QUESTION,
		      "What should change about \u201c%s\u201d? For example \u201c"
		      "move 2 to friday at 3pm\u201d or \u201cmake 2 high priority\u201d.",
		      text);
		return;
	}
	struct values v;
	all_values(p, k, p->e, &v);
	cJSON *changes = cJSON_CreateObject();
	if (!changes) {
		p->oom = true;
		return;
	}
	if (!values_to_fields(p, &v, changes, false)) {
		cJSON_Delete(changes);
		return;
	}
	cJSON *add_tags = NULL;
	if (v.n_tags) {
		/* Tags named in a change add to the task's own. */
		add_tags = cJSON_DetachItemFromObjectCaseSensitive(changes, "tags");
	}
	const cJSON *due = cJSON_GetObjectItemCaseSensitive(changes, "due_at");
	long long t;
	if (moving && !add_tags && cJSON_GetArraySize(changes) == 1 && cJSON_IsString(due) &&
	    svc_time_parse_rfc3339(due->valuestring, &t) == 0) {
		char when[128] = " to ";
		agt_when_words(t, &p->now, true, when + 4, sizeof when - 4);
		plan_update(p, b, k, changes, NULL, NULL, "move", when);
		return;
	}
	plan_update(p, b, k, changes, add_tags, NULL, NULL, NULL);
}

/* The text after a split word, for renames and notes. */
static bool rest_text(struct planner *p, size_t b, char *out, size_t n)
{
	while (b < p->e && is_punct(p, b) && !agt_is(&p->t, b, "("))
		b++;
	size_t e = p->e;
	while (e > b && is_punct(p, e - 1) && p->t.v[e - 1].kind != AGT_TOK_QUOTE &&
	       !agt_is(&p->t, e - 1, ")"))
		e--;
	span_text(p, b, e, out, n);
	agt_use(&p->t, b, p->e - b);
	return out[0] != '\0';
}

/* "rename 2 to Call the dentist", "update task 3 to say 'Call dentist'". */
static bool try_rename(struct planner *p)
{
	struct agt_toks *t = &p->t;
	size_t b = p->b, n, rb, split = 0, after = 0;
	if ((n = agt_match(t, b, "rename|retitle|re-title|retitled|renamed"))) {
		rb = b + n;
		for (size_t i = rb + 1; i < p->e; i++) {
			if ((after = agt_match(t, i, "to say|read")) == 2 ||
			    (after = agt_match(t, i, "to|as|into"))) {
				split = i;
				break;
			}
		}
	} else if ((n = agt_match(t, b,
				  "change|update|edit|set|modify|fix the? title|name|text|"
				  "wording|description of|for|on"))) {
		if (!agt_is(t, b + n - 1, "of|for|on") || agt_is(t, b + n - 2, "description"))
			return false;
		rb = b + n;
		for (size_t i = rb + 1; i < p->e; i++)
			if ((after = agt_match(t, i, "to|as|into"))) {
				split = i;
				break;
			}
	} else if ((n = agt_match(t, b, "change|update|edit|modify|reword|fix"))) {
		rb = b + n;
		for (size_t i = rb + 1; i < p->e; i++)
			if ((after = agt_match(t, i, "to say|read")) == 2 ||
			    (after = agt_match(t, i, "so it says|reads")) == 4) {
				split = i;
				break;
			}
	} else {
		return false;
	}
	if (!split)
		return false;
	/* "X's title to Y": the possessive names the task. */
	size_t re = split;
	if (re > rb + 1 && agt_is(t, re - 1, "title|name"))
		re--;
	char title[TEXT_MAX];
	agt_use(t, b, n);
	agt_use(t, split, after);
	if (!rest_text(p, split + after, title, sizeof title)) {
		reply(p, AGT_PLAN_QUESTION, "What should the new title be?");
		return true;
	}
	cJSON *changes = cJSON_CreateObject();
	if (!changes || !cJSON_AddStringToObject(changes, "title", title)) {
		cJSON_Delete(changes);
		p->oom = true;
		return true;
	}
	/* The "'s" of "the dentist's title" is not part of the name. */
	if (re > rb && agt_is(t, re - 1, "'s|s"))
		re--;
	char to[TEXT_MAX + 16];
	snprintf(to, sizeof to, " to \u201c%s\u201d", title);
	plan_update(p, rb, re, changes, NULL, NULL, "rename", to);
	return true;
}

static cJSON *one_tag_list(struct planner *p, size_t *idx, size_t n)
{
	cJSON *arr = tags_array(p, idx, n);
	if (!arr)
		p->oom = true;
	return arr;
}

/* "tag 2 with home", "tag the groceries task #errands", "add tag work to
 * 3", "untag 2 home", "remove the tag work from 3". */
static bool try_tag(struct planner *p)
{
	struct agt_toks *t = &p->t;
	size_t b = p->b, n;
	bool remove = false;
	size_t tags[MAX_TAGS], nt = 0, rb, re;
	if ((n = agt_match(t, b, "add|put the? tag|tags|label|labels|hashtag")) >= 2 ||
	    ((n = agt_match(t, b, "remove|delete|drop|clear|take the? tag|tags|label|labels")) >=
		     2 &&
	     (remove = true))) {
		/* tag names, then to|from|on, then the task */
		size_t i = b + n;
		while (i < p->e && nt < MAX_TAGS && !agt_is(t, i, "to|from|on|onto|off")) {
			if (t->v[i].kind != AGT_TOK_PUNCT && !agt_is(t, i, "and|&"))
				tags[nt++] = i;
			i++;
		}
		if (i >= p->e || !nt)
			return false;
		agt_use(t, b, n);
		agt_use(t, i, 1 + agt_match(t, i + 1, "of"));
		rb = i + 1;
		re = p->e;
	} else if ((n = agt_match(t, b, "add|put")) && b + 1 < p->e &&
		   (t->v[b + 1].kind == AGT_TOK_HASH)) {
		size_t i = b + 1;
		while (i < p->e && nt < MAX_TAGS &&
		       (t->v[i].kind == AGT_TOK_HASH || agt_is(t, i, ",|and"))) {
			if (t->v[i].kind == AGT_TOK_HASH)
				tags[nt++] = i;
			i++;
		}
		if (!agt_is(t, i, "to|on|onto"))
			return false;
		agt_use(t, b, i + 1 - b);
		rb = i + 1;
		re = p->e;
	} else if ((n = agt_match(t, b, "tag|label|untag|unlabel"))) {
		remove = agt_is(t, b, "untag|unlabel");
		/* the task, then "with|as" and the tags, or #tags, or a last word */
		size_t i = b + n, split = 0;
		for (; i < p->e; i++)
			if (agt_is(t, i, "with|as|using") || t->v[i].kind == AGT_TOK_HASH) {
				split = i;
				break;
			}
		if (!split) {
			if (p->e - (b + n) < 2)
				return false;
			split = p->e - 1;
		}
		size_t k = split + agt_match(t, split, "with|as|using");
		k += agt_match(t, k, "the? tag|tags|label");
		agt_use(t, b, n);
		agt_use(t, split, k - split);
		for (size_t j = k; j < p->e && nt < MAX_TAGS; j++)
			if (t->v[j].kind != AGT_TOK_PUNCT && !agt_is(t, j, "and|&"))
				tags[nt++] = j;
		if (!nt)
			return false;
		rb = b + n;
		re = split;
	} else {
		return false;
	}
	for (size_t k = 0; k < nt; k++)
		agt_use(t, tags[k], 1);
	cJSON *list = one_tag_list(p, tags, nt);
	if (!list)
		return true;
	char names[512] = "";
	size_t o = 0;
	const cJSON *x;
	cJSON_ArrayForEach(x, list)
	{
		o = agt_appendf(names, sizeof names, o, "%s#%s", o ? " " : "", x->valuestring);
	}
	char what[600];
	snprintf(what, sizeof what, "%s %s %s", remove ? "remove" : "add", names,
		 remove ? "from" : "to");
	plan_update(p, rb, re, NULL, remove ? NULL : list, remove ? list : NULL, what, NULL);
	return true;
}

/* "remove the due date from 2", "clear the reminder of the dentist",
 * "stop repeating 3". */
static bool try_clear(struct planner *p)
{
	struct agt_toks *t = &p->t;
	size_t b = p->b, n, k;
	const char *field = NULL, *what = NULL;
	if ((n = agt_match(t, b,
			   "remove|delete|drop|clear|cancel|unset|take off|away? the|its?"))) {
		static const struct {
			const char *words;
			const char *field;
			const char *what;
		} fields[] = {
			{"due date|time", "due_at", "remove the due date of"},
			{"date|deadline|duedate|due", "due_at", "remove the due date of"},
			{"reminder|reminders|alert|alarm", "remind_at", "remove the reminder of"},
			{"description|note|notes|details", "description", "remove the note of"},
			{"recurrence|repeat|repetition|rrule|schedule|series", "rrule",
			 "stop repeating"},
		};
		for (size_t f = 0; f < sizeof fields / sizeof *fields; f++) {
			if ((k = agt_match(t, b + n, fields[f].words))) {
				size_t tail = agt_match(t, b + n + k, "from|of|on|for|in");
				if (!tail)
					continue;
				field = fields[f].field;
				what = fields[f].what;
				n += k + tail;
				break;
			}
		}
		if (!field)
			return false;
	} else if ((n = agt_match(t, b, "stop|don't|dont|do not? repeating|repeat|recurring"))) {
		if (!agt_is(t, b + n - 1, "repeating|repeat|recurring"))
			return false;
		field = "rrule";
		what = "stop repeating";
	} else {
		return false;
	}
	agt_use(t, b, n);
	cJSON *changes = cJSON_CreateObject();
	if (!changes || !cJSON_AddNullToObject(changes, field)) {
		cJSON_Delete(changes);
		p->oom = true;
		return true;
	}
	plan_update(p, b + n, p->e, changes, NULL, NULL, what, NULL);
	return true;
}

/* "add a note to 2: bring the card", "set the description of 2 to ...". */
static bool try_note(struct planner *p)
{
	struct agt_toks *t = &p->t;
	size_t b = p->b, n;
	if (!(n = agt_match(t, b,
			    "add|put|attach|write|set|change|update a|an|the? note|"
			    "description|comment|details to|on|for|of")) ||
	    !agt_is(t, b + n - 1, "to|on|for|of"))
		return false;
	size_t split = 0, after = 0;
	for (size_t i = b + n; i < p->e; i++)
		if ((after = agt_match(t, i, ":|saying|reading|to")) ||
		    (after = agt_match(t, i, "that|which says|reads")) == 2 ||
		    t->v[i].kind == AGT_TOK_QUOTE) {
			split = i;
			break;
		}
	if (!split)
		return false;
	agt_use(t, b, n);
	agt_use(t, split, after);
	char text[TEXT_MAX];
	if (!rest_text(p, split + after, text, sizeof text)) {
		reply(p, AGT_PLAN_QUESTION, "What should the note say?");
		return true;
	}
	cJSON *changes = cJSON_CreateObject();
	if (!changes || !cJSON_AddStringToObject(changes, "description", text)) {
		cJSON_Delete(changes);
		p->oom = true;
		return true;
	}
	char note[TEXT_MAX + 16];
	snprintf(note, sizeof note, ": \u201c%s\u201d", text);
	plan_update(p, b + n, split, changes, NULL, NULL, "add a note to", note);
	return true;
}

/* "remind me about 2 at 8 tomorrow", "set a reminder for the dentist an
 * hour before". */
static bool try_remind_existing(struct planner *p)
{
	struct agt_toks *t = &p->t;
	size_t b = p->b, n;
	if (!(n = agt_match(t, b, "remind|alert|notify|ping me about|of")) &&
	    !(n = agt_match(t, b, "set|add|create|put a|an? reminder|alert for|on|to")))
		return false;
	if (n < 3 || !agt_is(t, b + n - 1, "about|of|for|on|to"))
		return false;
	if (agt_is(t, b + n - 1, "to") && !agt_is(t, b + n, "it|task|#|number") &&
	    t->v[b + n < t->n ? b + n : 0].kind != AGT_TOK_NUM)
		return false; /* "add a reminder to call mom": a new task */
	size_t rb = b + n;
	/* The rest is "<task> <when>": find where the reminder's time starts. */
	size_t k = p->e;
	struct agt_remind r;
	struct agt_when w;
	struct agt_duration d;
	for (size_t i = rb + 1; i < p->e && i <= rb + SPLIT_WINDOW; i++) {
		size_t m;
		if ((m = agt_duration_read(t, i, &d)) &&
		    agt_is(t, i + m, "before|earlier|ahead|prior")) {
			k = i;
			break;
		}
		if ((m = agt_when_read(t, i, &p->now, &w)) && i + m == p->e) {
			k = i;
			break;
		}
	}
	if (k >= p->e) {
		reply(p, AGT_PLAN_QUESTION,
		      "When should I remind you? For example \u201cremind me "
		      "about 2 tomorrow at 9\u201d.");
		return true;
	}
	agt_use(t, b, n);
	/* Read the tail as the tail of "remind me ...". */
	memset(&r, 0, sizeof r);
	struct values v = {0};
	size_t m;
	if ((m = agt_duration_read(t, k, &d))) {
		v.has_remind = true;
		v.remind.before = true;
		v.remind.minutes = d.minutes;
		agt_use(t, k, m);
		agt_use(t, k + m, 1);
		k += 0;
	} else if ((m = agt_when_read(t, k, &p->now, &w))) {
		v.has_remind = true;
		v.remind.at = true;
		v.remind.when = w;
		agt_use(t, k, m);
	}
	if (any_left(p, k, p->e)) {
		char what[TEXT_MAX];
		leftover_text(p, k, p->e, what, sizeof what);
		not_understood(p, what);
		return true;
	}
	cJSON *changes = cJSON_CreateObject();
	if (!changes) {
		p->oom = true;
		return true;
	}
	if (!values_to_fields(p, &v, changes, false)) {
		cJSON_Delete(changes);
		return true;
	}
	plan_update(p, rb, k, changes, NULL, NULL, NULL, NULL);
	return true;
}

/* Words that end "mark X as ...". */
enum mark_state { MARK_NONE, MARK_DONE, MARK_OPEN, MARK_PRIORITY };

static size_t mark_state_at(struct planner *p, size_t i, enum mark_state *st, const char **prio)
{
	struct agt_toks *t = &p->t;
	size_t n = agt_match(t, i, "as|to|is|was");
	size_t k;
	if ((k = agt_match(t, i + n, "not|un? done|complete|completed|finished|checked")) >= 2 ||
	    (k = agt_match(t, i + n,
			   "incomplete|pending|undone|open|uncompleted|unfinished|"
			   "todo|active|unchecked|outstanding")) ||
	    (k = agt_match(t, i + n, "to do")) == 2 || (k = agt_match(t, i + n, "to-do"))) {
		*st = MARK_OPEN;
		return n + k;
	}
	if ((k = agt_match(t, i + n,
			   "done|complete|completed|finished|checked|closed|"
			   "ticked|resolved|handled|sorted"))) {
		*st = MARK_DONE;
		return n + k;
	}
	if ((k = agt_priority_read(t, i + n, prio)) ||
	    (k = agt_match(t, i + n, "a|an? priority|urgent|important|critical|high|top"))) {
		if (!*prio || !k)
			*prio = agt_is(t, i + n + k - 1, "low") ? "low" : "high";
		*st = MARK_PRIORITY;
		return n + k;
	}
	if ((k = agt_match(t, i + n, "low|unimportant|minor")) ||
	    (k = agt_match(t, i + n, "not urgent")) == 2) {
		*prio = "low";
		*st = MARK_PRIORITY;
		return n + k;
	}
	return 0;
}

static void plan_priority(struct planner *p, size_t rb, size_t re, const char *prio)
{
	cJSON *changes = cJSON_CreateObject();
	if (!changes || !cJSON_AddStringToObject(changes, "priority", prio)) {
		cJSON_Delete(changes);
		p->oom = true;
		return;
	}
	char what[64];
	snprintf(what, sizeof what, "set %s priority on", prio);
	plan_update(p, rb, re, changes, NULL, NULL, what, NULL);
}

/* "mark 2 as done", "mark the groceries task as not done", "flag 3 as
 * urgent". */
static bool try_mark(struct planner *p)
{
	struct agt_toks *t = &p->t;
	size_t b = p->b, n;
	if (!(n = agt_match(t, b, "mark|set|flag|make|tick|check|consider")))
		return false;
	for (size_t i = b + n; i < p->e; i++) {
		enum mark_state st = MARK_NONE;
		const char *prio = NULL;
		size_t k = mark_state_at(p, i, &st, &prio);
		if (!k || i + k != p->e - (is_punct(p, p->e - 1) ? 1 : 0))
			continue;
		if (i == b + n)
			return false; /* nothing names the task */
		agt_use(t, b, n);
		agt_use(t, i, k);
		if (st == MARK_DONE)
			plan_act(p, "complete_task", b + n, i, false);
		else if (st == MARK_OPEN)
			plan_act(p, "reopen_task", b + n, i, false);
		else
			plan_priority(p, b + n, i, prio);
		return true;
	}
	if (agt_is(t, b, "flag") && p->e > b + 1) {
		agt_use(t, b, 1);
		plan_priority(p, b + 1, p->e, "high");
		return true;
	}
	return false;
}

/* "2 is done", "the groceries task is finished", "milk done". */
static bool try_suffix_state(struct planner *p)
{
	struct agt_toks *t = &p->t;
	size_t e = p->e;
	/* "what have I completed?" asks, it does not tell. */
	if (p->question || agt_is(t, p->b,
				  "what|what's|whats|which|how|have|has|did|do|does|is|are|"
				  "show|list|any|when|where|who"))
		return false;
	while (e > p->b && is_punct(p, e - 1))
		e--;
	for (size_t i = p->b + 1; i < e; i++) {
		if (!agt_is(t, i, "is|was|are|has|'s|s") &&
		    !(i + 1 == e && agt_is(t, i, "done|finished|completed")))
			continue;
		size_t k = agt_match(t, i, "is|was|are|has|'s|s");
		k += agt_match(t, i + k, "been|now|already");
		enum mark_state st = MARK_NONE;
		const char *prio = NULL;
		size_t m = mark_state_at(p, i + k, &st, &prio);
		if (!m || i + k + m != e)
			continue;
		agt_use(t, i, e - i);
		if (st == MARK_DONE)
			plan_act(p, "complete_task", p->b, i, false);
		else if (st == MARK_OPEN)
			plan_act(p, "reopen_task", p->b, i, false);
		else
			plan_priority(p, p->b, i, prio);
		return true;
	}
	return false;
}

/* "prioritise 2", "raise the priority of the dentist", "lower 3's
 * priority". */
static bool try_priority(struct planner *p)
{
	struct agt_toks *t = &p->t;
	size_t b = p->b, n;
	const char *prio = NULL;
	if ((n = agt_match(t, b, "prioritise|prioritize|escalate|star")))
		prio = "high";
	else if ((n = agt_match(t, b, "deprioritise|deprioritize|de-prioritise|de-prioritize")))
		prio = "low";
	else if ((n = agt_match(t, b,
				"raise|increase|bump|up|boost the? priority|importance of|on|"
				"for?")) >= 2 &&
		 agt_is(t, b + n - 1 - (agt_is(t, b + n - 1, "of|on|for") ? 1 : 0),
			"priority|importance"))
		prio = "high";
	else if ((n = agt_match(t, b,
				"lower|decrease|reduce|drop the? priority|importance of|on|"
				"for?")) >= 2 &&
		 agt_is(t, b + n - 1 - (agt_is(t, b + n - 1, "of|on|for") ? 1 : 0),
			"priority|importance"))
		prio = "low";
	else if ((n = agt_match(t, b, "set|change|make|update the? priority of|on|for"))) {
		if (!agt_is(t, b + n - 1, "of|on|for"))
			return false;
		for (size_t i = b + n + 1; i < p->e; i++) {
			size_t k = agt_match(t, i, "to|as|=|:");
			const char *lvl = NULL;
			if (k && (agt_is(t, i + k, "high|urgent|top|highest")))
				lvl = "high";
			else if (k && agt_is(t, i + k, "low|lowest"))
				lvl = "low";
			else if (k && agt_is(t, i + k, "medium|normal|mid|regular"))
				lvl = "medium";
			if (lvl && i + k + 1 >= p->e - (is_punct(p, p->e - 1) ? 1 : 0)) {
				agt_use(t, b, n);
				agt_use(t, i, p->e - i);
				plan_priority(p, b + n, i, lvl);
				return true;
			}
		}
		return false;
	} else {
		return false;
	}
	agt_use(t, b, n);
	plan_priority(p, b + n, p->e, prio);
	return true;
}

/* "reschedule 2 to friday", "postpone the dentist until next week",
 * "change the due date of 2 to Dec 3". */
static bool try_reschedule(struct planner *p)
{
	struct agt_toks *t = &p->t;
	size_t b = p->b, n;
	if ((n = agt_match(t, b, "change|update|set|move|edit|push|modify"))) {
		/* "change the due date of 2 to ..." */
		size_t k = n + agt_match(t, b + n, "the|its");
		size_t f = agt_match(t, b + k, "due date|time");
		if (f != 2)
			f = agt_match(t, b + k, "date|deadline|due|duedate");
		size_t of = f ? agt_match(t, b + k + f, "of|for|on") : 0;
		n = of ? k + f + of : 0;
	}
	if (!n &&
	    !(n = agt_match(t, b,
			    "reschedule|re-schedule|move|postpone|push|defer|delay|"
			    "shift|bump|snooze")) &&
	    (n = agt_match(t, b, "put off")) != 2)
		return false;
	n += agt_match(t, b + n, "back");
	agt_use(t, b, n);
	/* "postpone 2 by a day": needs the task's date, which the planner
	 * does not know. */
	for (size_t i = b + n; i < p->e; i++) {
		struct agt_duration d;
		if (agt_is(t, i, "by") && agt_duration_read(t, i + 1, &d)) {
			reply(p, AGT_PLAN_UNKNOWN,
			      "I cannot move a task by an amount yet; say the new date instead, "
			      "e.g. "
			      "\u201cmove 2 to friday at 5pm\u201d.");
			return true;
		}
	}
	size_t k = values_start(p, b + n - 1, p->e);
	if (k >= p->e) {
		char text[TEXT_MAX];
		span_text(p, b + n, p->e, text, sizeof text);
		reply(p, AGT_PLAN_QUESTION, "To when should I move \u201c%s\u201d?",
		      text[0] ? text : "it");
		return true;
	}
	plan_change(p, b + n, true);
	return true;
}

/* "make 2 repeat every monday", "repeat the standup every weekday". */
static bool try_repeat(struct planner *p)
{
	struct agt_toks *t = &p->t;
	size_t b = p->b, n;
	if (!(n = agt_match(t, b, "make|set|repeat|have")))
		return false;
	for (size_t i = b + n; i < p->e; i++) {
		struct agt_recur r;
		size_t k = agt_match(t, i, "to? repeat|recur|repeats|recurs");
		if (agt_is(t, b, "repeat"))
			k = 0;
		else if (!k)
			continue;
		if (!agt_recur_read(t, i + k, &p->now, &r) &&
		    !(agt_is(t, b, "repeat") && agt_recur_read(t, i, &p->now, &r)))
			continue;
		if (i == b + n)
			continue;
		agt_use(t, b, n);
		agt_use(t, i, k);
		plan_change(p, b + n, false);
		return true;
	}
	return false;
}

/* The first words of a message and what they ask for. */
static bool starts(struct planner *p, const char *pattern, size_t *n)
{
	*n = agt_match(&p->t, p->b, pattern);
	return *n > 0;
}

static void strip_courtesy(struct planner *p)
{
	struct agt_toks *t = &p->t;
	for (int rounds = 0; rounds < 8 && p->b < p->e; rounds++) {
		size_t n;
		if ((n = agt_match(t, p->b,
				   "please|pls|plz|kindly|hey|ok|okay|so|also|then|oh|um|"
				   "well|yes|yeah|alright|right|great|cool|and|now|hmm|"
				   "thanks|ah|ehm|er|hi|hello|hiya")) ||
		    (n = agt_match(t, p->b, "can|could|would|will you please?")) >= 2 ||
		    (n = agt_match(t, p->b, "i want|wanna to?")) >= 2 ||
		    (n = agt_match(t, p->b, "i would like to?")) >= 3 ||
		    (n = agt_match(t, p->b, "i'd|id like to?")) >= 2 ||
		    (n = agt_match(t, p->b, "let's|lets")) ||
		    (n = agt_match(t, p->b, "let us")) == 2 ||
		    (n = agt_match(t, p->b, "help me")) == 2 ||
		    (n = agt_match(t, p->b, "go ahead and")) == 3 || agt_is(t, p->b, ",|:|;|-")) {
			if (!n)
				n = 1;
			agt_use(t, p->b, n);
			p->b += n;
			continue;
		}
		break;
	}
	while (p->e > p->b) {
		size_t i = p->e - 1;
		if (agt_is(t, i, "?"))
			p->question = true;
		if (agt_is(t, i, "please|pls|plz|thanks|thx|ty|.|?|!|,|;") ||
		    (t->v[i].kind == AGT_TOK_PUNCT && !agt_is(t, i, ")|]"))) {
			agt_use(t, i, 1);
			p->e--;
			continue;
		}
		if (i > p->b && agt_match(t, i - 1, "thank you") == 2) {
			agt_use(t, i - 1, 2);
			p->e -= 2;
			continue;
		}
		if (i > p->b && agt_match(t, i - 1, "for me") == 2) {
			agt_use(t, i - 1, 2);
			p->e -= 2;
			continue;
		}
		break;
	}
}

static const char *const help_text =
	"I manage your tasks. You can say: \u201cadd call the dentist next tuesday at 10am, "
	"high priority, remind me an hour before\u201d; \u201cshow my tasks\u201d "
	"or \u201cwhat's due this week?\u201d; \u201ccomplete 2\u201d or "
	"\u201ccomplete it\u201d; \u201cdelete the groceries task\u201d; "
	"\u201cmove 3 to friday at 5pm\u201d; \u201crename 1 to Call mom\u201d; "
	"\u201ctag 2 with #home\u201d; \u201cmake 2 high priority\u201d; "
	"\u201csearch for dentist\u201d. Dates like \u201ctomorrow 5pm\u201d, "
	"\u201cin 3 days\u201d or \u201con Dec 3 at 9:30\u201d and repeats "
	"like \u201cevery weekday\u201d work too.";

static bool try_small_talk(struct planner *p)
{
	struct agt_toks *t = &p->t;
	size_t n = 0;
	bool only = true;
	for (size_t i = 0; i < t->n; i++)
		if (!agt_is(t, i,
			    "hi|hello|hey|hiya|yo|thanks|thank|you|thx|ty|cheers|great|ok|"
			    "okay|cool|good|morning|evening|afternoon|there|!|.|,|?|bye|"
			    "goodbye|nice|awesome|perfect") &&
		    t->v[i].kind != AGT_TOK_BANGS) {
			only = false;
			break;
		}
	if (only && t->n) {
		bool thanks = false, bye = false;
		for (size_t i = 0; i < t->n; i++) {
			thanks = thanks || agt_is(t, i, "thanks|thank|thx|ty|cheers");
			bye = bye || agt_is(t, i, "bye|goodbye");
		}
		reply(p, AGT_PLAN_ANSWER, "%s",
		      thanks ? "You're welcome."
		      : bye  ? "Goodbye."
			     : "Hello! What would you like to do? Say \u201chelp\u201d to "
			       "see what I understand.");
		return true;
	}
	if ((starts(p, "help|commands|usage", &n) || starts(p, "?", &n)) && p->b + n == p->e) {
		reply(p, AGT_PLAN_ANSWER, "%s", help_text);
		return true;
	}
	if ((n = agt_match(t, p->b, "what can|do you do|help|understand")) >= 3 ||
	    (n = agt_match(t, p->b, "how does this|it work")) == 4 ||
	    (n = agt_match(t, p->b, "how do i use this|you|it")) == 5 ||
	    (n = agt_match(t, p->b, "what are the? commands")) >= 3) {
		reply(p, AGT_PLAN_ANSWER, "%s", help_text);
		return true;
	}
	return false;
}

static void plan_message(struct planner *p)
{
	struct agt_toks *t = &p->t;
	size_t n;
	if (try_small_talk(p))
		return;
	strip_courtesy(p);
	if (p->b >= p->e) {
		reply(p, AGT_PLAN_QUESTION, "What would you like to do? %s", examples);
		return;
	}
	if (try_remind_existing(p) || try_note(p) || try_tag(p) || try_clear(p) || try_rename(p) ||
	    try_priority(p))
		return;
	/* Adding. */
	if (starts(p, "remind|ping|nudge|alert me to|that", &n) && n == 3) {
		agt_use(t, p->b, n);
		plan_add(p, p->b + n, true);
		return;
	}
	if ((n = agt_match(t, p->b, "remember to")) == 2 ||
	    (n = agt_match(t, p->b, "don't|dont forget to")) == 3 ||
	    (n = agt_match(t, p->b, "do not forget to")) == 4) {
		agt_use(t, p->b, n);
		plan_add(p, p->b + n, false);
		return;
	}
	if ((n = agt_match(t, p->b, "i|we need|have|must|should|gotta|got to?")) >= 2 ||
	    (n = agt_match(t, p->b, "need|have|got to")) == 2) {
		if (agt_is(t, p->b + n - 1, "to|must|gotta|should") ||
		    agt_is(t, p->b + n - 1, "need")) {
			agt_use(t, p->b, n);
			plan_add(p, p->b + n, false);
			return;
		}
	}
	if ((n = agt_match(t, p->b, "todo|to-do|task|new|reminder :")) == 2) {
		agt_use(t, p->b, n);
		plan_add(p, p->b + n, false);
		return;
	}
	if (starts(p, "add|create|new|insert|jot|note|log|put|write|schedule|plan|make", &n)) {
		bool make = agt_is(t, p->b, "make|put|write|schedule|plan|note|log|jot");
		size_t k = n + agt_match(t, p->b + n, "down|in|up");
		k += agt_match(t, p->b + k, "a|an|another|one|the");
		k += agt_match(t, p->b + k, "new");
		size_t noun = agt_match(t, p->b + k,
					"task|todo|to-do|item|entry|reminder|note|"
					"tasks|todos|reminder");
		bool reminder = noun && agt_is(t, p->b + k, "reminder");
		k += noun;
		if (noun) {
			size_t f =
				agt_match(t, p->b + k, "called|named|titled|saying|:|to|for|about");
			if (!f && (f = agt_match(t, p->b + k, "that|which says")) != 2)
				f = 0;
			k += f;
		}
		if (noun && agt_is(t, p->b + k - 1, "for|about")) {
			struct agt_when w;
			if (agt_when_read(t, p->b + k - 1, &p->now, &w))
				k--; /* "a task for tomorrow": the date, not the title */
		}
		if (make && !noun) {
			if (try_mark(p) || try_repeat(p))
				return;
			if (!agt_is(t, p->b, "schedule|plan|note|log|jot|write|put")) {
				plan_change(p, p->b + 1, false);
				return;
			}
		}
		agt_use(t, p->b, k);
		plan_add(p, p->b + k, reminder);
		return;
	}
	/* Acting on tasks. */
	if (try_mark(p) || try_reschedule(p) || try_repeat(p))
		return;
	if (starts(p, "change|update|edit|modify|adjust|set|give", &n)) {
		agt_use(t, p->b, n);
		plan_change(p, p->b + n, false);
		return;
	}
	if (starts(p, "complete|finish|finished|completed|done|close|resolve|check|tick|cross",
		   &n)) {
		if (agt_is(t, p->b, "done"))
			n += agt_match(t, p->b + n, "with");
		if (agt_is(t, p->b, "check|tick|cross") && !agt_is(t, p->b + n, "off")) {
			bool off_end = p->e > p->b + n && agt_is(t, p->e - 1, "off");
			if (!off_end)
				goto not_act;
			agt_use(t, p->e - 1, 1);
			p->e--;
		}
		n += agt_match(t, p->b + n, "off|up");
		size_t e = p->e;
		size_t tail;
		if (e > p->b + n && (tail = agt_match(t, e - 2, "as done|complete|completed")) == 2)
			e -= 2;
		agt_use(t, p->b, n);
		plan_act(p, "complete_task", p->b + n, e, false);
		return;
	}
	if ((n = agt_match(t, p->b, "i|i've|ive|we have? done|finished|completed|did"))) {
		if (n >= 2 && agt_is(t, p->b + n - 1, "done|finished|completed|did")) {
			agt_use(t, p->b, n);
			n += agt_match(t, p->b + n, "with");
			plan_act(p, "complete_task", p->b + n, p->e, false);
			return;
		}
	}
	if (starts(p,
		   "reopen|re-open|uncomplete|un-complete|unfinish|uncheck|untick|unmark|"
		   "restore|undo|revive|resurrect",
		   &n)) {
		agt_use(t, p->b, n);
		plan_act(p, "reopen_task", p->b + n, p->e, false);
		return;
	}
	if (starts(p,
		   "delete|remove|cancel|drop|trash|erase|discard|scrap|kill|nuke|bin|"
		   "forget|ditch|clear",
		   &n) ||
	    starts(p, "get rid of", &n) || starts(p, "throw away|out", &n)) {
		if (agt_is(t, p->b + n, "about"))
			n++;
		agt_use(t, p->b, n);
		bool series = false;
		size_t e = p->e;
		for (size_t i = p->b + n; i < e; i++) {
			size_t k = agt_match(t, i,
					     "and|, all? its|the? future? occurrences|"
					     "repeats|series|instances|recurrences|copies");
			size_t k2 = agt_match(t, i, "permanently|forever|completely");
			if (!k2 && (k2 = agt_match(t, i, "for good")) != 2)
				k2 = 0;
			size_t k3 = agt_match(t, i, "and the|its whole|entire series");
			if ((k >= 2 &&
			     agt_is(t, i + k - 1,
				    "occurrences|repeats|series|instances|"
				    "recurrences|copies") &&
			     i + k == e) ||
			    (k3 >= 3 && i + k3 == e)) {
				agt_use(t, i, e - i);
				e = i;
				series = true;
				break;
			}
			if (k2 && i + k2 == e) {
				agt_use(t, i, k2);
				e = i;
				break;
			}
		}
		if (e > p->b + n && agt_match(t, e - 3, "from my|the list|tasks") == 3)
			e -= 3;
		plan_act(p, "delete_task", p->b + n, e, series);
		return;
	}
not_act:
	if (try_suffix_state(p))
		return;
	/* Looking. */
	if (starts(p, "search|find|look|lookup|locate|where|grep", &n)) {
		n += agt_match(t, p->b + n, "for|up|me|is|are");
		n += agt_match(t, p->b + n, "my|the|all|tasks|task|any");
		agt_use(t, p->b, n);
		plan_list(p, p->b + n, true, false);
		return;
	}
	if (starts(p,
		   "show|list|display|view|see|open|get|give|tell|read|print|fetch|what|"
		   "what's|whats|which|how|any|anything|do|does|have|is|are|my|tasks|todos|"
		   "agenda|overdue|pending|upcoming|todo|to-do|everything|all|completed",
		   &n)) {
		bool show = agt_is(t, p->b, "show|view|open|display|get|see|read|print");
		if (agt_is(t, p->b, "show|give|tell|get|list|display|read") &&
		    agt_is(t, p->b + 1, "me|us"))
			n++;
		if (!agt_is(t, p->b,
			    "my|tasks|todos|agenda|overdue|pending|upcoming|todo|to-do|"
			    "everything|all|completed"))
			agt_use(t, p->b, n);
		plan_list(p, p->b, false, show);
		return;
	}
	if (p->ctx->quick_add) {
		plan_add(p, p->b, false);
		return;
	}
	char what[256];
	whole_text(p, what, sizeof what);
	not_understood(p, what);
}

enum svc_result agt_plan_make(const char *text, const struct agt_plan_context *ctx,
			      struct agt_plan *plan, struct svc_err *err)
{
	memset(plan, 0, sizeof *plan);
	plan->kind = AGT_PLAN_UNKNOWN;
	if (!text || !svc_utf8_valid(text, strlen(text)))
		return svc_err_set(err, SVC_EINVAL, "message", "message must be valid UTF-8");
	size_t len = svc_utf8_len(text);
	if (len > AGT_MESSAGE_MAX)
		return svc_err_set(err, SVC_EINVAL, "message",
				   "message must be at most %d characters", AGT_MESSAGE_MAX);
	const char *zone = ctx->time_zone ? ctx->time_zone : "UTC";
	struct planner p = {.ctx = ctx, .plan = plan};
	if (agt_now_init(&p.now, ctx->now, zone) != SVC_OK)
		return svc_err_set(err, SVC_EINVAL, "time_zone", "unknown time zone %s", zone);
	if (agt_lex(text, &p.t) != SVC_OK)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	p.e = p.t.n;
	if (p.t.n == 0)
		reply(&p, AGT_PLAN_QUESTION, "What would you like to do? %s", examples);
	else
		plan_message(&p);
	agt_toks_cleanup(&p.t);
	if (!p.oom && !plan->reply)
		reply(&p, AGT_PLAN_UNKNOWN, "I did not understand that. %s", examples);
	if (p.oom) {
		agt_plan_cleanup(plan);
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	}
	if (plan->kind != AGT_PLAN_CALLS) {
		for (size_t i = 0; i < plan->n_calls; i++)
			cJSON_Delete(plan->calls[i].arguments);
		plan->n_calls = 0;
	}
	return SVC_OK;
}

void agt_plan_cleanup(struct agt_plan *plan)
{
	for (size_t i = 0; i < plan->n_calls; i++)
		cJSON_Delete(plan->calls[i].arguments);
	plan->n_calls = 0;
	free(plan->reply);
	plan->reply = NULL;
}

bool agt_plan_understood(const struct agt_plan *plan)
{
	return plan->kind == AGT_PLAN_CALLS || plan->kind == AGT_PLAN_ANSWER;
}
