#include "mcp.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "svc/json.h"
#include "svc/text.h"
#include "svc/util.h"

/* Newest first. 2025-11-25 is what the current official SDKs send; the
 * older ones are still negotiated by older clients. */
const char *const agt_mcp_versions[] = {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05",
					NULL};

/* Without the header and a session, the transport says to assume this. */
#define DEFAULT_VERSION "2025-03-26"

static int version_index(const char *v)
{
	for (int i = 0; v && agt_mcp_versions[i]; i++)
		if (strcmp(agt_mcp_versions[i], v) == 0)
			return i;
	return -1;
}

/* Tool titles, output schemas and structured results came with
 * 2025-06-18; tool annotations with 2025-03-26. */
static bool has_structured(int version)
{
	return version <= version_index("2025-06-18");
}

static bool has_annotations(int version)
{
	return version <= version_index("2025-03-26");
}

/* Sessions. */

#define SESSION_PREFIX "v1."
#define PAYLOAD_LEN 25 /* version (1), issued (8, big-endian), random (16) */

static void session_mac(const unsigned char *key, size_t key_len, const unsigned char *payload,
			const char *user_id, unsigned char mac[crypto_auth_hmacsha256_BYTES])
{
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, key, key_len);
	crypto_auth_hmacsha256_update(&st, payload, PAYLOAD_LEN);
	/* The user's id, with its length, so no two (payload, user) pairs
	 * share a MAC input. */
	uint32_t ulen = (uint32_t)strlen(user_id);
	unsigned char lenbuf[4] = {(unsigned char)(ulen >> 24), (unsigned char)(ulen >> 16),
				   (unsigned char)(ulen >> 8), (unsigned char)ulen};
	crypto_auth_hmacsha256_update(&st, lenbuf, sizeof lenbuf);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)user_id, ulen);
	crypto_auth_hmacsha256_final(&st, mac);
}

enum svc_result agt_mcp_session_new(const unsigned char *key, size_t key_len, const char *user_id,
				    const char *version, long long now,
				    char out[AGT_MCP_SESSION_MAX])
{
	out[0] = '\0';
	int vi = version_index(version);
	if (!key || key_len < AGT_MCP_KEY_MIN || vi < 0 || !user_id)
		return SVC_EINVAL;
	unsigned char payload[PAYLOAD_LEN];
	payload[0] = (unsigned char)vi;
	uint64_t t = (uint64_t)now;
	for (int i = 0; i < 8; i++)
		payload[1 + i] = (unsigned char)(t >> (56 - 8 * i));
	if (svc_random_bytes(payload + 9, 16) != 0)
		return SVC_EINTERNAL;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	session_mac(key, key_len, payload, user_id, mac);
	char *p = svc_b64url_encode(payload, sizeof payload);
	char *m = svc_b64url_encode(mac, sizeof mac);
	enum svc_result r = SVC_ENOMEM;
	if (p && m) {
		snprintf(out, AGT_MCP_SESSION_MAX, SESSION_PREFIX "%s.%s", p, m);
		r = SVC_OK;
	}
	free(p);
	free(m);
	return r;
}

