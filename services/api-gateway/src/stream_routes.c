/* decode -> validate -> call -> encode, for the notification stream */
#include "stream_routes.h"

#include <stdlib.h>

#include "edge.h"
#include "sse.h"
#include "sse_hub.h"
#include "svc/app.h"
#include "svc/log.h"

/* Answers before any stream starts: a clear error, then nothing. */
static void refuse(struct svc_resp *resp, struct gw_sse_client *c, struct svc_buf *b,
		   const struct svc_err *err)
{
	if (c)
		gw_hub_leave(c);
	svc_buf_cleanup(b);
	svc_resp_err(resp, err);
}

static void h_stream(struct svc_req *req, struct svc_resp *resp)
{
	struct gw_ctx *ctx = req->ctx;
	struct svc_claims who;
	struct svc_err err = {0};
	struct svc_buf body;
	svc_buf_init(&body, SVC_STREAM_MAX_QUEUED);
	long long last = -1;
	bool resume = false;
	if (!gw_caller(ctx->auth, req, resp, &who)) {
		svc_buf_cleanup(&body);
		return;
	}
	if (gw_sse_last_id(req, &last, &resume, &err) != SVC_OK) {
		refuse(resp, NULL, &body, &err);
		return;
	}
	/* Subscribed first: what is published from here on waits in c while
	 * the replay runs, so nothing falls between the two. */
	struct gw_sse_client *c = gw_hub_join(ctx->hub, who.sub, gw_upstream_token(req), who.exp);
	if (!c) {
		svc_err_set(&err, SVC_ENOMEM, NULL, "out of memory");
		refuse(resp, NULL, &body, &err);
		return;
	}
	svc_buf_puts(&body, GW_SSE_RETRY);
	bool more = false;
	if (resume && gw_hub_replay(ctx->hub, gw_upstream_token(req), &last, &body, &more,
				    req->request_id, &err) != SVC_OK) {
		refuse(resp, c, &body, &err);
		return;
	}
	/* From now on: where "now" is, for a catch-up after a Redis break. Live
	 * delivery does not need it, so without it the stream still starts. */
	long long floor = -1;
	if (!resume && gw_hub_latest(ctx->hub, gw_upstream_token(req), &floor, req->request_id,
				     &err) != SVC_OK) {
		svc_warn(req->request_id, "stream starts with no position (%s): a break in the"
			 " Redis subscription cannot be caught up for it", err.message);
		floor = -1;
	}
	struct svc_stream *s =
		svc_stream_open(req, resp, "text/event-stream", gw_hub_stream_ended, c);
	if (!s) {
		svc_err_set(&err, SVC_EUNAVAIL, NULL, "too many open streams; retry later");
		refuse(resp, c, &body, &err);
		return;
	}
	svc_resp_header(resp, "Cache-Control", "no-store");
	svc_resp_header(resp, "X-Accel-Buffering", "no");
	size_t len = 0;
	char *text = svc_buf_take(&body, &len);
	svc_resp_raw(resp, 200, "text/event-stream", text, len);
	/* More to replay, or live messages lost while it ran: this stream
	 * ends after what it holds, and the client resumes from there. */
	if (more || gw_hub_attach(c, s, last, floor) != 0) {
		gw_hub_leave(c);
		svc_stream_close(s);
	}
}

int gw_stream_routes_register(struct svc_app *app, struct gw_ctx *ctx)
{
	svc_app_ready_check(app, "redis_pubsub", gw_hub_ready_check, ctx->hub);
	return svc_app_route(app, "GET", GW_SSE_ROUTE, h_stream, NULL, 0);
}
