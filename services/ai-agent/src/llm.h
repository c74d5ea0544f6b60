/* OpenAI-compatible Chat Completions, no I/O: the request a turn sends
 * (system prompt with the user's date, time zone and what the
 * conversation showed; a bounded window of history; the message; the
 * catalogue as `tools`), reading the answer, and checking the tool calls
 * the model asks for before any runs. The API key never passes through
 * here: the transport adds it as a header, so nothing built or parsed
 * here can hold or echo it. */
#ifndef AGT_LLM_H
#define AGT_LLM_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "catalogue.h"
#include "planner.h"
#include "svc/result.h"

struct agt_llm_settings {
	const char *model;
	double temperature;   /* sent when >= 0 */
	int max_tokens;       /* sent when > 0 */
	size_t history_max;   /* messages of history sent at most */
	size_t history_chars; /* characters of history sent at most */
};

/* One earlier message of the conversation. Strings are borrowed. */
struct agt_history_msg {
	const char *role; /* "user" or "assistant" */
	const char *content;
};

/* The system prompt: who the assistant is, the rules of the tools, the
 * user's local date and time and zone, the last list shown and the task
 * last touched. Caller frees with free(); NULL on OOM or unknown zone. */
char *agt_llm_system_prompt(const struct agt_plan_context *ctx);

/* The messages a turn starts with: the system prompt, the newest history
 * that fits the settings' window (whole messages, oldest dropped first,
 * starting with a user message), then message. Caller frees with
 * cJSON_Delete; NULL on OOM. */
cJSON *agt_llm_messages(const struct agt_llm_settings *s, const struct agt_plan_context *ctx,
			const struct agt_history_msg *history, size_t n, const char *message);

/* The request body: {"model", "messages", "tools", "tool_choice"} plus
 * temperature and max_tokens when set; tool_choice "none" when
 * tools_allowed is false (the step limit is reached: the model must
 * answer in words). Caller frees with free(); NULL on OOM. */
char *agt_llm_request(const struct agt_llm_settings *s, const cJSON *messages,
		      const struct agt_catalogue *cat, bool tools_allowed);

struct agt_llm_tool_call {
	char *id;        /* the model's id for it, echoed in the tool message */
	char *name;      /* as the model wrote it; may name no tool */
	char *arguments; /* the JSON text the model wrote; may be malformed */
};

/* An answer, read. */
struct agt_llm_reply {
	char *content; /* the assistant's text, or NULL */
	struct agt_llm_tool_call *calls;
	size_t n_calls;
	char finish_reason[32];
	cJSON *message; /* the assistant message to append to the messages */
};

/* Reads a Chat Completions answer (choices[0].message). SVC_EUPSTREAM
 * with a message for a body that is not one; *reply is then empty.
 * Release with agt_llm_reply_cleanup either way. */
enum svc_result agt_llm_reply_parse(const char *body, size_t len, struct agt_llm_reply *reply,
				    struct svc_err *err);
void agt_llm_reply_cleanup(struct agt_llm_reply *reply);

/* Checks a tool call before it runs: a tool of the catalogue, arguments
 * that are a JSON object passing agt_tool_check_args. SVC_OK with *tool
 * and *args (caller frees with cJSON_Delete); otherwise SVC_EINVAL or
 * SVC_ENOTFOUND with err->message to give the model as the tool's error. */
enum svc_result agt_llm_call_check(const struct agt_catalogue *cat,
				   const struct agt_llm_tool_call *call,
				   const struct agt_tool **tool, cJSON **args, struct svc_err *err);

/* A Retry-After header in milliseconds: delta-seconds, or an HTTP-date
 * (IMF-fixdate) compared with now (seconds since 1970); -1 when absent or
 * unreadable, 0 for a date in the past. */
long agt_retry_after_ms(const char *header, long long now);

#endif