enum svc_result agt_mcp_session_check(const unsigned char *key, size_t key_len,
				      const char *session_id, const char *user_id, long long now,
				      long ttl, const char **version)
{
	*version = NULL;
	if (!key || key_len < AGT_MCP_KEY_MIN || !session_id || !user_id ||
	    strlen(session_id) >= AGT_MCP_SESSION_MAX ||
	    strncmp(session_id, SESSION_PREFIX, strlen(SESSION_PREFIX)) != 0)
		return SVC_ENOTFOUND;
	const char *body = session_id + strlen(SESSION_PREFIX);
	const char *dot = strchr(body, '.');
	if (!dot)
		return SVC_ENOTFOUND;
	char part[AGT_MCP_SESSION_MAX];
	snprintf(part, sizeof part, "%.*s", (int)(dot - body), body);
	size_t plen = 0, mlen = 0;
	unsigned char *payload = svc_b64url_decode(part, &plen);
	unsigned char *mac = svc_b64url_decode(dot + 1, &mlen);
	enum svc_result r = SVC_ENOTFOUND;
	if (payload && mac && plen == PAYLOAD_LEN && mlen == crypto_auth_hmacsha256_BYTES) {
		unsigned char want[crypto_auth_hmacsha256_BYTES];
		session_mac(key, key_len, payload, user_id, want);
		uint64_t t = 0;
		for (int i = 0; i < 8; i++)
			t = (t << 8) | payload[1 + i];
		long long issued = (long long)t;
		int vi = payload[0];
		if (sodium_memcmp(want, mac, sizeof want) == 0 && vi < 4 && issued <= now + 60 &&
		    now - issued <= ttl) {
			*version = agt_mcp_versions[vi];
			r = SVC_OK;
		}
	}
	free(payload);
	free(mac);
	return r;
}

/* JSON-RPC. */

/* Adds item to obj as name; frees item when that fails. */
static bool add(cJSON *obj, const char *name, cJSON *item)
{
	/* obj takes ownership of item */
	if (item && cJSON_AddItemToObject(obj, name, item))
		return true;
	cJSON_Delete(item);
	return false;
}

