/* decode -> validate -> call -> encode, for the routes the gateway passes to
 * a peer. They run on the loop thread (SVC_ROUTE_ASYNC): the upstream call
 * starts, the handler returns, and the answer comes back when it arrives,
 * so no thread waits on a peer. An event stream passes through as it is
 * written; any other answer is gathered (up to GW_GATHER_MAX, then it
 * streams) and goes out whole with its Content-Length: the sidecars answer
 * chunked, and one write of a known length costs the gateway and the
 * client less than relaying chunks, and a peer that fails mid-answer gets
 * a clean 502 rather than a cut body. The edge checked the caller's token
 * already (gw_caller); the peer checks it again. */
#include "routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "auth_routes.h"
#include "edge.h"
#include "proxy.h"
#include "stream_routes.h"
#include "svc/app.h"
#include "svc/log.h"
#include "svc/metrics.h"
#include "svc/redis.h"

/* The path and query of a request stay under this. */
#define MAX_UPSTREAM_PATH 4096
/* An answer longer than this streams as it arrives (a page of 200 tasks is
 * about 110 KiB). */
#define GW_GATHER_MAX (256 * 1024)

enum target { TO_TASKS, TO_NOTIFIER, TO_AGENT };

/* A route the gateway passes on: which peer, and what its {id} is. */
struct fwd_route {
	const char *method, *pattern;
	int flags;
	enum target to;
	enum gw_id_kind id;
	const char *what; /* for a malformed id's 404: "task", "notification" */
	bool rpc;         /* errors in JSON-RPC's shape are the peer's own (MCP) */
};

/* One request on its way through. */
struct fwd {
	struct svc_pending *p;
	struct svc_up_req *up;
	bool buffering;       /* an error: held, to tell the peer's from the sidecar's */
	bool gathering;       /* a 2xx/3xx held to go out whole */
	struct evbuffer *held;
	char length[24];      /* the peer's Content-Length, if it gave one */
	bool started;         /* the answer's head went to the client */
	bool rpc;
	int status;
	char content_type[128];
	/* A held answer's headers, sent only if it is the peer's own. */
	struct svc_kv kept[4];
	size_t nkept;
};

static void fwd_free(struct fwd *f)
{
	if (f->held)
		evbuffer_free(f->held);
	for (size_t i = 0; i < f->nkept; i++) {
		free(f->kept[i].name);
		free(f->kept[i].value);
	}
	free(f);
}

static void on_gone(void *arg)
{
	struct fwd *f = arg;
	if (f->up)
		svc_up_cancel(f->up);
	f->up = NULL;
	struct svc_pending *p = f->p;
	fwd_free(f);
	svc_pending_done(p); /* frees the request: nobody to answer */
}

/* Sends the head and whatever was gathered; the rest follows as it comes. */
static int stream_now(struct fwd *f)
{
	if (f->length[0])
		svc_resp_header(svc_pending_resp(f->p), "Content-Length", f->length);
	f->gathering = false;
	f->started = true;
	if (svc_pending_start(f->p) == 0 && f->held)
		svc_pending_write(f->p, f->held);
	return 0;
}

/* What was held, as one malloc'd string (NUL after its n bytes), or NULL. */
static char *held_body(struct fwd *f, size_t *n)
{
	*n = evbuffer_get_length(f->held);
	char *body = malloc(*n + 1);
	if (body) {
		evbuffer_remove(f->held, body, *n);
		body[*n] = '\0';
	}
	return body;
}

static int on_head(void *arg, int status, const struct evkeyvalq *headers)
{
	struct fwd *f = arg;
	struct svc_resp *resp = svc_pending_resp(f->p);
	f->status = status;
	const char *ct = evhttp_find_header(headers, "Content-Type");
	snprintf(f->content_type, sizeof f->content_type, "%s", ct ? ct : "");
	if (status >= 400) {
		/* Our error shape is the peer's answer; anything else is the
		 * sidecar's own (its refusal of a token or a policy, or a peer
		 * it cannot reach), never shown as it is: internal words and
		 * identities stay in our log. Keep it until it is whole. */
		f->buffering = true;
		f->held = evbuffer_new();
		const char *name;
		for (const struct evkeyval *h = headers->tqh_first; f->held && h && f->nkept < 4;
		     h = h->next.tqe_next) {
			if (strcasecmp(h->key, "Content-Type") == 0 ||
			    !(name = gw_forward_response_header(h->key)))
				continue;
			struct svc_kv *k = &f->kept[f->nkept++];
			k->name = strdup(name);
			k->value = strdup(h->value);
		}
		if (f->held)
			return 0;
		/* Stopping here: no hook runs after, so answer now. */
		struct svc_pending *p = f->p;
		svc_resp_errf(resp, SVC_ENOMEM, NULL, "out of memory");
		fwd_free(f);
		svc_pending_done(p);
		return -1;
	}
	resp->status = status;
	const char *name;
	for (const struct evkeyval *h = headers->tqh_first; h; h = h->next.tqe_next) {
		if (strcasecmp(h->key, "Content-Type") == 0)
			snprintf(resp->content_type, sizeof resp->content_type, "%s", h->value);
		else if (strcasecmp(h->key, "Content-Length") == 0)
			snprintf(f->length, sizeof f->length, "%s", h->value);
		else if ((name = gw_forward_response_header(h->key)))
			svc_resp_header(resp, name, h->value);
	}
	if (!svc_media_type_is(f->content_type, "text/event-stream") &&
	    (f->held = evbuffer_new())) {
		f->gathering = true;
		return 0;
	}
	return stream_now(f);
}

