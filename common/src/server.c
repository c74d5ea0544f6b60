/* The HTTP server; see server.h.
 *
 * Who touches what: the loop thread accepts, reads, routes, runs the
 * filter, INLINE and ASYNC handlers, and alone sends answers and frees
 * requests. A pool thread runs one request's handler at a time and touches
 * only that request's svc_req/svc_resp, between the submit and its done
 * callback (which runs on the loop). The one field both sides read is
 * job->gone (atomic): the loop sets it when the client leaves, a worker
 * that has not started the handler yet then skips it. Streams have rules
 * of their own (stream.c). */
#include "svc/server.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>

#include "server_int.h"
#include "svc/json.h"
#include "svc/log.h"
#include "svc/metrics.h"
#include "svc/util.h"

/* ---- request accessors --------------------------------------------------- */

const char *svc_req_param(const struct svc_req *r, const char *name)
{
	for (size_t i = 0; i < r->nparams; i++)
		if (strcmp(r->params[i].name, name) == 0)
			return r->params[i].value;
	return NULL;
}

const char *svc_req_header(const struct svc_req *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

const char *svc_req_query(const struct svc_req *r, const char *name)
{
	for (size_t i = 0; i < r->nquery; i++)
		if (strcmp(r->query[i].name, name) == 0)
			return r->query[i].value;
	return NULL;
}

const char *svc_req_bearer(const struct svc_req *r)
{
	const char *h = svc_req_header(r, "Authorization");
	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	h += 7;
	while (*h == ' ')
		h++;
	return h;
}

/* ---- responses ----------------------------------------------------------- */

void svc_resp_raw(struct svc_resp *resp, int status, const char *content_type,
		  char *body, size_t len)
{
	free(resp->body);
	resp->status = status;
	resp->body = body;
	resp->body_len = body ? len : 0;
	snprintf(resp->content_type, sizeof resp->content_type, "%s",
		 content_type ? content_type : "");
}

void svc_resp_json(struct svc_resp *resp, int status, cJSON *body)
{
	char *s = NULL;
	if (body) {
		s = cJSON_PrintUnformatted(body);
		cJSON_Delete(body);
		if (!s) {
			svc_resp_errf(resp, SVC_ENOMEM, NULL, "out of memory");
			return;
		}
	}
	svc_resp_raw(resp, status, s ? "application/json" : NULL, s, s ? strlen(s) : 0);
}

void svc_resp_err(struct svc_resp *resp, const struct svc_err *err)
{
	char *s = svc_err_body(err);
	svc_resp_raw(resp, svc_result_http_status(err->code), "application/json", s,
		     s ? strlen(s) : 0);
}

void svc_resp_errf(struct svc_resp *resp, enum svc_result code, const char *field,
		   const char *fmt, ...)
{
	struct svc_err err = {.code = code};
	snprintf(err.field, sizeof err.field, "%s", field ? field : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err.message, sizeof err.message, fmt, ap);
	va_end(ap);
	svc_resp_err(resp, &err);
}

void svc_resp_header(struct svc_resp *resp, const char *name, const char *value)
{
	if (resp->nheaders >= SVC_RESP_MAX_HEADERS)
		return;
	struct svc_kv *kv = &resp->headers[resp->nheaders];
	kv->name = strdup(name);
	kv->value = strdup(value);
	if (!kv->name || !kv->value) {
		free(kv->name);
		free(kv->value);
		return;
	}
	resp->nheaders++;
}

void svc_resp_busy(struct svc_resp *resp, long retry_s, const char *what)
{
	char v[24];
	snprintf(v, sizeof v, "%ld", retry_s);
	svc_resp_header(resp, "Retry-After", v);
	svc_resp_errf(resp, SVC_EUNAVAIL, NULL, "%s; retry in %ld s", what, retry_s);
}

/* ---- jobs ---------------------------------------------------------------- */

void srv_job_free(struct job *j)
{
	srv_unwatch(j);
	if (j->req.local && j->req.local_free)
		j->req.local_free(j->req.local);
	svc_kv_free_all(j->req.params, j->req.nparams);
	svc_kv_free_all(j->req.query, j->req.nquery);
	svc_kv_free_all(j->req.headers, j->req.nheaders);
	cJSON_Delete(j->req.json);
	for (size_t i = 0; i < j->resp.nheaders; i++) {
		free(j->resp.headers[i].name);
		free(j->resp.headers[i].value);
	}
	free(j->resp.body);
	free(j->path);
	free((char *)j->req.raw_path);
	free(j->body);
	free(j);
}

static bool valid_request_id(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
			return false;
	return true;
}

/* A fresh request id: a random prefix drawn once per process, then a
 * counter. Unique per process without a system call per request. */
static void new_request_id(char out[33])
{
	static _Atomic unsigned long long counter;
	static unsigned char prefix[8];
	static atomic_int ready;
	if (!atomic_load(&ready)) {
		svc_random_bytes(prefix, sizeof prefix);
		atomic_store(&ready, 1);
	}
	unsigned long long n = atomic_fetch_add(&counter, 1);
	unsigned char b[16];
	memcpy(b, prefix, sizeof prefix);
	for (int i = 0; i < 8; i++)
		b[8 + i] = (unsigned char)(n >> (56 - 8 * i));
	svc_hex(b, sizeof b, out);
}

bool svc_media_type_is(const char *ct, const char *type)
{
	if (!ct)
		return false;
	while (*ct == ' ')
		ct++;
	size_t n = strcspn(ct, ";");
	while (n > 0 && ct[n - 1] == ' ')
		n--;
	return n == strlen(type) && strncasecmp(ct, type, n) == 0;
}

void srv_account(struct job *j, size_t stream_bytes, const char *why)
{
	double secs = (double)(svc_now_ms() - j->start_ms) / 1000.0;
	const char *route = j->route ? j->route->pattern : "unmatched";
	char labels[512], esc[256];
	svc_metrics_label_escape(route, esc, sizeof esc);
	snprintf(labels, sizeof labels, "method=\"%s\",route=\"%s\",code=\"%d\"", j->method,
		 esc, j->resp.status);
	svc_metrics_inc("http_requests_total", "HTTP requests answered.", labels, 1);
	snprintf(labels, sizeof labels, "method=\"%s\",route=\"%s\"", j->method, esc);
	svc_metrics_observe("http_request_duration_seconds", "HTTP request latency.",
			    labels, secs);
	if (j->resp.status >= 500)
		svc_metrics_inc("http_errors_total", "HTTP 5xx answers.", "", 1);

	/* The path only: a query may carry a credential (?access_token=). */
	bool quiet = j->route && (j->route->flags & SVC_ROUTE_QUIET) && j->resp.status < 400;
	if (j->stream || stream_bytes)
		svc_log(SVC_LOG_INFO, j->req.request_id, "%s %s %d %.1fms stream %zu bytes%s%s",
			j->method, j->path, j->resp.status, secs * 1000.0, stream_bytes,
			why ? ", " : "", why ? why : "");
	else
		svc_log(quiet ? SVC_LOG_DEBUG : SVC_LOG_INFO, j->req.request_id,
			"%s %s %d %.1fms%s%s", j->method, j->path, j->resp.status, secs * 1000.0,
			why ? " " : "", why ? why : "");
}

void srv_add_headers(struct job *j)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(j->evreq);
	if (evcon)
		evhttp_connection_set_closecb(evcon, NULL, NULL);
	struct evkeyvalq *out = evhttp_request_get_output_headers(j->evreq);
	evhttp_add_header(out, "X-Request-Id", j->req.request_id);
	if (j->resp.content_type[0])
		evhttp_add_header(out, "Content-Type", j->resp.content_type);
	for (size_t i = 0; i < j->resp.nheaders; i++)
		evhttp_add_header(out, j->resp.headers[i].name, j->resp.headers[i].value);
}

