/* One chat turn, end to end but for the storage: the planner (the
 * built-in one, or an OpenAI-compatible model when one is configured)
 * makes the tool calls, the executor runs them against task-service, and
 * the turn's reply, calls and the conversation's next context come out.
 * Each step can be watched as it happens (the SSE answer of POST
 * /api/chat): a tool call before it runs, its result after, the reply's
 * text.
 *
 * Runs on the calling thread (a worker of the chat pool) and blocks on
 * task-service and the model, each call bounded by its timeout and the
 * whole turn by limits.budget_ms. */
#ifndef AGT_CONVERSE_H
#define AGT_CONVERSE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "catalogue.h"
#include "llm.h"
#include "turn.h"

struct agt_model;

/* What the service sets once. Borrowed. */
struct agt_converse_cfg {
	const struct agt_catalogue *catalogue;
	struct agt_model *model; /* NULL: the built-in planner */
	struct agt_llm_settings llm;
	struct agt_turn_limits limits;
};

/* Who watches the turn: each event's data (borrowed for the call). */
struct agt_watch {
	void (*event)(void *arg, const char *name, const cJSON *data);
	void *arg;
};

struct agt_converse_in {
	const char *message;
	const char *time_zone;       /* resolved: the request's, the conversation's, or "UTC" */
	const cJSON *context;        /* the conversation's, or NULL for a new one */
	const cJSON *history;        /* [{"role","content"}], oldest first; may be NULL */
	struct agt_executor executor; /* task-service for this user */
	const cJSON *(*candidates)(void *ctx); /* the executor's last ambiguity, or NULL */
	const struct agt_watch *watch; /* may be NULL */
};

struct agt_converse_out {
	char *reply;          /* caller frees with free() */
	cJSON *tool_calls;    /* [{"name","arguments","result","error"}]; cJSON_Delete */
	cJSON *context;       /* the conversation's next context; cJSON_Delete */
	bool tasks_changed;
	bool failed;          /* the model could not be reached: reply says so */
};

/* Runs the turn. SVC_OK with *out filled (release with
 * agt_converse_out_cleanup); SVC_ENOMEM, or SVC_EINVAL for a zone the
 * planner does not know. */
enum svc_result agt_converse(const struct agt_converse_cfg *cfg, const struct agt_converse_in *in,
			     struct agt_converse_out *out, struct svc_err *err);
void agt_converse_out_cleanup(struct agt_converse_out *out);

/* The context's tasks as the planner takes them (strings borrowed from
 * context): at most max listed into listed, and the last one touched into
 * *last (false when none). */
size_t agt_context_refs(const cJSON *context, struct agt_task_ref *listed, size_t max,
			struct agt_task_ref *last, bool *has_last);

#endif
