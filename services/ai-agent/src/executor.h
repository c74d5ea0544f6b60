/* The executor: each tool call of the catalogue as calls to task-service's
 * public REST routes, by Dapr service invocation, with the calling user's
 * own bearer token, so that a task changed here is changed exactly as
 * through REST (its events, reminders and recurrence follow) and ai-agent
 * never touches another service's tables.
 *
 * Tasks named by title are matched against the user's own tasks (a whole
 * title first, then a part of one, case-insensitively; among several, the
 * ones a tool can act on: pending ones to complete, completed ones to
 * reopen, pending ones first otherwise). Several matches change nothing:
 * SVC_ECONFLICT with a question listing them, and the candidates are kept
 * so that the conversation can show them as its last list.
 *
 * Who touches what: one struct agt_tasks per request, used by the thread
 * that runs that request's turn; it blocks on task-service for at most
 * timeout_ms a call and never past the turn's deadline. */
#ifndef AGT_EXECUTOR_H
#define AGT_EXECUTOR_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "catalogue.h"
#include "svc/dapr.h"
#include "svc/jwt.h"

/* Candidates listed in an ambiguity question at most. */
#define AGT_CANDIDATES_MAX 10

struct agt_tasks {
	const struct svc_peer *peer;      /* task-service; borrowed */
	const char *bearer;               /* the user's token; borrowed */
	const struct svc_claims *who;     /* its claims (scopes); borrowed */
	const char *request_id;           /* for task-service's logs */
	const char *time_zone;            /* the user's, for words about dates; NULL: UTC */
	long timeout_ms;                  /* each call */
	long long deadline_ms;            /* svc_now_ms() clock; 0: none */
	cJSON *candidates; /* the last ambiguity's tasks ({"items": [...]}), or NULL */
};

/* The executor over t (borrowed for its life). */
struct agt_executor agt_tasks_executor(struct agt_tasks *t);

/* Runs one call whose arguments passed agt_tool_check_args; as
 * struct agt_executor's run. SVC_EFORBIDDEN when the token's scopes do not
 * allow the tool (tasks:read for read-only tools, tasks:write for the
 * others). */
enum svc_result agt_tasks_run(void *ctx, const struct agt_tool *tool, const cJSON *args,
			      cJSON **result, struct svc_err *err);

/* Frees what t holds (the candidates). */
void agt_tasks_cleanup(struct agt_tasks *t);

/* The query string (with its '?', or "") of a list_tasks or search_tasks
 * call for task-service's GET /api/tasks, each value percent-encoded; tags
 * repeat. Caller frees with free(); NULL on OOM. */
char *agt_list_query(const cJSON *args);

/* Picks the task a title names among items (task-service's tasks, matched
 * by its q search): whole titles equal to title first, then titles that
 * contain it, case-insensitively; then, among several, those whose status
 * is prefer (NULL: pending ones first, if any). Returns the one match, or
 * NULL with *n the number of matches left (0: none; several: *matches, a
 * new array of them that the caller frees with cJSON_Delete). */
const cJSON *agt_title_match(const cJSON *items, const char *title, const char *prefer,
			     size_t *n, cJSON **matches);

#endif