static void on_data(void *arg, struct evbuffer *data)
{
	struct fwd *f = arg;
	if (f->buffering || f->gathering)
		evbuffer_add_buffer(f->held, data);
	else
		svc_pending_write(f->p, data);
	if (f->gathering && evbuffer_get_length(f->held) > GW_GATHER_MAX)
		stream_now(f);
}

/* The sidecar's own failure, or no answer at all: our error, logged. */
static void answer_failure(struct fwd *f, enum svc_result r, const struct svc_err *err)
{
	struct svc_resp *resp = svc_pending_resp(f->p);
	const struct svc_req *req = svc_pending_req(f->p);
	svc_error(req->request_id, "upstream %s %s: %s", req->method, req->path, err->message);
	svc_metrics_inc("gateway_upstream_errors_total",
			"Proxied requests that got no usable answer from the peer.", "", 1);
	if (r == SVC_ETIMEOUT)
		svc_resp_errf(resp, SVC_ETIMEOUT, NULL, "a backing service did not answer in time");
	else if (r == SVC_EUNAVAIL)
		svc_resp_busy(resp, 1, "a backing service is unavailable");
	else
		svc_resp_errf(resp, SVC_EUPSTREAM, NULL, "a backing service is unavailable");
}

static void on_done(void *arg, enum svc_result r, const struct svc_err *err)
{
	struct fwd *f = arg;
	struct svc_pending *p = f->p;
	f->up = NULL;
	if (f->started) {
		/* Cut short mid-answer: the client sees the connection end
		 * before the length it was promised. */
		if (r != SVC_OK)
			svc_error(svc_pending_req(p)->request_id, "upstream answer cut short: %s",
				  err->message);
		fwd_free(f);
		svc_pending_end(p);
		return;
	}
	if (r == SVC_OK && f->gathering) {
		size_t n;
		char *body = held_body(f, &n);
		struct svc_resp *resp = svc_pending_resp(p);
		if (body)
			svc_resp_raw(resp, f->status, f->content_type, body, n);
		else
			svc_resp_errf(resp, SVC_ENOMEM, NULL, "out of memory");
	} else if (r == SVC_OK && f->buffering) {
		size_t n;
		char *body = held_body(f, &n);
		if (body && (svc_err_parse(body, n, NULL) || (f->rpc && gw_rpc_error_body(body, n)))) {
			struct svc_resp *resp = svc_pending_resp(p);
			for (size_t i = 0; i < f->nkept; i++)
				if (f->kept[i].name && f->kept[i].value)
					svc_resp_header(resp, f->kept[i].name, f->kept[i].value);
			svc_resp_raw(resp, f->status, f->content_type, body, n);
		} else {
			struct svc_err e = {0};
			svc_err_set(&e, SVC_EUPSTREAM, NULL, "answered %d: %.300s", f->status,
				    body ? body : "");
			free(body);
			answer_failure(f, SVC_EUPSTREAM, &e);
		}
	} else {
		answer_failure(f, r == SVC_OK ? SVC_EUPSTREAM : r, err);
	}
	fwd_free(f);
	svc_pending_done(p);
}

static const struct svc_up_hooks hooks = {on_head, on_data, on_done};

