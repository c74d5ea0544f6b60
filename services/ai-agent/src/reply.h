/* Words for what tools do, no I/O: a task's fields as a phrase ("due
 * Tuesday, March 10 at 10:00, high priority, with a reminder 1 hour
 * before"), an RRULE in plain words, and the sentence after a call has
 * run ("Added ...", "Marked ... as done.", a numbered list). The numbered
 * list and the task a call touched are also what the next turn's context
 * holds, so "complete 2" and "complete it" mean what the user saw. */
#ifndef AGT_REPLY_H
#define AGT_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "phrase.h"
#include "planner.h"
#include "svc/result.h"

/* The fields present in obj (a task, add_task's arguments or
 * update_task's changes), each as ", due ...", ", high priority",
 * ", tagged #a #b", ", repeating every week", ", with a reminder ...":
 * times in now's zone. Null fields read as their absence ("with no due
 * date"); a task's defaults (medium priority, no tags) are left out when
 * is_task. Writes at most n bytes to out; returns its length. */
size_t agt_fields_words(const cJSON *obj, bool is_task, const struct agt_now *now, char *out,
			size_t n);

/* An RRULE (as the planner writes them: FREQ, INTERVAL, BYDAY, BYMONTHDAY,
 * BYMONTH, COUNT, UNTIL) in words, "every 2 weeks on Monday". false, with
 * out = "", for a rule with other parts (the caller then shows none). */
bool agt_rrule_words(const char *rrule, const struct agt_now *now, char *out, size_t n);

/* The sentence for a call that ran: result is the tool's result (on
 * SVC_OK), err what went wrong otherwise. Lists are numbered from 1 in
 * the order given, one task a line. Caller frees with free(); NULL on
 * OOM. */
char *agt_call_reply(const char *tool, const cJSON *args, const cJSON *result, enum svc_result r,
		     const struct svc_err *err, const struct agt_now *now);

/* The tasks of a list result ({"items": [...]}) in order, as the next
 * turn's listed context: at most max, strings borrowed from result. */
size_t agt_listed_from_result(const cJSON *result, struct agt_task_ref *out, size_t max);

/* The task a result is about ({"task": {...}}), for "it" next turn;
 * strings borrowed from result. false when it holds none. */
bool agt_touched_from_result(const cJSON *result, struct agt_task_ref *out);

#endif
