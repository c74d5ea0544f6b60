/* What an OpenAI-compatible provider answers, untrusted: read as a Chat
 * Completions answer, and each tool call it asks for checked against the
 * catalogue. Nothing malformed gets through as a runnable call. */
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "fuzz.h"
#include "llm.h"
#include "svc/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agt_llm_reply r;
	struct svc_err err = {0};
	if (agt_llm_reply_parse((const char *)data, size, &r, &err) != SVC_OK) {
		SVC_FUZZ_CHECK(r.message == NULL && r.n_calls == 0);
		agt_llm_reply_cleanup(&r);
		return 0;
	}
	SVC_FUZZ_CHECK(r.message != NULL);
	char *echo = cJSON_PrintUnformatted(r.message);
	SVC_FUZZ_CHECK(echo != NULL);
	free(echo);
	for (size_t i = 0; i < r.n_calls; i++) {
		const struct agt_tool *tool = NULL;
		cJSON *args = NULL;
		svc_err_clear(&err);
		if (agt_llm_call_check(agt_catalogue_builtin(), &r.calls[i], &tool, &args, &err) ==
		    SVC_OK) {
			SVC_FUZZ_CHECK(tool && cJSON_IsObject(args));
			SVC_FUZZ_CHECK(agt_tool_check_args(tool, args, &err) == SVC_OK);
		} else {
			SVC_FUZZ_CHECK(!tool && !args && err.message[0]);
			svc_fuzz_check_err(&err);
		}
		cJSON_Delete(args);
	}
	agt_llm_reply_cleanup(&r);
	return 0;
}
