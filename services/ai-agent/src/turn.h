/* One chat turn with an OpenAI-compatible model, as a state machine with
 * no I/O of its own: it says what to do next (send this request, wait
 * this long, run this tool call, done) and is told what happened. The
 * service drives it with its HTTP client and executor; tests drive it
 * with a scripted provider. agt_turn_run drives it synchronously through
 * callbacks.
 *
 * Bounds: at most max_steps tool calls per turn (then the model is asked
 * to answer in words), a total time budget, a timeout per request, and
 * retries with backoff (honouring Retry-After) on 429, 5xx, timeouts and
 * failed connections while the budget allows. Anything else ends the turn
 * with a plain error for the user; what already ran stays recorded. A
 * tool call the model gets wrong (unknown tool, arguments that are not a
 * JSON object or fail the schema) is never run: the model gets the error
 * as the tool's answer. */
#ifndef AGT_TURN_H
#define AGT_TURN_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "catalogue.h"
#include "llm.h"
#include "planner.h"
#include "svc/result.h"

struct agt_turn_limits {
	int max_steps;           /* tool calls per turn */
	long budget_ms;          /* the whole turn */
	long attempt_timeout_ms; /* one request to the model */
	long backoff_ms;         /* the first retry's wait; doubles */
	long backoff_max_ms;
	int max_attempts; /* per request, the first included */
};

/* What the provider answered to one request. */
struct agt_http_answer {
	int status;            /* HTTP status; 0 when no answer came */
	enum svc_result error; /* with status 0: SVC_ETIMEOUT, SVC_EUNAVAIL */
	char *body;            /* malloc'd or NULL; the driver frees it */
	size_t len;
	long retry_after_ms; /* -1 when none (see agt_retry_after_ms) */
};

enum agt_turn_step { AGT_TURN_SEND, AGT_TURN_WAIT, AGT_TURN_CALL, AGT_TURN_DONE };

struct agt_turn_action {
	enum agt_turn_step step;
	const char *body; /* SEND: the request body, borrowed until the answer */
	size_t len;
	long timeout_ms;             /* SEND */
	long wait_ms;                /* WAIT: then call agt_turn_next again */
	const struct agt_tool *tool; /* CALL: borrowed until agt_turn_result */
	const cJSON *args;
};

struct agt_turn;

/* A turn for message after history. Everything is copied. start_ms: a
 * monotonic clock's now, the same clock as every later now_ms. NULL on
 * OOM or an unknown zone. */
struct agt_turn *agt_turn_new(const struct agt_llm_settings *s,
			      const struct agt_turn_limits *limits, const struct agt_catalogue *cat,
			      const struct agt_plan_context *ctx,
			      const struct agt_history_msg *history, size_t n, const char *message,
			      long long start_ms);
void agt_turn_free(struct agt_turn *t);

/* What to do next; fills *a. */
enum agt_turn_step agt_turn_next(struct agt_turn *t, long long now_ms, struct agt_turn_action *a);
/* After SEND: what came back (ans->body is only read). */
void agt_turn_answer(struct agt_turn *t, const struct agt_http_answer *ans, long long now_ms);
/* After CALL: the executor's outcome; takes ownership of result. */
void agt_turn_result(struct agt_turn *t, enum svc_result r, cJSON *result,
		     const struct svc_err *err);

/* The provider behind a callback: POSTs body with the key and waits at
 * most timeout_ms; fills *ans (ans->body malloc'd, freed by the caller).
 * Returns SVC_ENOMEM only; transport failures go in ans. */
struct agt_transport {
	enum svc_result (*post)(void *ctx, const char *body, size_t len, long timeout_ms,
				struct agt_http_answer *ans);
	void *ctx;
};

struct agt_clock {
	long long (*now_ms)(void *ctx); /* monotonic */
	void (*sleep_ms)(void *ctx, long ms);
	void *ctx;
};

/* Drives the turn to its end. SVC_OK (the outcome is in the getters) or
 * SVC_ENOMEM. */
enum svc_result agt_turn_run(struct agt_turn *t, const struct agt_transport *tr,
			     const struct agt_executor *ex, const struct agt_clock *clk);

/* The outcome: the reply to show (the model's words, or an error fit for
 * the user when failed), the tool calls made as the chat API lists them
 * ([{"name", "arguments", "result", "error": {"code","message"}|null}]),
 * and whether any of them changed tasks. Borrowed from the turn. */
const char *agt_turn_reply(const struct agt_turn *t);
bool agt_turn_failed(const struct agt_turn *t);
const cJSON *agt_turn_calls(const struct agt_turn *t);
bool agt_turn_tasks_changed(const struct agt_turn *t);
int agt_turn_requests(const struct agt_turn *t); /* requests sent, retries included */

#endif