cJSON *agt_rpc_error(const cJSON *id, int code, const char *message, const cJSON *data)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	cJSON *e = cJSON_CreateObject();
	bool ok = cJSON_AddStringToObject(o, "jsonrpc", "2.0") &&
		  add(o, "id", id ? cJSON_Duplicate(id, false) : cJSON_CreateNull()) &&
		  add(o, "error", e);
	ok = ok && cJSON_AddNumberToObject(e, "code", code) &&
	     cJSON_AddStringToObject(e, "message", message) &&
	     (!data || add(e, "data", cJSON_Duplicate(data, true)));
	if (!ok) {
		if (!cJSON_GetObjectItemCaseSensitive(o, "error"))
			cJSON_Delete(e);
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* {"jsonrpc":"2.0","id":id,"result":result}; takes ownership of result. */
static cJSON *rpc_result(const cJSON *id, cJSON *result)
{
	cJSON *o = cJSON_CreateObject();
	if (!o || !result || !cJSON_AddStringToObject(o, "jsonrpc", "2.0") ||
	    !add(o, "id", cJSON_Duplicate(id, false))) {
		cJSON_Delete(o);
		cJSON_Delete(result);
		return NULL;
	}
	if (!add(o, "result", result)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* What one request body leads to, across its messages. */
struct state {
	const struct agt_mcp_config *cfg;
	const struct agt_mcp_request *req;
	struct agt_mcp_response *res;
	int version; /* index in agt_mcp_versions */
	bool oom;
	bool invalid; /* a message was malformed (for a single one: 400) */
};

/* At most max code points of s (valid UTF-8) as printf's "%.*s" length:
 * what a client sent, quoted back without cutting a character. */
static int quote_len(const char *s, size_t max)
{
	return (int)svc_utf8_prefix(s, max);
}

static cJSON *error_with_field(const cJSON *id, int code, const struct svc_err *err)
{
	cJSON *data = NULL;
	if (err->field[0]) {
		data = cJSON_CreateObject();
		if (data && !cJSON_AddStringToObject(data, "field", err->field)) {
			cJSON_Delete(data);
			data = NULL;
		}
	}
	cJSON *e = agt_rpc_error(id, code, err->message, data);
	cJSON_Delete(data);
	return e;
}

static cJSON *do_initialize(struct state *st, const cJSON *id, const cJSON *params)
{
	const cJSON *pv = cJSON_GetObjectItemCaseSensitive(params, "protocolVersion");
	if (!cJSON_IsObject(params) || !cJSON_IsString(pv))
		return agt_rpc_error(id, AGT_RPC_INVALID_PARAMS,
				     "initialize needs params.protocolVersion", NULL);
	int vi = version_index(pv->valuestring);
	if (vi < 0)
		vi = 0;
	enum svc_result r = agt_mcp_session_new(st->cfg->session_key, st->cfg->session_key_len,
						st->req->user_id, agt_mcp_versions[vi],
						st->req->now, st->res->session_id);
	if (r != SVC_OK) {
		st->res->session_id[0] = '\0';
		return agt_rpc_error(id, AGT_RPC_INTERNAL_ERROR, "cannot start a session", NULL);
	}
	st->version = vi;
	cJSON *result = cJSON_CreateObject();
	cJSON *caps = result ? cJSON_AddObjectToObject(result, "capabilities") : NULL;
	cJSON *tools = caps ? cJSON_AddObjectToObject(caps, "tools") : NULL;
	cJSON *info = result ? cJSON_AddObjectToObject(result, "serverInfo") : NULL;
	if (!tools || !info ||
	    !cJSON_AddStringToObject(result, "protocolVersion", agt_mcp_versions[vi]) ||
	    !cJSON_AddBoolToObject(tools, "listChanged", false) ||
	    !cJSON_AddStringToObject(info, "name", st->cfg->server_name) ||
	    !cJSON_AddStringToObject(info, "version", st->cfg->server_version) ||
	    !cJSON_AddStringToObject(
		    result, "instructions",
		    "Manage the user's tasks: add, list, search, change, complete, "
		    "reopen and delete them. Tasks are named by task_id, or by "
		    "title when the id is not known; times are RFC 3339 with the "
		    "user's UTC offset.")) {
		cJSON_Delete(result);
		return NULL;
	}
	return rpc_result(id, result);
}

static cJSON *do_tools_list(struct state *st, const cJSON *id)
{
	cJSON *tools = agt_catalogue_mcp_tools(st->cfg->catalogue);
	if (!tools)
		return NULL;
	const cJSON *t;
	cJSON_ArrayForEach(t, tools)
	{
		/* Older clients get only the fields their version has. */
		if (!has_structured(st->version)) {
			cJSON_DeleteItemFromObjectCaseSensitive((cJSON *)t, "outputSchema");
			cJSON_DeleteItemFromObjectCaseSensitive((cJSON *)t, "title");
		}
		if (!has_annotations(st->version))
			cJSON_DeleteItemFromObjectCaseSensitive((cJSON *)t, "annotations");
	}
	cJSON *result = cJSON_CreateObject();
	/* result takes ownership of tools */
	if (!result || !cJSON_AddItemToObject(result, "tools", tools)) {
		cJSON_Delete(result);
		cJSON_Delete(tools);
		return NULL;
	}
	return rpc_result(id, result);
}

/* {"content":[{"type":"text","text":text}],"isError":is_error}, with
 * structuredContent (copied) where the version has it. */
static cJSON *tool_result(struct state *st, const char *text, const cJSON *structured,
			  bool is_error)
{
	cJSON *result = cJSON_CreateObject();
	cJSON *content = result ? cJSON_AddArrayToObject(result, "content") : NULL;
	cJSON *item = cJSON_CreateObject();
	/* content takes ownership of item */
	if (!content || !item || !cJSON_AddItemToArray(content, item)) {
		cJSON_Delete(item);
		cJSON_Delete(result);
		return NULL;
	}
	if (!cJSON_AddStringToObject(item, "type", "text") ||
	    !cJSON_AddStringToObject(item, "text", text) ||
	    !cJSON_AddBoolToObject(result, "isError", is_error)) {
		cJSON_Delete(result);
		return NULL;
	}
	if (structured && has_structured(st->version)) {
		cJSON *copy = cJSON_Duplicate(structured, true);
		/* result takes ownership of copy */
		if (!copy || !cJSON_AddItemToObject(result, "structuredContent", copy)) {
			cJSON_Delete(copy);
			cJSON_Delete(result);
			return NULL;
		}
	}
	return result;
}

static cJSON *do_tools_call(struct state *st, const cJSON *id, const cJSON *params)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(params, "name");
	const cJSON *args = cJSON_GetObjectItemCaseSensitive(params, "arguments");
	if (!cJSON_IsObject(params) || !cJSON_IsString(name))
		return agt_rpc_error(id, AGT_RPC_INVALID_PARAMS, "tools/call needs params.name",
				     NULL);
	const struct agt_tool *tool = agt_catalogue_find(st->cfg->catalogue, name->valuestring);
	if (!tool) {
		char msg[160];
		snprintf(msg, sizeof msg, "Unknown tool: %.*s", quote_len(name->valuestring, 60),
			 name->valuestring);
		return agt_rpc_error(id, AGT_RPC_INVALID_PARAMS, msg, NULL);
	}
	cJSON *empty = NULL;
	if (!args || cJSON_IsNull(args)) {
		if (!(empty = cJSON_CreateObject()))
			return NULL;
		args = empty;
	}
	struct svc_err err = {0};
	if (agt_tool_check_args(tool, args, &err) != SVC_OK) {
		cJSON_Delete(empty);
		return error_with_field(id, AGT_RPC_INVALID_PARAMS, &err);
	}
	cJSON *out = NULL;
	svc_err_clear(&err);
	enum svc_result r = st->cfg->executor.run(st->cfg->executor.ctx, tool, args, &out, &err);
	cJSON_Delete(empty);
	if (r == SVC_ENOMEM || r == SVC_EINTERNAL) {
		cJSON_Delete(out);
		return agt_rpc_error(id, AGT_RPC_INTERNAL_ERROR,
				     err.message[0] ? err.message : "internal error", NULL);
	}
	cJSON *result;
	if (r != SVC_OK) {
		cJSON_Delete(out);
		result = tool_result(st, err.message[0] ? err.message : svc_result_name(r), NULL,
				     true);
	} else {
		if (!tool->read_only)
			st->res->tasks_changed = true;
		char *text = out ? cJSON_PrintUnformatted(out) : NULL;
		result = text ? tool_result(st, text, out, false) : NULL;
		free(text);
		cJSON_Delete(out);
	}
	return result ? rpc_result(id, result) : NULL;
}

static bool valid_id(const cJSON *id)
{
	if (cJSON_IsString(id))
		return true;
	if (!cJSON_IsNumber(id))
		return false;
	/* An integer within 2^53, checked before any cast. */
	double d = id->valuedouble;
	return d > -9007199254740992.0 && d < 9007199254740992.0 && d == floor(d);
}

/* One message: its response, or NULL when there is none to send (a
 * notification, a client's response) or on OOM (st->oom). */
static cJSON *handle_message(struct state *st, const cJSON *msg, bool in_batch)
{
	cJSON *r;
	if (!cJSON_IsObject(msg)) {
		st->invalid = true;
		r = agt_rpc_error(NULL, AGT_RPC_INVALID_REQUEST, "a message must be a JSON object",
				  NULL);
		goto out;
	}
	const cJSON *jv = cJSON_GetObjectItemCaseSensitive(msg, "jsonrpc");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(msg, "id");
	const cJSON *method = cJSON_GetObjectItemCaseSensitive(msg, "method");
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(msg, "params");
	const cJSON *good_id = id && valid_id(id) ? id : NULL;
	if (!cJSON_IsString(jv) || strcmp(jv->valuestring, "2.0") != 0) {
		st->invalid = true;
		r = agt_rpc_error(good_id, AGT_RPC_INVALID_REQUEST, "jsonrpc must be \"2.0\"",
				  NULL);
		goto out;
	}
	if (id && !good_id) {
		st->invalid = true;
		r = agt_rpc_error(NULL, AGT_RPC_INVALID_REQUEST,
				  "id must be a string or an integer", NULL);
		goto out;
	}
	if (!method) {
		/* A response to a request of ours: we send none, nothing to do. */
		if (id && (cJSON_GetObjectItemCaseSensitive(msg, "result") ||
			   cJSON_GetObjectItemCaseSensitive(msg, "error")))
			return NULL;
		st->invalid = true;
		r = agt_rpc_error(good_id, AGT_RPC_INVALID_REQUEST, "a request needs a method",
				  NULL);
		goto out;
	}
	if (!cJSON_IsString(method)) {
		st->invalid = true;
		r = agt_rpc_error(good_id, AGT_RPC_INVALID_REQUEST, "method must be a string",
				  NULL);
		goto out;
	}
	if (params && !cJSON_IsObject(params) && !cJSON_IsArray(params)) {
		if (!id)
			return NULL;
		r = agt_rpc_error(id, AGT_RPC_INVALID_PARAMS, "params must be an object", NULL);
		goto out;
	}
	const char *m = method->valuestring;
	if (!id)
		return NULL; /* notifications/initialized, cancelled, ...: nothing to answer */
	if (strcmp(m, "initialize") == 0) {
		if (in_batch)
			r = agt_rpc_error(id, AGT_RPC_INVALID_REQUEST,
					  "initialize must not be part of a batch", NULL);
		else
			r = do_initialize(st, id, params);
	} else if (strcmp(m, "ping") == 0) {
		r = rpc_result(id, cJSON_CreateObject());
	} else if (strcmp(m, "tools/list") == 0) {
		r = do_tools_list(st, id);
	} else if (strcmp(m, "tools/call") == 0) {
		r = do_tools_call(st, id, params);
	} else {
		char msg_[160];
		snprintf(msg_, sizeof msg_, "Method not found: %.*s", quote_len(m, 60), m);
		r = agt_rpc_error(id, AGT_RPC_METHOD_NOT_FOUND, msg_, NULL);
	}
out:
	if (!r)
		st->oom = true;
	return r;
}

static bool is_initialize(const cJSON *msg)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(msg, "method");
	return cJSON_IsString(m) && strcmp(m->valuestring, "initialize") == 0;
}

/* Whether a header lists a media type (or a wildcard covering it). */
static bool accepts(const char *header, const char *type)
{
	for (const char *part = header; *part;) {
		part += strspn(part, " \t,");
		size_t l = strcspn(part, ",; \t");
		if ((l == strlen(type) && strncasecmp(part, type, l) == 0) ||
		    (l == 3 && strncmp(part, "*/*", 3) == 0) ||
		    (l == 13 && strncasecmp(part, "application/*", 13) == 0))
			return true;
		part += strcspn(part, ",");
	}
	return false;
}

/* Sets res to status with a JSON-RPC error (id null) as its body. */
static void fail(struct agt_mcp_response *res, int status, int code, const char *message)
{
	res->status = status;
	cJSON *e = agt_rpc_error(NULL, code, message, NULL);
	res->body = e ? cJSON_PrintUnformatted(e) : NULL;
	cJSON_Delete(e);
	if (!res->body)
		res->status = 500;
}

static void respond(struct state *st, cJSON *out)
{
	st->res->body = cJSON_PrintUnformatted(out);
	st->res->status = st->res->body ? 200 : 500;
}

void agt_mcp_handle(const struct agt_mcp_config *cfg, const struct agt_mcp_request *req,
		    struct agt_mcp_response *res)
{
	memset(res, 0, sizeof *res);
	if (!req->method || strcmp(req->method, "POST") != 0) {
		/* No server-initiated stream (GET); sessions end by expiring. */
		res->status = 405;
		res->allow = "POST";
		return;
	}
	if (req->content_type && !accepts(req->content_type, "application/json")) {
		fail(res, 415, AGT_RPC_INVALID_REQUEST, "Content-Type must be application/json");
		return;
	}
	if (req->accept && !accepts(req->accept, "application/json")) {
		fail(res, 406, AGT_RPC_INVALID_REQUEST,
		     "Not Acceptable: the client must accept application/json");
		return;
	}
	if (req->protocol_version && version_index(req->protocol_version) < 0) {
		/* A header is not UTF-8 text: only a plain version is quoted. */
		const char *pv = req->protocol_version;
		bool plain =
			strlen(pv) <= 40 && strspn(pv, "0123456789-.abcdefghijklmnopqrstuvwxyz"
						       "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == strlen(pv);
		char msg[256];
		snprintf(msg, sizeof msg,
			 "Unsupported protocol version%s%s (supported: %s, %s, %s, %s)",
			 plain ? " " : "", plain ? pv : "", agt_mcp_versions[0],
			 agt_mcp_versions[1], agt_mcp_versions[2], agt_mcp_versions[3]);
		fail(res, 400, AGT_RPC_INVALID_REQUEST, msg);
		return;
	}
	cJSON *doc = NULL;
	struct svc_err err = {0};
	if (!req->body || svc_json_parse(req->body, req->len, &doc, &err) != SVC_OK) {
		char msg[300];
		snprintf(msg, sizeof msg, "Parse error: %s", req->body ? err.message : "no body");
		fail(res, 400, AGT_RPC_PARSE_ERROR, msg);
		return;
	}
	bool batch = cJSON_IsArray(doc);
	if (batch && cJSON_GetArraySize(doc) == 0) {
		cJSON_Delete(doc);
		fail(res, 400, AGT_RPC_INVALID_REQUEST, "an empty batch");
		return;
	}
	/* Everything but a lone initialize belongs to a session. */
	bool init_only = !batch && is_initialize(doc);
	struct state st = {.cfg = cfg, .req = req, .res = res, .version = -1};
	const char *sv = NULL;
	if (!init_only) {
		if (!req->session_id) {
			cJSON_Delete(doc);
			fail(res, 400, AGT_RPC_INVALID_REQUEST,
			     "Bad Request: Mcp-Session-Id header is required (send initialize "
			     "first)");
			return;
		}
		if (agt_mcp_session_check(cfg->session_key, cfg->session_key_len, req->session_id,
					  req->user_id, req->now, cfg->session_ttl,
					  &sv) != SVC_OK) {
			cJSON_Delete(doc);
			fail(res, 404, AGT_RPC_SESSION_NOT_FOUND,
			     "Session not found or expired: initialize a new one");
			return;
		}
	}
	st.version = version_index(req->protocol_version ? req->protocol_version
				   : sv                  ? sv
							 : DEFAULT_VERSION);
	cJSON *out = NULL;
	if (!batch) {
		out = handle_message(&st, doc, false);
		if (st.oom) {
			res->status = 500;
		} else if (!out) {
			res->status = 202;
		} else {
			respond(&st, out);
			if (st.invalid)
				res->status = 400;
		}
	} else {
		cJSON *arr = cJSON_CreateArray();
		const cJSON *msg;
		cJSON_ArrayForEach(msg, doc)
		{
			if (!arr || st.oom)
				break;
			cJSON *one = handle_message(&st, msg, true);
			/* arr takes ownership of one */
			if (one && !cJSON_AddItemToArray(arr, one)) {
				cJSON_Delete(one);
				st.oom = true;
			}
		}
		out = arr;
		if (!arr || st.oom)
			res->status = 500;
		else if (cJSON_GetArraySize(arr) == 0)
			res->status = 202;
		else
			respond(&st, arr);
	}
	if (res->status == 500) {
		free(res->body);
		res->body = NULL;
		res->session_id[0] = '\0';
	}
	cJSON_Delete(out);
	cJSON_Delete(doc);
}
