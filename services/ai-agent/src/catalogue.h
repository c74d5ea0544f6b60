/* The tool catalogue (proto/agent-tools.json, embedded at build time), no
 * I/O: the tools with their argument and result schemas ($refs expanded),
 * as the model's `tools`, the MCP server's tools/list and the argument
 * check every tool call passes before it runs. */
#ifndef AGT_CATALOGUE_H
#define AGT_CATALOGUE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "svc/result.h"

/* One tool. Every pointer is borrowed from its catalogue and lives as
 * long as it does. */
struct agt_tool {
	const char *name;
	const char *title;
	const char *description;
	bool read_only;       /* annotations.readOnlyHint: never changes a task */
	bool takes_reference; /* names one task by task_id or title */
	const cJSON *annotations;
	const cJSON *arguments; /* JSON Schema, self-contained */
	const cJSON *result;    /* JSON Schema, self-contained */
};

struct agt_catalogue;

/* Reads a catalogue document: its tools, each schema with every "$ref"
 * to "#/definitions/<name>" replaced by that definition (keys beside the
 * $ref, such as a description, override the definition's), and checked
 * by agt_schema_check. SVC_EINVAL naming what is wrong otherwise. *out:
 * caller frees with agt_catalogue_free. */
enum svc_result agt_catalogue_parse(const char *json, size_t len, struct agt_catalogue **out,
				    struct svc_err *err);
void agt_catalogue_free(struct agt_catalogue *cat);

/* The embedded proto/agent-tools.json, parsed on first use (thread-safe)
 * and kept for the life of the process. NULL only on OOM or if the
 * embedded document is broken, which test_catalogue rules out. */
const struct agt_catalogue *agt_catalogue_builtin(void);

/* The embedded document's bytes (NUL-terminated) and size. */
const char *agt_catalogue_source(size_t *len);

size_t agt_catalogue_count(const struct agt_catalogue *cat);
const struct agt_tool *agt_catalogue_tool(const struct agt_catalogue *cat, size_t i);
/* NULL when there is no tool of that name. */
const struct agt_tool *agt_catalogue_find(const struct agt_catalogue *cat, const char *name);

/* The MCP tools/list "tools" array: {name, title, description,
 * inputSchema, outputSchema, annotations} per tool. The OpenAI Chat
 * Completions "tools" array: {type: "function", function: {name,
 * description, parameters}} per tool. Caller frees with cJSON_Delete; NULL
 * on OOM. */
cJSON *agt_catalogue_mcp_tools(const struct agt_catalogue *cat);
cJSON *agt_catalogue_openai_tools(const struct agt_catalogue *cat);

/* Checks a call's arguments before it runs: the tool's argument schema,
 * then the rules a schema here cannot say: a tool that takes a reference
 * needs exactly one of task_id and title, and update_task must change
 * something. SVC_EINVAL with err->field the argument at fault and a
 * message fit to show the model or an MCP client. */
enum svc_result agt_tool_check_args(const struct agt_tool *tool, const cJSON *args,
				    struct svc_err *err);

/* What runs a tool call for a user: the service's executor (task-service
 * by invocation, with the user's credentials). It gets calls whose
 * arguments passed agt_tool_check_args. On SVC_OK *result matches the
 * tool's result schema (caller frees with cJSON_Delete). Otherwise
 * err->message says what went wrong in words fit for the user and the
 * model: SVC_ENOTFOUND (no such task), SVC_ECONFLICT (a title matches
 * several tasks; the message lists them), SVC_EINVAL or
 * SVC_EUNPROCESSABLE (task-service refused the change), SVC_EUNAVAIL,
 * SVC_ETIMEOUT or SVC_EUPSTREAM (task-service could not be reached);
 * SVC_ENOMEM and SVC_EINTERNAL for the service's own failures. */
struct agt_executor {
	enum svc_result (*run)(void *ctx, const struct agt_tool *tool, const cJSON *args,
			       cJSON **result, struct svc_err *err);
	void *ctx;
};

/* Checks a tool's result against its result schema (the executor's
 * output, before it reaches a client that validates it too). */
enum svc_result agt_tool_check_result(const struct agt_tool *tool, const cJSON *result,
				      struct svc_err *err);

#endif
