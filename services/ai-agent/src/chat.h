/* The chat API's bodies, no I/O: reading POST /api/chat and POST
 * /api/chat/parse requests strictly, and the parse answer (what the
 * built-in planner makes of a line, without running it). */
#ifndef AGT_CHAT_H
#define AGT_CHAT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "planner.h"
#include "svc/result.h"

/* A request body, read. The strings are borrowed from doc and live until
 * agt_chat_request_cleanup; absent optional ones are NULL. */
struct agt_chat_request {
	cJSON *doc;
	const char *conversation_id; /* POST /api/chat only; a UUID */
	const char *message;         /* "message" (chat) or "text" (parse), 1..4000
				      * code points, not blank */
	const char *time_zone;       /* an IANA zone libical knows */
};

/* POST /api/chat: {"conversation_id"?: uuid|null, "message": string,
 * "time_zone"?: IANA zone|null}. SVC_EINVAL naming the field for bad
 * JSON, an unknown field, a wrong type or length, a bad UUID or an
 * unknown zone. *req is filled only on SVC_OK; release it with
 * agt_chat_request_cleanup either way. */
enum svc_result agt_chat_request_read(const char *body, size_t len, struct agt_chat_request *req,
				      struct svc_err *err);

/* POST /api/chat/parse: {"text": string, "time_zone"?: IANA zone|null};
 * the text lands in req->message. */
enum svc_result agt_parse_request_read(const char *body, size_t len, struct agt_chat_request *req,
				       struct svc_err *err);

void agt_chat_request_cleanup(struct agt_chat_request *req);

/* The answer to POST /api/chat/parse for a plan: {"understood": bool,
 * "tool": name|null, "arguments": {...}|null, "reply": string}. With
 * several calls ("complete 1 and 3") tool and arguments are the first's
 * and the reply names them all. Caller frees with cJSON_Delete; NULL on
 * OOM. */
cJSON *agt_parse_answer(const struct agt_plan *plan);

#endif