/* The answer goes out (unless the client left) and the request ends. Loop
 * thread. */
static void finish(struct job *j)
{
	srv_unwatch(j);
	if (j->stream) {
		srv_unwatch(j);
		srv_stream_begin(j);
		return;
	}
	j->srv->inflight--;
	bool gone = atomic_load(&j->gone);
	if (gone && !j->started)
		j->resp.status = 499; /* nginx's "client closed request", for the log */
	srv_account(j, 0, gone ? "(client gone)" : NULL);
	if (j->evreq) {
		srv_add_headers(j);
		struct evbuffer *buf = evbuffer_new();
		if (buf && j->resp.body_len)
			evbuffer_add(buf, j->resp.body, j->resp.body_len);
		/* Also frees a request whose client left: libevent detached it. */
		evhttp_send_reply(j->evreq, j->resp.status, NULL, buf);
		if (buf)
			evbuffer_free(buf);
	}
	srv_job_free(j);
}

/* ---- the client leaving --------------------------------------------------
 *
 * libevent 2.1 stops reading a connection while its request is handled, so
 * it cannot tell that the client went away until it writes the answer.
 * From the request's arrival to its answer (but for INLINE routes), a read
 * event of our own on the socket watches for the end of the stream
 * (peeking, never consuming): EOF or an error means the client is gone, and
 * the work is skipped or cancelled. Bytes mean a pipelined request: we stop
 * watching (as nginx does) and finish the work. Added in the loop pass in
 * which libevent dropped its own read interest, and removed in the one in
 * which it takes it back, the watcher costs no epoll_ctl call of its own
 * (the loop's change list, svc_loop_new). */

