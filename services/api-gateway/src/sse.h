/* Server-Sent Events rules for the notification stream, no I/O: where a
 * stream request's token and resume point are, how a notification becomes
 * a frame, and how notifier's replay pages read. */
#ifndef GW_SSE_H
#define GW_SSE_H

#include <stdbool.h>
#include <stddef.h>

#include "svc/server.h"
#include "svc/util.h"

#define GW_SSE_ROUTE "/api/notifications/stream"
/* notifier PUBLISHes each notification on "todo:notify:<user id>". */
#define GW_SSE_CHANNEL_PREFIX "todo:notify:"
#define GW_SSE_PATTERN GW_SSE_CHANNEL_PREFIX "*"
#define GW_SSE_HEARTBEAT ": heartbeat\n\n"
/* How long EventSource waits before it reconnects after a stream ends. */
#define GW_SSE_RETRY "retry: 3000\n\n"
/* Notification ids are int64 in Postgres; JSON numbers stay exact up to
 * 2^53, which is the bound here. */
#define GW_SSE_MAX_ID 9007199254740992LL
/* Items per page asked of notifier when replaying. */
#define GW_SSE_PAGE 200

/* The access token a request carries: the Authorization bearer token, or
 * on the stream route the access_token query parameter (EventSource cannot
 * set headers). The header wins. NULL when there is none; borrowed from
 * req. */
const char *gw_request_token(const struct svc_req *req);

/* Where the client resumes: the Last-Event-ID header (EventSource sends it
 * on every reconnect, so it wins) or the last_event_id query parameter; an
 * empty value counts as absent. *present says whether one was given, then
 * *out holds it (0..GW_SSE_MAX_ID). A malformed one is SVC_EINVAL naming
 * it. */
enum svc_result gw_sse_last_id(const struct svc_req *req, long long *out, bool *present,
			       struct svc_err *err);

/* The user id of a notification channel, borrowed from channel; NULL when
 * channel is not one. */
const char *gw_sse_channel_user(const char *channel);

/* The id of a notification (JSON text, json[0..len)): an object whose "id"
 * is an integer in 1..GW_SSE_MAX_ID. Returns 0, or -1 for anything else. */
int gw_sse_notification_id(const char *json, size_t len, long long *id);

/* Appends the frame "id: <id>\nevent: notification\ndata: <json>\n\n" to
 * b; a JSON text spread over several lines becomes several data lines,
 * which the client joins back. Returns 0, or -1 when b failed. */
int gw_sse_frame(struct svc_buf *b, long long id, const char *json, size_t len);

/* Reads one page of notifier's GET /api/notifications?after_id= answer,
 * {"items": [...], ...}, oldest first: appends a frame to b for each item
 * whose id is above *last, advancing *last, but stops (setting *full)
 * before a frame that would take b past max_bytes. *items is how many
 * items the page held. Returns 0, or -1 when body is no such page or b
 * failed. */
int gw_sse_page(const char *body, size_t len, struct svc_buf *b, size_t max_bytes,
		long long *last, size_t *items, bool *full);

/* Reads notifier's newest-first GET /api/notifications?limit=1 answer:
 * *top is the id of its first item, or 0 when it has none. Returns 0, or
 * -1 when body is no such page. */
int gw_sse_top_id(const char *body, size_t len, long long *top);

#endif
