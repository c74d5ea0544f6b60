/* A POST to /api/mcp: the JSON-RPC body (a request, a notification, a
 * batch, or anything) after a first line that picks the session: empty
 * for none, "s" for one made for 2025-11-25, "o" for 2024-11-05, anything
 * else is sent as MCP-Protocol-Version with a 2025-06-18 session. Tool
 * calls run through a fake executor. The answer is always what the
 * transport allows: a known status, a JSON body exactly when one is due,
 * each response a JSON-RPC 2.0 result or error. */
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "fuzz.h"
#include "mcp.h"
#include "svc/json.h"

static const unsigned char key[32] = "fuzzing key, fuzzing key, fuzz!";
#define USER "0b7c6f5e-2d1a-4c3b-9a8f-1e2d3c4b5a69"
#define NOW 1772739000LL

static enum svc_result run(void *ctx, const struct agt_tool *tool, const cJSON *args,
			   cJSON **result, struct svc_err *err)
{
	(void)ctx;
	(void)args;
	if (tool->read_only) {
		*result = cJSON_Parse("{\"items\":[],\"next_cursor\":null}");
		return *result ? SVC_OK : SVC_ENOMEM;
	}
	return svc_err_set(err, SVC_ENOTFOUND, "task_id", "No such task.");
}

static void check_response(const cJSON *r)
{
	SVC_FUZZ_CHECK(cJSON_IsObject(r));
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, "jsonrpc");
	SVC_FUZZ_CHECK(cJSON_IsString(v) && strcmp(v->valuestring, "2.0") == 0);
	SVC_FUZZ_CHECK(cJSON_GetObjectItemCaseSensitive(r, "id") != NULL);
	bool result = cJSON_GetObjectItemCaseSensitive(r, "result") != NULL;
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(r, "error");
	SVC_FUZZ_CHECK(result != (e != NULL));
	if (e) {
		SVC_FUZZ_CHECK(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(e, "code")));
		SVC_FUZZ_CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, "message")));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *f[2];
	char *s = svc_fuzz_split(data, size, f, 2);
	if (!s)
		return 0;
	struct agt_mcp_config cfg = {.session_key = key,
				     .session_key_len = sizeof key,
				     .session_ttl = 3600,
				     .server_name = "fuzz",
				     .server_version = "0",
				     .catalogue = agt_catalogue_builtin(),
				     .executor = {.run = run}};
	char sid[AGT_MCP_SESSION_MAX] = "";
	struct agt_mcp_request req = {
		.method = "POST", .body = f[1], .len = strlen(f[1]), .user_id = USER, .now = NOW};
	if (f[0][0]) {
		const char *v = strcmp(f[0], "s") == 0   ? "2025-11-25"
				: strcmp(f[0], "o") == 0 ? "2024-11-05"
							 : "2025-06-18";
		SVC_FUZZ_CHECK(agt_mcp_session_new(key, sizeof key, USER, v, NOW, sid) == SVC_OK);
		req.session_id = sid;
		if (strcmp(f[0], "s") != 0 && strcmp(f[0], "o") != 0)
			req.protocol_version = f[0];
	}
	struct agt_mcp_response res;
	agt_mcp_handle(&cfg, &req, &res);
	int st = res.status;
	SVC_FUZZ_CHECK(st == 200 || st == 202 || st == 400 || st == 404 || st == 500);
	SVC_FUZZ_CHECK((res.body != NULL) == (st == 200 || st == 400 || st == 404));
	if (res.body) {
		cJSON *doc = NULL;
		struct svc_err err = {0};
		SVC_FUZZ_CHECK(svc_json_parse(res.body, strlen(res.body), &doc, &err) == SVC_OK);
		if (cJSON_IsArray(doc)) {
			SVC_FUZZ_CHECK(cJSON_GetArraySize(doc) > 0);
			const cJSON *r;
			cJSON_ArrayForEach(r, doc) check_response(r);
		} else {
			check_response(doc);
		}
		cJSON_Delete(doc);
	}
	if (res.session_id[0]) {
		const char *v = NULL;
		SVC_FUZZ_CHECK(agt_mcp_session_check(key, sizeof key, res.session_id, USER, NOW,
						     3600, &v) == SVC_OK);
	}
	free(res.body);
	free(s);
	return 0;
}
