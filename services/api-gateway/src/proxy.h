/* Forwarding rules, no I/O: which request headers travel to a peer, which
 * answer headers come back, what a path id must look like, and the path
 * and query that go upstream. */
#ifndef GW_PROXY_H
#define GW_PROXY_H

#include <stdbool.h>
#include <stddef.h>

#include "svc/server.h"
#include "svc/util.h"

/* True for request headers the gateway passes to a service. */
bool gw_forward_request_header(const char *name);
/* The name, as the API documents it ("ETag", not Go's "Etag"), of an
 * answer header the gateway passes back to the client; NULL for the
 * others. */
const char *gw_forward_response_header(const char *name);

/* The Accept a request for a stream alone goes upstream with. */
#define GW_SSE_ACCEPT_UPSTREAM "text/event-stream, application/json;q=0.5"
/* True for an Accept header that is "text/event-stream" and nothing
 * else (the one value Dapr's sidecars take for their SSE mode). */
bool gw_sse_only_accept(const char *value);

/* True when body is a JSON-RPC 2.0 error response (or a batch holding
 * one): the MCP endpoint's own way of saying no, which the gateway passes
 * on as it passes our error shape. */
bool gw_rpc_error_body(const char *body, size_t len);

/* What a route's {id} must be. */
enum gw_id_kind { GW_ID_NONE, GW_ID_UUID, GW_ID_NUMBER };

/* True when value is a well-formed id of that kind: a canonical UUID, or a
 * decimal number 1..2^53 without sign or leading zero. A malformed id is
 * answered like a missing one (404), and never reaches a peer. */
bool gw_id_valid(enum gw_id_kind kind, const char *value);

/* The path and query for the peer into b: req's path (its ids checked
 * already, so it holds nothing to escape) and its query, each name and
 * value percent-encoded again. Returns 0, or -1 when b's cap is passed. */
int gw_upstream_path(const struct svc_req *req, struct svc_buf *b);

#endif
