/* POST /api/chat and POST /api/chat/parse bodies, as the routes will hand
 * them over: read strictly, and for /parse the planner's answer built.
 * What is accepted is what the contract says; what is refused renders as
 * a JSON error naming its field. */
#include <stdlib.h>
#include <string.h>

#include "chat.h"
#include "fuzz.h"
#include "svc/json.h"
#include "svc/util.h"
#include "when.h"

static void check_accepted(const struct agt_chat_request *req)
{
	size_t len = strlen(req->message);
	SVC_FUZZ_CHECK(svc_utf8_valid(req->message, len));
	SVC_FUZZ_CHECK(svc_utf8_len(req->message) >= 1 &&
		       svc_utf8_len(req->message) <= AGT_MESSAGE_MAX);
	SVC_FUZZ_CHECK(!req->time_zone || agt_zone_valid(req->time_zone));
	SVC_FUZZ_CHECK(!req->conversation_id || svc_uuid_valid(req->conversation_id));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agt_chat_request req;
	struct svc_err err = {0};
	if (agt_chat_request_read((const char *)data, size, &req, &err) == SVC_OK)
		check_accepted(&req);
	else
		svc_fuzz_check_err(&err);
	agt_chat_request_cleanup(&req);

	svc_err_clear(&err);
	if (agt_parse_request_read((const char *)data, size, &req, &err) == SVC_OK) {
		check_accepted(&req);
		struct agt_plan_context ctx = {.now = 1772739000, .time_zone = req.time_zone};
		struct agt_plan plan;
		struct svc_err perr = {0};
		SVC_FUZZ_CHECK(agt_plan_make(req.message, &ctx, &plan, &perr) == SVC_OK);
		cJSON *answer = agt_parse_answer(&plan);
		char *text = answer ? cJSON_PrintUnformatted(answer) : NULL;
		cJSON *again = NULL;
		SVC_FUZZ_CHECK(text &&
			       svc_json_parse_object(text, strlen(text), &again, &perr) == SVC_OK);
		cJSON_Delete(again);
		free(text);
		cJSON_Delete(answer);
		agt_plan_cleanup(&plan);
	} else {
		svc_fuzz_check_err(&err);
	}
	agt_chat_request_cleanup(&req);
	return 0;
}
