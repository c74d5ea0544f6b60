#include "lex.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "svc/text.h"

static bool push(struct agt_toks *t, size_t *cap, enum agt_tok_kind kind, size_t b, size_t e,
		 size_t ob, size_t oe)
{
	if (t->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 32;
		struct agt_tok *v = realloc(t->v, ncap * sizeof *v);
		if (!v)
			return false;
		t->v = v;
		*cap = ncap;
	}
	struct agt_tok *k = &t->v[t->n++];
	memset(k, 0, sizeof *k);
	k->kind = kind;
	k->b = b;
	k->e = e;
	k->ob = ob;
	k->oe = oe;
	/* The matching form: ASCII lowercased, a typographic apostrophe as
	 * '. Longer words match no keyword and keep "". */
	size_t n = 0;
	for (size_t i = b; i < e; i++) {
		unsigned char c = (unsigned char)t->text[i];
		if (c == 0xE2 && i + 2 < e && (unsigned char)t->text[i + 1] == 0x80 &&
		    (unsigned char)t->text[i + 2] == 0x99) {
			c = '\'';
			i += 2;
		}
		if (n + 1 >= sizeof k->w) {
			n = 0;
			break;
		}
		k->w[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	k->w[n] = '\0';
	return true;
}

static uint32_t cp_at(const char *s, size_t i, size_t *len)
{
	return svc_utf8_next((const unsigned char *)s + i, len);
}

static bool space_at(const char *s, size_t i, size_t *len)
{
	if (!s[i]) {
		*len = 0;
		return false;
	}
	return svc_unicode_space(cp_at(s, i, len));
}

/* The closing partner of an opening quote, or 0. */
static uint32_t closing_quote(uint32_t open)
{
	switch (open) {
	case '"': return '"';
	case '\'': return '\'';
	case 0x201C: return 0x201D; /* “ ” */
	case 0x2018: return 0x2019; /* ‘ ’ */
	case 0x00AB: return 0x00BB; /* « » */
	default: return 0;
	}
}

static bool is_trailing_punct(uint32_t c)
{
	return c == ',' || c == '.' || c == ';' || c == ':' || c == '!' || c == '?' || c == ')' ||
	       c == ']' || c == '"' || c == 0x201D || c == 0x2019 || c == 0x00BB;
}

/* A quoted stretch opening at i: its content span and the index after the
 * closing quote, which must end the token. false when it does not close. */
static bool quoted(const char *s, size_t i, size_t *cb, size_t *ce, size_t *after)
{
	size_t len;
	uint32_t close = closing_quote(cp_at(s, i, &len));
	if (!close)
		return false;
	size_t j = i + len;
	*cb = j;
	while (s[j]) {
		size_t l2;
		uint32_t c = cp_at(s, j, &l2);
		if (c == close || (close == 0x201D && c == '"') || (close == 0x2019 && c == '\'')) {
			size_t k = j + l2, l3;
			bool ends = !s[k] || space_at(s, k, &l3) ||
				    (is_trailing_punct(cp_at(s, k, &l3)) && s[k] != '\'' &&
				     s[k] != '"');
			if (ends && j > *cb) {
				*ce = j;
				*after = k;
				return true;
			}
		}
		j += l2;
	}
	return false;
}

static enum agt_tok_kind piece_kind(const char *s, size_t b, size_t e)
{
	unsigned char c = (unsigned char)s[b];
	if (c >= '0' && c <= '9')
		return AGT_TOK_NUM;
	for (size_t i = b; i < e; i++) {
		unsigned char x = (unsigned char)s[i];
		if ((x >= 'a' && x <= 'z') || (x >= 'A' && x <= 'Z') || (x >= '0' && x <= '9') ||
		    x >= 0x80)
			return AGT_TOK_WORD;
	}
	return AGT_TOK_PUNCT;
}

/* One piece of a run, between commas. */
static bool push_piece(struct agt_toks *t, size_t *cap, size_t b, size_t e)
{
	const char *s = t->text;
	if (b >= e)
		return true;
	if ((s[b] == '#' || s[b] == '@') && e - b > 1 && piece_kind(s, b + 1, e) != AGT_TOK_PUNCT)
		return push(t, cap, s[b] == '#' ? AGT_TOK_HASH : AGT_TOK_AT, b + 1, e, b, e);
	return push(t, cap, piece_kind(s, b, e), b, e, b, e);
}

/* A run of non-space text [b, e): leading brackets, pieces split at
 * commas, then the trailing punctuation peeled off it, in text order. */
static bool push_run(struct agt_toks *t, size_t *cap, size_t b, size_t e)
{
	const char *s = t->text;
	while (b < e && (s[b] == '(' || s[b] == '[')) {
		if (!push(t, cap, AGT_TOK_PUNCT, b, b + 1, b, b + 1))
			return false;
		b++;
	}
	/* Where the trailing punctuation starts. */
	size_t tail = e;
	while (tail > b) {
		size_t k = tail - 1;
		while (k > b && ((unsigned char)s[k] & 0xC0) == 0x80)
			k--;
		size_t len;
		if (!is_trailing_punct(cp_at(s, k, &len)))
			break;
		tail = k;
	}
	size_t p = b;
	for (size_t i = b; i <= tail; i++) {
		if (i == tail || s[i] == ',') {
			if (!push_piece(t, cap, p, i))
				return false;
			if (i < tail && !push(t, cap, AGT_TOK_PUNCT, i, i + 1, i, i + 1))
				return false;
			p = i + 1;
		}
	}
	for (size_t i = tail; i < e;) {
		if (s[i] == '!' && i + 1 < e && s[i + 1] == '!') {
			size_t j = i;
			while (j < e && s[j] == '!')
				j++;
			if (!push(t, cap, AGT_TOK_BANGS, i, j, i, j))
				return false;
			i = j;
			continue;
		}
		size_t len;
		cp_at(s, i, &len);
		if (!push(t, cap, AGT_TOK_PUNCT, i, i + len, i, i + len))
			return false;
		i += len;
	}
	return true;
}

enum svc_result agt_lex(const char *text, struct agt_toks *toks)
{
	toks->text = text;
	toks->v = NULL;
	toks->n = 0;
	size_t cap = 0, i = 0, len;
	while (text[i]) {
		if (space_at(text, i, &len)) {
			i += len;
			continue;
		}
		size_t cb, ce, after;
		if (quoted(text, i, &cb, &ce, &after)) {
			if (!push(toks, &cap, AGT_TOK_QUOTE, cb, ce, i, after))
				goto oom;
			i = after;
			continue;
		}
		size_t j = i;
		while (text[j] && !space_at(text, j, &len))
			j += len;
		if (!push_run(toks, &cap, i, j))
			goto oom;
		i = j;
	}
	return SVC_OK;
oom:
	agt_toks_cleanup(toks);
	return SVC_ENOMEM;
}

void agt_toks_cleanup(struct agt_toks *toks)
{
	free(toks->v);
	toks->v = NULL;
	toks->n = 0;
}

/* Whether token i is one of the '|'-separated words in alts[0..len). */
static bool is_one_of(const struct agt_toks *t, size_t i, const char *alts, size_t len)
{
	/* Quotes and #tags are never keywords: "#weekly" is a tag. */
	if (i >= t->n || t->v[i].used || !t->v[i].w[0] || t->v[i].kind == AGT_TOK_QUOTE ||
	    t->v[i].kind == AGT_TOK_HASH || t->v[i].kind == AGT_TOK_AT)
		return false;
	const char *w = t->v[i].w;
	size_t wl = strlen(w);
	for (const char *a = alts, *end = alts + len; a < end;) {
		size_t l = strcspn(a, "|");
		if (a + l > end)
			l = (size_t)(end - a);
		if (l == wl && strncmp(a, w, l) == 0)
			return true;
		a += l + 1;
	}
	return false;
}

bool agt_is(const struct agt_toks *t, size_t i, const char *alternatives)
{
	return is_one_of(t, i, alternatives, strlen(alternatives));
}

size_t agt_match(const struct agt_toks *t, size_t i, const char *pattern)
{
	size_t start = i;
	for (const char *p = pattern; *p;) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		size_t l = strcspn(p, " ");
		bool optional = p[l - 1] == '?' && l > 1;
		if (is_one_of(t, i, p, optional ? l - 1 : l))
			i++;
		else if (!optional)
			return 0;
		p += l;
	}
	return i - start;
}

void agt_use(struct agt_toks *t, size_t i, size_t n)
{
	for (size_t k = i; k < i + n && k < t->n; k++)
		t->v[k].used = true;
}

static const char *const number_words[] = {
	"zero",     "one",     "two",     "three",     "four",     "five",     "six",
	"seven",    "eight",   "nine",    "ten",       "eleven",   "twelve",   "thirteen",
	"fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
};

long agt_tok_int(const struct agt_toks *t, size_t i, bool allow_article)
{
	if (i >= t->n || t->v[i].used)
		return -1;
	const char *w = t->v[i].w;
	if (!w[0])
		return -1;
	if (w[0] >= '0' && w[0] <= '9') {
		long v = 0;
		for (const char *c = w; *c; c++) {
			if (*c < '0' || *c > '9' || v > 100000000)
				return -1;
			v = v * 10 + (*c - '0');
		}
		return v;
	}
	for (size_t k = 0; k < sizeof number_words / sizeof *number_words; k++)
		if (strcmp(w, number_words[k]) == 0)
			return (long)k;
	if (strcmp(w, "thirty") == 0)
		return 30;
	if (strcmp(w, "forty") == 0)
		return 40;
	if (strcmp(w, "fifty") == 0)
		return 50;
	if (strcmp(w, "sixty") == 0)
		return 60;
	if (strcmp(w, "ninety") == 0)
		return 90;
	if (allow_article && (strcmp(w, "a") == 0 || strcmp(w, "an") == 0))
		return 1;
	return -1;
}

static const char *const ordinal_words[] = {
	"",           "first",      "second",     "third",     "fourth",    "fifth",
	"sixth",      "seventh",    "eighth",     "ninth",     "tenth",     "eleventh",
	"twelfth",    "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
	"eighteenth", "nineteenth", "twentieth",
};

long agt_tok_ordinal(const struct agt_toks *t, size_t i)
{
	if (i >= t->n || t->v[i].used)
		return -1;
	const char *w = t->v[i].w;
	if (w[0] >= '0' && w[0] <= '9') {
		long v = 0;
		const char *c = w;
		while (*c >= '0' && *c <= '9' && v < 1000)
			v = v * 10 + (*c++ - '0');
		if (strcmp(c, "st") == 0 || strcmp(c, "nd") == 0 || strcmp(c, "rd") == 0 ||
		    strcmp(c, "th") == 0)
			return v;
		return -1;
	}
	for (size_t k = 1; k < sizeof ordinal_words / sizeof *ordinal_words; k++)
		if (strcmp(w, ordinal_words[k]) == 0)
			return (long)k;
	if (strncmp(w, "twenty-", 7) == 0 || strncmp(w, "thirty-", 7) == 0) {
		long base = w[1] == 'w' ? 20 : 30;
		for (size_t k = 1; k < 10; k++)
			if (strcmp(w + 7, ordinal_words[k]) == 0)
				return base + (long)k;
	}
	if (strcmp(w, "thirtieth") == 0)
		return 30;
	return -1;
}
