/* decode -> validate -> call -> encode */
#include "routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth_routes.h"
#include "proxy.h"
#include "stream_routes.h"
#include "svc/app.h"
#include "svc/httpc.h"
#include "svc/log.h"
#include "svc/redis.h"

#define MAX_UPSTREAM_BODY (4u << 20)

/* Passes the request to a service under base and relays its answer. The
 * gateway verifies the token first, so a bad one never reaches a service
 * (each service verifies it again). */
static void forward(struct gw_ctx *ctx, const char *base, struct svc_req *req,
		    struct svc_resp *resp)
{
	struct svc_claims who;
	struct svc_err err = {0};
	if (svc_app_auth(ctx->app, req, "access", &who, &err) != SVC_OK) {
		svc_resp_err(resp, &err);
		return;
	}
	char url[2048];
	size_t n = (size_t)snprintf(url, sizeof url, "%s%s", base, req->path);
	for (size_t i = 0; i < req->nquery && n < sizeof url; i++) {
		char *k = svc_url_escape(req->query[i].name);
		char *v = svc_url_escape(req->query[i].value);
		if (k && v)
			n += (size_t)snprintf(url + n, sizeof url - n, "%c%s=%s", i ? '&' : '?', k, v);
		free(k);
		free(v);
	}
	if (n >= sizeof url) {
		svc_resp_errf(resp, SVC_EINVAL, NULL, "request URI too long");
		return;
	}
	char *hdrs[16] = {0};
	size_t nh = 0;
	for (size_t i = 0; i < req->nheaders && nh < 14; i++) {
		if (!gw_forward_request_header(req->headers[i].name) ||
		    strcasecmp(req->headers[i].name, "X-Request-Id") == 0)
			continue;
		size_t len = strlen(req->headers[i].name) + strlen(req->headers[i].value) + 3;
		hdrs[nh] = malloc(len);
		if (hdrs[nh])
			snprintf(hdrs[nh++], len, "%s: %s", req->headers[i].name, req->headers[i].value);
	}
	char rid[100];
	snprintf(rid, sizeof rid, "X-Request-Id: %s", req->request_id);
	hdrs[nh++] = rid;
	hdrs[nh] = NULL;

	struct svc_httpc_resp up;
	enum svc_result r = svc_httpc_request(req->method, url, (const char *const *)hdrs,
					      req->body, req->body_len,
					      ctx->upstream_timeout_ms, MAX_UPSTREAM_BODY, &up, &err);
	for (size_t i = 0; i + 1 < nh; i++)
		free(hdrs[i]);
	if (r != SVC_OK) {
		svc_error(req->request_id, "upstream %s: %s", url, err.message);
		svc_resp_err(resp, &err);
		return;
	}
	if (up.status >= 500 && !gw_is_error_body(up.body, up.body_len)) {
		/* The sidecar's own failure (not the service's answer): keep the
		 * client's error format and keep its details in our log. */
		svc_error(req->request_id, "upstream %s answered %ld: %.300s", url, up.status,
			  up.body ? up.body : "");
		svc_httpc_resp_cleanup(&up);
		svc_resp_errf(resp, SVC_EUPSTREAM, NULL, "a backing service is unavailable");
		return;
	}
	if (up.etag[0])
		svc_resp_header(resp, "ETag", up.etag);
	svc_resp_raw(resp, (int)up.status, up.content_type[0] ? up.content_type : NULL,
		     up.body, up.body_len);
	up.body = NULL;
	svc_httpc_resp_cleanup(&up);
}

static void h_tasks(struct svc_req *req, struct svc_resp *resp)
{
	struct gw_ctx *ctx = req->ctx;
	forward(ctx, ctx->task_service_url, req, resp);
}

static void h_notifier(struct svc_req *req, struct svc_resp *resp)
{
	struct gw_ctx *ctx = req->ctx;
	forward(ctx, ctx->notifier_url, req, resp);
}

int gw_routes_register(struct svc_app *app, struct gw_ctx *ctx)
{
	int rc = 0;
	/* Bodies must be JSON objects here already; task-service checks their
	 * fields. */
	static const struct {
		const char *method, *pattern;
		int flags;
	} task_routes[] = {
		{"GET", "/api/tasks", 0},
		{"POST", "/api/tasks", SVC_ROUTE_JSON},
		{"GET", "/api/tasks/{id}", 0},
		{"PATCH", "/api/tasks/{id}", SVC_ROUTE_JSON},
		{"DELETE", "/api/tasks/{id}", 0},
		{"POST", "/api/tasks/{id}/complete", 0},
		{"POST", "/api/tasks/{id}/reopen", 0},
		{"GET", "/api/tags", 0},
	};
	for (size_t i = 0; i < sizeof task_routes / sizeof task_routes[0]; i++)
		rc |= svc_app_route(app, task_routes[i].method, task_routes[i].pattern, h_tasks,
				    NULL, task_routes[i].flags);
	rc |= svc_app_route(app, "GET", "/api/notifications", h_notifier, NULL, 0);
	rc |= svc_app_route(app, "POST", "/api/notifications/{id}/read", h_notifier, NULL, 0);
	rc |= svc_app_route(app, "POST", "/api/notifications/read-all", h_notifier, NULL, 0);
	rc |= svc_app_route(app, "GET", "/api/me/notification-settings", h_notifier, NULL, 0);
	rc |= svc_app_route(app, "PUT", "/api/me/notification-settings", h_notifier, NULL,
			    SVC_ROUTE_JSON);
	svc_app_ready_check(app, "redis", svc_redis_ready_check, &ctx->redis);
	rc |= gw_auth_routes_register(app, ctx);
	rc |= gw_stream_routes_register(app, ctx);
	return rc;
}