static void client_gone(struct job *j)
{
	atomic_store(&j->gone, true);
	srv_unwatch(j);
	if (j->evreq) {
		struct evhttp_connection *evcon = evhttp_request_get_connection(j->evreq);
		j->evreq = NULL;
		if (evcon) {
			evhttp_connection_set_closecb(evcon, NULL, NULL);
			evhttp_connection_free(evcon); /* frees the request with it */
		}
	}
	svc_metrics_inc("http_client_gone_total",
			"Requests whose client went away before the answer.", "", 1);
	/* Last: the owner may end the request (and free j) right here. */
	if (j->deferred && j->on_gone) {
		svc_gone_fn fn = j->on_gone;
		j->on_gone = NULL;
		fn(j->gone_arg);
	}
}

static void on_watch(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct job *j = arg;
	char c;
	ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n > 0) {
		srv_unwatch(j); /* a pipelined request: cannot tell any more */
	} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
		event_add(j->watch, NULL);
	} else {
		client_gone(j);
	}
}

static void watch(struct job *j)
{
	if (j->watch || !j->evreq)
		return;
	struct evhttp_connection *evcon = evhttp_request_get_connection(j->evreq);
	struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
	evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
	if (fd < 0)
		return;
	j->watch = event_new(j->srv->base, fd, EV_READ, on_watch, j);
	if (j->watch)
		event_add(j->watch, NULL);
}

void srv_unwatch(struct job *j)
{
	if (j->watch) {
		event_free(j->watch);
		j->watch = NULL;
	}
}

/* libevent closes the connection itself (the server is being freed, or
 * the client left mid-answer). */
static void on_conn_close(struct evhttp_connection *evcon, void *arg)
{
	struct job *j = arg;
	/* Still attached: libevent frees the request with the connection.
	 * Detached: it is ours, and sending the answer frees it. */
	if (j->evreq && evhttp_request_get_connection(j->evreq) == evcon)
		j->evreq = NULL;
	atomic_store(&j->gone, true);
	srv_unwatch(j);
	if (j->deferred && j->on_gone) {
		svc_gone_fn fn = j->on_gone;
		j->on_gone = NULL;
		fn(j->gone_arg);
	}
}

