/* Words of a chat message for the built-in planner, no I/O: the text cut
 * into tokens that keep their place in it (so a task's title comes back
 * exactly as typed), each with a lowercase form to match against, and a
 * small pattern matcher over them. */
#ifndef AGT_LEX_H
#define AGT_LEX_H

#include <stdbool.h>
#include <stddef.h>

#include "svc/result.h"

enum agt_tok_kind {
	AGT_TOK_WORD,  /* letters, digits, apostrophes, inner dots and dashes */
	AGT_TOK_NUM,   /* starts with a digit: 10, 10:30, 5pm, 3rd, 2026-12-03 */
	AGT_TOK_PUNCT, /* one of , . ; : ! ? ( ) [ ] - */
	AGT_TOK_QUOTE, /* text between quotes, taken as is */
	AGT_TOK_HASH,  /* #name */
	AGT_TOK_AT,    /* @name */
	AGT_TOK_BANGS, /* !! or more */
};

struct agt_tok {
	enum agt_tok_kind kind;
	size_t b, e;   /* the token's text: a quote's content, a tag's name */
	size_t ob, oe; /* the whole token, quotes or sign included */
	char w[40];    /* lowercase ASCII form for matching; "" when longer */
	bool used;     /* taken by a phrase the planner understood */
};

struct agt_toks {
	const char *text; /* borrowed: the text the spans point into */
	struct agt_tok *v;
	size_t n;
};

/* Cuts text (valid UTF-8) into tokens. White space (Unicode) separates;
 * trailing , . ; : ! ? ) ] and leading ( [ come off a word as their own
 * tokens; a quote (' " or typographic) that opens a token runs to its
 * closing partner and becomes one AGT_TOK_QUOTE. toks->v: caller frees
 * with agt_toks_cleanup. SVC_ENOMEM only. */
enum svc_result agt_lex(const char *text, struct agt_toks *toks);
void agt_toks_cleanup(struct agt_toks *toks);

/* How many tokens from i match pattern, or 0. A pattern is words
 * separated by spaces; a word may list alternatives with '|' and end with
 * '?' when optional: "end of the? month|mo". Only unused tokens match. */
size_t agt_match(const struct agt_toks *t, size_t i, const char *pattern);

/* True when token i exists, is unused, is no quote, #tag or @tag, and its
 * lowercase form is one of the '|'-separated alternatives. */
bool agt_is(const struct agt_toks *t, size_t i, const char *alternatives);

/* Marks tokens [i, i+n) used. */
void agt_use(struct agt_toks *t, size_t i, size_t n);

/* Parses token i as a whole non-negative integer (digits only, or a
 * number word one..twenty, thirty, forty, fifty, sixty, "a"/"an" as 1 when
 * allow_article); -1 when it is not one. */
long agt_tok_int(const struct agt_toks *t, size_t i, bool allow_article);

/* An ordinal: "1st", "22nd", "first" .. "twentieth", "twenty-first" ..
 * "thirty-first"; -1 otherwise. */
long agt_tok_ordinal(const struct agt_toks *t, size_t i);

#endif