static void h_forward(struct svc_req *req, struct svc_resp *resp)
{
	struct gw_ctx *ctx = req->ctx;
	const struct fwd_route *rt = req->arg;
	struct svc_claims who;
	if (!gw_caller(ctx->auth, req, resp, &who))
		return;
	const char *id = svc_req_param(req, "id");
	if (id && !gw_id_valid(rt->id, id)) {
		svc_resp_errf(resp, SVC_ENOTFOUND, NULL, "no such %s", rt->what);
		return;
	}
	struct svc_buf path;
	svc_buf_init(&path, MAX_UPSTREAM_PATH);
	if (gw_upstream_path(req, &path) != 0) {
		svc_buf_cleanup(&path);
		svc_resp_errf(resp, SVC_EINVAL, NULL, "request URI too long");
		return;
	}
	/* A personal API token travels as the access token the edge swapped
	 * it for; any other Authorization as it came. */
	bool swap = gw_caller_personal(req);
	struct svc_kv hdrs[16];
	size_t nh = 0;
	char bearer[1024];
	if (swap) {
		snprintf(bearer, sizeof bearer, "Bearer %s", gw_upstream_token(req));
		hdrs[nh++] = (struct svc_kv){"Authorization", bearer};
	}
	for (size_t i = 0; i < req->nheaders && nh < 15; i++) {
		const struct svc_kv *h = &req->headers[i];
		if (!gw_forward_request_header(h->name) ||
		    (swap && strcasecmp(h->name, "Authorization") == 0))
			continue;
		/* "Accept: text/event-stream" alone puts the sidecars in their
		 * SSE mode, which turns every answer but a 2xx into their own
		 * 500; widened, the stream still passes through unbuffered
		 * (tests/system/test_agent_model.py) and a 400 stays a 400. */
		if (strcasecmp(h->name, "Accept") == 0 && gw_sse_only_accept(h->value))
			hdrs[nh++] = (struct svc_kv){h->name, GW_SSE_ACCEPT_UPSTREAM};
		else
			hdrs[nh++] = *h;
	}
	hdrs[nh++] = (struct svc_kv){"X-Request-Id", req->request_id};

	struct fwd *f = calloc(1, sizeof *f);
	if (!f) {
		svc_buf_cleanup(&path);
		svc_resp_errf(resp, SVC_ENOMEM, NULL, "out of memory");
		return;
	}
	struct svc_upstream *up = rt->to == TO_TASKS	 ? ctx->up_tasks
				  : rt->to == TO_AGENT ? ctx->up_agent
							 : ctx->up_notifier;
	struct svc_err err = {0};
	f->rpc = rt->rpc;
	f->p = svc_req_defer(req, on_gone, f);
	f->up = svc_upstream_start(up, req->method, path.data, hdrs, nh, req->body, req->body_len,
				   &hooks, f, &err);
	svc_buf_cleanup(&path);
	if (!f->up) {
		struct svc_pending *p = f->p;
		free(f);
		svc_warn(req->request_id, "upstream refused at once: %s", err.message);
		if (err.code == SVC_EUNAVAIL)
			svc_resp_busy(resp, 1, "the service is busy");
		else
			svc_resp_err(resp, &err);
		svc_pending_done(p);
	}
}

int gw_routes_register(struct svc_app *app, struct gw_ctx *ctx)
{
	/* Bodies must be JSON objects here already; the peers check their
	 * fields. */
	static const struct fwd_route routes[] = {
		{"GET", "/api/tasks", 0, TO_TASKS, GW_ID_NONE, "", false},
		{"POST", "/api/tasks", SVC_ROUTE_JSON, TO_TASKS, GW_ID_NONE, "", false},
		{"GET", "/api/tasks/{id}", 0, TO_TASKS, GW_ID_UUID, "task", false},
		{"PATCH", "/api/tasks/{id}", SVC_ROUTE_JSON, TO_TASKS, GW_ID_UUID, "task", false},
		{"DELETE", "/api/tasks/{id}", 0, TO_TASKS, GW_ID_UUID, "task", false},
		{"POST", "/api/tasks/{id}/complete", 0, TO_TASKS, GW_ID_UUID, "task", false},
		{"POST", "/api/tasks/{id}/reopen", 0, TO_TASKS, GW_ID_UUID, "task", false},
		{"GET", "/api/tags", 0, TO_TASKS, GW_ID_NONE, "", false},
		{"GET", "/api/notifications", 0, TO_NOTIFIER, GW_ID_NONE, "", false},
		{"POST", "/api/notifications/{id}/read", 0, TO_NOTIFIER, GW_ID_NUMBER,
		 "notification", false},
		{"POST", "/api/notifications/read-all", 0, TO_NOTIFIER, GW_ID_NONE, "", false},
		{"GET", "/api/me/notification-settings", 0, TO_NOTIFIER, GW_ID_NONE, "", false},
		{"PUT", "/api/me/notification-settings", SVC_ROUTE_JSON, TO_NOTIFIER, GW_ID_NONE, "", false},
		/* ai-agent: a chat turn's answer (JSON, or an SSE stream) comes
		 * through as it is written. MCP bodies are the transport's to
		 * check (JSON-RPC errors, not ours). */
		{"POST", "/api/chat", SVC_ROUTE_JSON | SVC_ROUTE_JSON_CURL, TO_AGENT, GW_ID_NONE, "", false},
		{"POST", "/api/chat/parse", SVC_ROUTE_JSON, TO_AGENT, GW_ID_NONE, "", false},
		{"GET", "/api/conversations", 0, TO_AGENT, GW_ID_NONE, "", false},
		{"GET", "/api/conversations/{id}", 0, TO_AGENT, GW_ID_UUID, "conversation", false},
		{"DELETE", "/api/conversations/{id}", 0, TO_AGENT, GW_ID_UUID, "conversation", false},
		{"POST", "/api/mcp", 0, TO_AGENT, GW_ID_NONE, "", true},
		{"GET", "/api/mcp", 0, TO_AGENT, GW_ID_NONE, "", true},
	};
	int rc = 0;
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
		rc |= svc_app_route(app, routes[i].method, routes[i].pattern, h_forward,
				    (void *)&routes[i], routes[i].flags | SVC_ROUTE_ASYNC);
	svc_app_ready_check(app, "redis", svc_redis_ready_check, &ctx->redis);
	rc |= gw_auth_routes_register(app, ctx);
	rc |= gw_stream_routes_register(app, ctx);
	return rc;
}