/* ---- handlers ------------------------------------------------------------ */

/* Parses the body of a JSON route; answers the error itself. */
static bool parse_json(struct job *j)
{
	if (!(j->route->flags & SVC_ROUTE_JSON))
		return true;
	struct svc_err err = {0};
	if (svc_json_parse_object(j->req.body, j->req.body_len, &j->req.json, &err) == SVC_OK)
		return true;
	svc_resp_err(&j->resp, &err);
	return false;
}

static void pool_work(void *arg)
{
	struct job *j = arg;
	if (atomic_load(&j->gone))
		return; /* nobody waits for it */
	if (parse_json(j))
		((svc_handler)j->route->fn)(&j->req, &j->resp);
}

static void pool_done(void *arg)
{
	struct job *j = arg;
	srv_unwatch(j);
	finish(j);
}

/* After the filter: the handler, wherever it runs. Loop thread. */
static void proceed(struct job *j)
{
	if (j->has_pre) {
		svc_resp_err(&j->resp, &j->pre);
		finish(j);
		return;
	}
	int flags = j->route->flags;
	if (flags & (SVC_ROUTE_INLINE | SVC_ROUTE_ASYNC)) {
		if (parse_json(j))
			((svc_handler)j->route->fn)(&j->req, &j->resp);
		if (!j->deferred)
			finish(j);
		return;
	}
	struct svc_pool *pool = j->route->pool ? j->route->pool : j->srv->pool;
	if (svc_pool_submit(pool, pool_work, pool_done, j) != 0) {
		srv_unwatch(j);
		svc_resp_busy(&j->resp, 1, "the server is busy");
		finish(j);
	}
}

void svc_filter_resume(struct svc_req *req, enum svc_filter_result r)
{
	struct job *j = job_of(req);
	j->filter_pending = false;
	if (r == SVC_FILTER_DONE)
		finish(j);
	else
		proceed(j);
}

/* ---- deferred answers ---------------------------------------------------- */

struct svc_pending *svc_req_defer(struct svc_req *req, svc_gone_fn on_gone, void *arg)
{
	struct job *j = job_of(req);
	if (!j->route || !(j->route->flags & SVC_ROUTE_ASYNC) || j->deferred || j->stream)
		return NULL;
	j->deferred = true;
	j->on_gone = on_gone;
	j->gone_arg = arg;
	return (struct svc_pending *)j;
}

struct svc_req *svc_pending_req(struct svc_pending *p)
{
	return &((struct job *)p)->req;
}

struct svc_resp *svc_pending_resp(struct svc_pending *p)
{
	return &((struct job *)p)->resp;
}

bool svc_pending_gone(const struct svc_pending *p)
{
	return atomic_load(&((const struct job *)p)->gone);
}

void svc_pending_done(struct svc_pending *p)
{
	struct job *j = (struct job *)p;
	j->on_gone = NULL;
	srv_unwatch(j);
	finish(j);
}

int svc_pending_start(struct svc_pending *p)
{
	struct job *j = (struct job *)p;
	srv_unwatch(j);
	j->started = true;
	if (!j->evreq)
		return -1;
	srv_add_headers(j);
	struct evhttp_connection *evcon = evhttp_request_get_connection(j->evreq);
	if (evcon)
		evhttp_connection_set_closecb(evcon, on_conn_close, j);
	evhttp_send_reply_start(j->evreq, j->resp.status, NULL);
	if (j->resp.body_len) {
		struct evbuffer *buf = evbuffer_new();
		if (buf && evbuffer_add(buf, j->resp.body, j->resp.body_len) == 0)
			evhttp_send_reply_chunk(j->evreq, buf);
		if (buf)
			evbuffer_free(buf);
	}
	return 0;
}

