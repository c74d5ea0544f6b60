/* The MCP server's protocol layer, no I/O of its own: one HTTP request to
 * /api/mcp (Streamable HTTP transport, JSON-RPC 2.0) in, the HTTP answer
 * out. Methods: initialize (version negotiation), notifications/initialized
 * and other notifications, ping, tools/list (the catalogue) and tools/call
 * (through the service's executor, the one place that does I/O). Answers
 * are plain JSON (application/json); no server-to-client stream is
 * offered, so GET is 405, as the transport allows.
 *
 * Sessions are stateless: the Mcp-Session-Id is an HMAC-signed token
 * naming the protocol version negotiated, bound to the user who
 * initialized it and valid for a time, so that any replica can check it
 * and another user's session id is worth nothing. */
#ifndef AGT_MCP_H
#define AGT_MCP_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "catalogue.h"
#include "svc/result.h"

/* The protocol versions spoken, newest first, NULL-terminated. A client
 * asking for one of them gets it; any other gets the newest. */
extern const char *const agt_mcp_versions[];

/* JSON-RPC error codes. */
#define AGT_RPC_PARSE_ERROR -32700
#define AGT_RPC_INVALID_REQUEST -32600
#define AGT_RPC_METHOD_NOT_FOUND -32601
#define AGT_RPC_INVALID_PARAMS -32602
#define AGT_RPC_INTERNAL_ERROR -32603
#define AGT_RPC_SESSION_NOT_FOUND -32001

#define AGT_MCP_SESSION_MAX 128
#define AGT_MCP_KEY_MIN 32 /* bytes of the session key */

/* A session id for user, made at now for the negotiated version: ASCII
 * 0x21-0x7E only, as the transport requires. key: at least
 * AGT_MCP_KEY_MIN bytes. SVC_EINVAL for a short key or an unknown
 * version; SVC_EINTERNAL when the kernel gives no random bytes. */
enum svc_result agt_mcp_session_new(const unsigned char *key, size_t key_len, const char *user_id,
				    const char *version, long long now,
				    char out[AGT_MCP_SESSION_MAX]);

/* Checks a session id for user at now: made with key for this user, not
 * older than ttl seconds. SVC_OK with *version (static) the version it
 * was made for; SVC_ENOTFOUND otherwise (malformed, forged, another
 * user's, expired), as the transport answers 404 to all of them. */
enum svc_result agt_mcp_session_check(const unsigned char *key, size_t key_len,
				      const char *session_id, const char *user_id, long long now,
				      long ttl, const char **version);

struct agt_mcp_config {
	const unsigned char *session_key; /* borrowed; AGT_MCP_KEY_MIN bytes or more */
	size_t session_key_len;
	long session_ttl; /* seconds */
	const char *server_name;
	const char *server_version;
	const struct agt_catalogue *catalogue;
	struct agt_executor executor;
};

/* One HTTP request to the MCP endpoint. Strings are borrowed; absent
 * headers are NULL. */
struct agt_mcp_request {
	const char *method; /* "POST", "GET", "DELETE", ... */
	const char *body;
	size_t len;
	const char *content_type;     /* Content-Type */
	const char *accept;           /* Accept */
	const char *session_id;       /* Mcp-Session-Id */
	const char *protocol_version; /* MCP-Protocol-Version */
	const char *user_id;          /* who the bearer token says is calling */
	long long now;                /* seconds since 1970 */
};

struct agt_mcp_response {
	int status; /* 200, 202, 400, 404, 405, 406, 415 */
	char *body; /* JSON, or NULL (202, 405); caller frees with free() */
	char session_id[AGT_MCP_SESSION_MAX]; /* "" or the Mcp-Session-Id to send */
	const char *allow;                    /* for 405: the Allow header (static) */
	bool tasks_changed;                   /* a tool call that changes tasks ran */
};

/* Answers one request. Never fails: every problem becomes the HTTP status
 * and JSON-RPC error the transport prescribes (out of memory: 500 with no
 * body). Tool calls run through cfg->executor, in order. */
void agt_mcp_handle(const struct agt_mcp_config *cfg, const struct agt_mcp_request *req,
		    struct agt_mcp_response *res);

/* A JSON-RPC error response {"jsonrpc":"2.0","id":id,"error":{"code",
 * "message","data"?}}; id may be NULL (then null), data too (then left
 * out; copied otherwise). Caller frees with cJSON_Delete; NULL on OOM. */
cJSON *agt_rpc_error(const cJSON *id, int code, const char *message, const cJSON *data);

#endif
