/* The built-in planner, no I/O: one chat message in everyday task
 * language to the tool calls that carry it out (with arguments that pass
 * the catalogue's checks), a question back, or a plain "I did not
 * understand". Deterministic: the same text, context and "now" always
 * give the same plan. The grammar, with examples, is in the service
 * README; test_planner holds the utterances it must understand.
 *
 * Tasks named by title stay titles in the plan ({"title": "groceries"}):
 * matching them against the user's tasks, and asking back when several
 * match, is the executor's part. Tasks named by their position in the
 * last list shown ("complete 2", "the second one") or as "it" (the task
 * the conversation last touched) are resolved here, from the context, to
 * their ids. */
#ifndef AGT_PLANNER_H
#define AGT_PLANNER_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "svc/result.h"

#define AGT_PLAN_MAX_CALLS 8
#define AGT_MESSAGE_MAX 4000 /* code points */

/* A task as the conversation knows it. Strings are borrowed. */
struct agt_task_ref {
	const char *id;
	const char *title;
};

struct agt_plan_context {
	long long now;         /* seconds since 1970 */
	const char *time_zone; /* the user's IANA zone; NULL means UTC */
	/* The tasks of the last list shown, in the order shown (position 1
	 * first); may be empty. */
	const struct agt_task_ref *listed;
	size_t n_listed;
	const struct agt_task_ref *last; /* the task last touched, or NULL */
	/* Quick-add: text with no command of its own adds it as a task
	 * ("buy milk tomorrow" alone). Off in chat, where that is a guess. */
	bool quick_add;
};

enum agt_plan_kind {
	AGT_PLAN_CALLS,    /* calls to run, reply says what they will do */
	AGT_PLAN_ANSWER,   /* nothing to run: help, a greeting */
	AGT_PLAN_QUESTION, /* something is missing or ambiguous: reply asks */
	AGT_PLAN_UNKNOWN,  /* reply says what was not understood */
};

struct agt_call {
	const char *tool; /* a catalogue tool name (static) */
	cJSON *arguments; /* owned by the plan; checked with agt_tool_check_args */
};

struct agt_plan {
	enum agt_plan_kind kind;
	struct agt_call calls[AGT_PLAN_MAX_CALLS];
	size_t n_calls;
	char *reply; /* a plain sentence or two; owned by the plan */
};

/* Plans text (valid UTF-8, 1..AGT_MESSAGE_MAX code points) in context.
 * Fills *plan (release with agt_plan_cleanup, also after an error).
 * SVC_EINVAL naming "message" or "time_zone" for bad input; SVC_ENOMEM. A
 * message the planner cannot read is not an error: its plan is
 * AGT_PLAN_UNKNOWN. */
enum svc_result agt_plan_make(const char *text, const struct agt_plan_context *ctx,
			      struct agt_plan *plan, struct svc_err *err);
void agt_plan_cleanup(struct agt_plan *plan);

/* True for plans that understood the message (calls or an answer). */
bool agt_plan_understood(const struct agt_plan *plan);

#endif