int svc_pending_write(struct svc_pending *p, struct evbuffer *data)
{
	struct job *j = (struct job *)p;
	if (!j->evreq || atomic_load(&j->gone)) {
		evbuffer_drain(data, evbuffer_get_length(data));
		return -1;
	}
	evhttp_send_reply_chunk(j->evreq, data);
	return 0;
}

void svc_pending_end(struct svc_pending *p)
{
	struct job *j = (struct job *)p;
	j->on_gone = NULL;
	j->srv->inflight--;
	srv_account(j, 0, atomic_load(&j->gone) ? "(client gone)" : NULL);
	if (j->evreq) {
		struct evhttp_connection *evcon = evhttp_request_get_connection(j->evreq);
		if (evcon)
			evhttp_connection_set_closecb(evcon, NULL, NULL);
		/* Also frees a request whose client left: libevent detached it. */
		evhttp_send_reply_end(j->evreq);
		j->evreq = NULL;
	}
	srv_job_free(j);
}

/* ---- intake -------------------------------------------------------------- */

/* Copies what the handler needs out of the evhttp request. */
static int fill_request(struct job *j, struct evhttp_request *evreq)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(evreq);
	const char *raw_path = evhttp_uri_get_path(uri);
	if (!raw_path || !*raw_path)
		raw_path = "/";
	j->req.raw_path = strdup(raw_path);
	size_t dlen = 0;
	j->path = evhttp_uridecode(raw_path, 0, &dlen);
	j->req.path_len = dlen;
	if (!j->path || !j->req.raw_path)
		return -1;
	/* An encoded NUL would cut the path short where C reads it: no route
	 * can have one. */
	if (strlen(j->path) != dlen) {
		svc_err_set(&j->pre, SVC_ENOTFOUND, NULL, "no such path");
		j->has_pre = true;
	}
	const char *q = evhttp_uri_get_query(uri);
	if (q && *q && svc_query_parse(q, &j->req.query, &j->req.nquery) != 0 && !j->has_pre) {
		svc_err_set(&j->pre, SVC_EINVAL, NULL, "malformed query string");
		j->has_pre = true;
	}
	struct evhttp_connection *evcon = evhttp_request_get_connection(evreq);
	char *peer = NULL;
	ev_uint16_t peer_port = 0;
	if (evcon)
		evhttp_connection_get_peer(evcon, &peer, &peer_port);
	snprintf(j->req.peer, sizeof j->req.peer, "%s", peer ? peer : "");
	struct evkeyvalq *in = evhttp_request_get_input_headers(evreq);
	size_t nh = 0;
	for (struct evkeyval *kv = in->tqh_first; kv; kv = kv->next.tqe_next)
		nh++;
	j->req.headers = nh ? calloc(nh, sizeof *j->req.headers) : NULL;
	if (nh && !j->req.headers)
		return -1;
	for (struct evkeyval *kv = in->tqh_first; kv; kv = kv->next.tqe_next) {
		struct svc_kv *h = &j->req.headers[j->req.nheaders];
		h->name = strdup(kv->key);
		h->value = strdup(kv->value);
		if (!h->name || !h->value) {
			free(h->name);
			free(h->value);
			return -1;
		}
		j->req.nheaders++;
	}

	struct evbuffer *body = evhttp_request_get_input_buffer(evreq);
	size_t len = evbuffer_get_length(body);
	if (len > j->srv->opts.max_body) {
		svc_err_set(&j->pre, SVC_ETOOBIG, NULL,
			    "request body is larger than %zu bytes", j->srv->opts.max_body);
		j->has_pre = true;
	} else if (len > 0) {
		j->body = malloc(len + 1);
		if (!j->body)
			return -1;
		evbuffer_copyout(body, j->body, len);
		j->body[len] = '\0';
		j->req.body = j->body;
		j->req.body_len = len;
	}
	const char *rid = evhttp_find_header(in, "X-Request-Id");
	if (rid && valid_request_id(rid))
		snprintf(j->req.request_id, sizeof j->req.request_id, "%s", rid);
	else
		new_request_id(j->req.request_id);
	return 0;
}

static const char *method_name(enum evhttp_cmd_type t)
{
	switch (t) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	case EVHTTP_REQ_TRACE: return "TRACE";
	case EVHTTP_REQ_CONNECT: return "CONNECT";
	case EVHTTP_REQ_PATCH: return "PATCH";
	}
	return "OTHER";
}

static void on_request(struct evhttp_request *evreq, void *arg)
{
	struct svc_server *srv = arg;
	struct job *j = calloc(1, sizeof *j);
	if (!j) {
		evhttp_send_error(evreq, 500, NULL);
		return;
	}
	j->srv = srv;
	j->evreq = evreq;
	j->start_ms = svc_now_ms();
	atomic_init(&j->gone, false);
	j->resp.status = 500;
	snprintf(j->method, sizeof j->method, "%s", method_name(evhttp_request_get_command(evreq)));
	j->req.method = j->method;
	j->req.ctx = srv->opts.ctx;
	srv->inflight++;
	if (fill_request(j, evreq) != 0) {
		svc_err_set(&j->pre, SVC_ENOMEM, NULL, "out of memory");
		j->has_pre = true;
	}
	j->req.path = j->path ? j->path : "/";
	if (!j->req.raw_path)
		j->req.raw_path = strdup("/");

	enum svc_route_found found =
		svc_router_find(srv->router, j->method, j->req.path, &j->route,
				&j->req.params, &j->req.nparams);
	if (found == SVC_ROUTE_FOUND) {
		j->req.route = j->route->pattern;
		j->req.arg = j->route->arg;
		const char *ct = svc_req_header(&j->req, "Content-Type");
		if (!j->has_pre && (j->route->flags & SVC_ROUTE_JSON) &&
		    !svc_media_type_is(ct, "application/json") &&
		    !((j->route->flags & SVC_ROUTE_JSON_CURL) &&
		      svc_media_type_is(ct, "application/x-www-form-urlencoded"))) {
			svc_err_set(&j->pre, SVC_EMEDIA, NULL,
				    "Content-Type must be application/json");
			j->has_pre = true;
		}
	} else {
		/* The router's own answer; it wins over anything found before. */
		if (found == SVC_ROUTE_NO_METHOD)
			svc_err_set(&j->pre, SVC_EMETHOD, NULL, "method %s not allowed here",
				    j->method);
		else
			svc_err_set(&j->pre, SVC_ENOTFOUND, NULL, "no route for %s %.200s",
				    j->method, j->req.path);
		j->has_pre = true;
	}
	struct evhttp_connection *evcon = evhttp_request_get_connection(evreq);
	if (evcon)
		evhttp_connection_set_closecb(evcon, on_conn_close, j);
	if (j->route && (j->route->flags & SVC_ROUTE_INLINE)) {
		proceed(j);
		return;
	}
	/* From now until the answer: libevent just stopped reading the
	 * connection, and this keeps a read interest on it in the same loop
	 * pass, so epoll sees no change at all (see watch()). */
	watch(j);
	if (srv->filter) {
		j->filter_pending = true;
		enum svc_filter_result r = srv->filter(srv->filter_arg, &j->req, &j->resp);
		if (r == SVC_FILTER_PENDING)
			return;
		svc_filter_resume(&j->req, r);
		return;
	}
	proceed(j);
}

/* ---- lifecycle ----------------------------------------------------------- */

struct svc_server *svc_server_new(struct event_base *base, const struct svc_server_opts *o,
				  struct svc_pool *pool)
{
	struct svc_server *srv = calloc(1, sizeof *srv);
	if (!srv)
		return NULL;
	srv->base = base;
	srv->opts = *o;
	srv->pool = pool;
	pthread_mutex_init(&srv->lock, NULL);
	srv->router = svc_router_new();
	srv->evhttp = evhttp_new(base);
	srv_streams_init(srv);
	if (!srv->router || !srv->evhttp || !srv->stream_ev)
		goto fail;
	/* evhttp's own limit answers with an HTML page: see SVC_HTTP_HARD_BODY
	 * in server.h for why it is a fixed bound far above ours. */
	if (srv->opts.max_body > SVC_HTTP_HARD_BODY)
		srv->opts.max_body = SVC_HTTP_HARD_BODY;
	evhttp_set_max_body_size(srv->evhttp, (ev_ssize_t)SVC_HTTP_HARD_BODY);
	evhttp_set_flags(srv->evhttp, EVHTTP_SERVER_LINGERING_CLOSE);
	evhttp_set_max_headers_size(srv->evhttp, 64 * 1024);
	evhttp_set_timeout(srv->evhttp, SVC_SERVER_CONN_TIMEOUT_S);
	evhttp_set_allowed_methods(srv->evhttp, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
				   EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
				   EVHTTP_REQ_PATCH | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_HEAD);
	evhttp_set_gencb(srv->evhttp, on_request, srv);
	return srv;
fail:
	svc_server_free(srv);
	return NULL;
}

int svc_server_listen(struct svc_server *srv)
{
	srv->sock = evhttp_bind_socket_with_handle(srv->evhttp, srv->opts.host,
						   (ev_uint16_t)srv->opts.port);
	if (!srv->sock) {
		svc_error(NULL, "cannot listen on %s:%d", srv->opts.host, srv->opts.port);
		return -1;
	}
	/* libevent writes at most 16 KiB at a time; with Nagle on, the rest of
	 * a longer answer waited for the client's delayed ACK (40 ms: make
	 * bench showed a page of 50 tasks at 44 ms p50 against a 1.7 ms query).
	 * Accepted sockets inherit it. */
	int one = 1;
	if (setsockopt(evhttp_bound_socket_get_fd(srv->sock), IPPROTO_TCP, TCP_NODELAY, &one,
		       sizeof one) != 0)
		svc_warn(NULL, "cannot set TCP_NODELAY on %s:%d: answers over 16 KiB may wait"
			 " for delayed ACKs", srv->opts.host, srv->opts.port);
	return 0;
}

int svc_server_port(const struct svc_server *srv)
{
	if (!srv->sock)
		return 0;
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	if (getsockname(evhttp_bound_socket_get_fd(srv->sock), (struct sockaddr *)&ss, &len) != 0)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

void svc_server_set_filter(struct svc_server *srv, svc_filter_fn fn, void *arg)
{
	srv->filter = fn;
	srv->filter_arg = arg;
}

void svc_server_routes(const struct svc_server *srv, svc_route_visit_fn fn, void *arg)
{
	svc_router_visit(srv->router, fn, arg);
}

void svc_server_stop_accepting(struct svc_server *srv)
{
	if (srv->sock) {
		evhttp_del_accept_socket(srv->evhttp, srv->sock);
		srv->sock = NULL;
	}
}

size_t svc_server_inflight(struct svc_server *srv)
{
	return srv->inflight;
}

void svc_server_free(struct svc_server *srv)
{
	if (!srv)
		return;
	svc_server_end_streams(srv);
	srv_streams_cleanup(srv);
	if (srv->evhttp)
		evhttp_free(srv->evhttp);
	svc_router_free(srv->router);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}

int svc_server_route(struct svc_server *srv, const char *method, const char *pattern,
		     svc_handler fn, void *arg, int flags, struct svc_pool *pool)
{
	struct svc_route r = {.pattern = (char *)pattern, .fn = (svc_route_fn)fn, .arg = arg,
			      .flags = flags, .pool = pool};
	snprintf(r.method, sizeof r.method, "%s", method);
	return svc_router_add(srv->router, &r);
}
