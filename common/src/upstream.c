/* The upstream client; see upstream.h.
 *
 * A request's life: queued (u->queue) until a connection is free, then in
 * flight on one (conn->req, ur->conn), then ended: done ran (or the request
 * was cancelled) and it is freed. libevent's callbacks for a request are
 * header_cb (head), chunked_cb (data), error_cb (why it failed) and the
 * request callback (the end, with or without an answer); a connection
 * that libevent reset stays in the pool and reconnects on its next
 * request. Queued requests are handed to connections from an event of
 * their own ("kick"), never from inside libevent's callbacks. */
#include "svc/upstream.h"

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "svc/loop.h"
#include "svc/util.h"

#define REAP_S 5

struct conn {
	struct conn *next;
	struct svc_upstream *u;
	struct evhttp_connection *evcon;
	struct svc_up_req *req; /* in flight; NULL when idle */
	long long idle_since;   /* ms, svc_now_ms */
	unsigned long served;   /* answers it carried */
};

struct svc_upstream {
	struct event_base *base;
	struct svc_upstream_opts o;
	char host[256];
	int port;
	char hostport[300]; /* the Host header */
	char *prefix;
	struct svc_kv *headers; /* opts.headers, copied */
	size_t nheaders;
	struct conn *conns;
	int nconns;
	struct svc_up_req *qhead, *qtail; /* waiting for a connection */
	size_t queued;
	struct event *kick;
	struct event *reaper;
};

struct svc_up_req {
	struct svc_upstream *u;
	struct svc_up_req *next; /* in the queue */
	bool queued;
	struct conn *conn;       /* in flight on */
	struct evhttp_request *evreq;
	enum evhttp_cmd_type type;
	bool idempotent;
	char *uri;
	struct svc_kv *headers;
	size_t nheaders;
	char *body;
	size_t body_len;
	long timeout_ms;
	size_t max_body;
	const struct svc_up_hooks *hooks;
	void *arg;
	bool got_head;
	bool retried;
	bool stopped;   /* head asked to stop, or cancelled */
	int error;      /* enum evhttp_request_error + 1; 0: none */
	struct event *deadline;
	/* the buffered form */
	struct svc_up_hooks fetch_hooks;
	svc_up_done_fn fetch_done;
	void *fetch_arg;
	struct svc_up_resp resp;
	struct evbuffer *acc;
};

static void kick(struct svc_upstream *u)
{
	event_active(u->kick, EV_READ, 0);
}

static void req_free(struct svc_up_req *r)
{
	if (r->deadline)
		event_free(r->deadline);
	svc_kv_free_all(r->headers, r->nheaders);
	free(r->uri);
	free(r->body);
	if (r->acc)
		evbuffer_free(r->acc);
	svc_up_resp_cleanup(&r->resp);
	free(r);
}

static void unqueue(struct svc_up_req *r)
{
	struct svc_upstream *u = r->u;
	struct svc_up_req **pp = &u->qhead, *prev = NULL;
	while (*pp && *pp != r) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (*pp) {
		*pp = r->next;
		if (u->qtail == r)
			u->qtail = prev;
		u->queued--;
	}
	r->queued = false;
	r->next = NULL;
}

static bool method_of(const char *m, enum evhttp_cmd_type *t, bool *idempotent)
{
	static const struct {
		const char *name;
		enum evhttp_cmd_type type;
		bool idempotent;
	} table[] = {
		{"GET", EVHTTP_REQ_GET, true},       {"HEAD", EVHTTP_REQ_HEAD, true},
		{"PUT", EVHTTP_REQ_PUT, true},       {"DELETE", EVHTTP_REQ_DELETE, true},
		{"OPTIONS", EVHTTP_REQ_OPTIONS, true}, {"POST", EVHTTP_REQ_POST, false},
		{"PATCH", EVHTTP_REQ_PATCH, false},
	};
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (strcmp(m, table[i].name) == 0) {
			*t = table[i].type;
			*idempotent = table[i].idempotent;
			return true;
		}
	return false;
}

/* ---- ending a request ---------------------------------------------------- */

static enum svc_result failure(const struct svc_up_req *r, int code, struct svc_err *err)
{
	const struct svc_upstream *u = r->u;
	switch (r->error - 1) {
	case EVREQ_HTTP_TIMEOUT:
		return svc_err_set(err, SVC_ETIMEOUT, NULL, "%s:%d timed out", u->host, u->port);
	case EVREQ_HTTP_EOF:
		if (!r->got_head)
			return svc_err_set(err, SVC_EUPSTREAM, NULL,
					   "%s:%d closed the connection without answering",
					   u->host, u->port);
		return svc_err_set(err, SVC_EUPSTREAM, NULL, "%s:%d cut its answer short",
				   u->host, u->port);
	case EVREQ_HTTP_DATA_TOO_LONG:
		return svc_err_set(err, SVC_EUPSTREAM, NULL,
				   "%s:%d answered more than %zu bytes", u->host, u->port,
				   r->max_body);
	case EVREQ_HTTP_INVALID_HEADER:
	case EVREQ_HTTP_BUFFER_ERROR:
		return svc_err_set(err, SVC_EUPSTREAM, NULL, "%s:%d answered malformed HTTP",
				   u->host, u->port);
	default:
		break;
	}
	if (code == 0)
		return svc_err_set(err, SVC_EUNAVAIL, NULL, "cannot connect to %s:%d", u->host,
				   u->port);
	return svc_err_set(err, SVC_EUPSTREAM, NULL, "%s:%d failed", u->host, u->port);
}

static int send_on(struct svc_up_req *r, struct conn *c, struct svc_err *err);

/* The request callback: the end of the request, with or without an
 * answer. */
static void on_complete(struct evhttp_request *evreq, void *arg)
{
	struct svc_up_req *r = arg;
	struct conn *c = r->conn;
	struct svc_upstream *u = r->u;
	int code = evreq ? evhttp_request_get_response_code(evreq) : 0;
	bool ok = evreq && code > 0 && !r->error;
	r->evreq = NULL; /* libevent frees it after this returns */
	c->req = NULL;
	c->idle_since = svc_now_ms();
	r->conn = NULL;
	if (ok)
		c->served++;
	if (r->stopped) {
		req_free(r);
		kick(u);
		return;
	}
	/* A reused connection the peer had closed: once more, on a fresh one,
	 * when the request may safely be sent twice and nothing came back. */
	if (!ok && !r->got_head && !r->retried && r->idempotent && c->served > 0 &&
	    (r->error == 0 || r->error - 1 == EVREQ_HTTP_EOF)) {
		struct svc_err err = {0};
		r->retried = true;
		r->error = 0;
		c->served = 0;
		if (send_on(r, c, &err) == 0)
			return;
		r->hooks->done(r->arg, err.code, &err);
		req_free(r);
		kick(u);
		return;
	}
	struct svc_err err = {0};
	enum svc_result res = ok ? SVC_OK : failure(r, code, &err);
	r->hooks->done(r->arg, res, &err);
	req_free(r);
	kick(u);
}

static int on_header(struct evhttp_request *evreq, void *arg)
{
	struct svc_up_req *r = arg;
	r->got_head = true;
	if (r->stopped)
		return -1;
	if (r->hooks->head &&
	    r->hooks->head(r->arg, evhttp_request_get_response_code(evreq),
			   evhttp_request_get_input_headers(evreq)) != 0) {
		r->stopped = true;
		return -1;
	}
	return 0;
}

static void on_chunk(struct evhttp_request *evreq, void *arg)
{
	struct svc_up_req *r = arg;
	struct evbuffer *in = evhttp_request_get_input_buffer(evreq);
	if (!r->stopped && r->hooks->data)
		r->hooks->data(r->arg, in);
	evbuffer_drain(in, evbuffer_get_length(in));
}

static void on_error(enum evhttp_request_error e, void *arg)
{
	struct svc_up_req *r = arg;
	r->error = (int)e + 1;
}

/* ---- sending ------------------------------------------------------------- */

static int send_on(struct svc_up_req *r, struct conn *c, struct svc_err *err)
{
	struct svc_upstream *u = r->u;
	struct evhttp_request *evreq = evhttp_request_new(on_complete, r);
	if (!evreq)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory"), -1;
	evhttp_request_set_header_cb(evreq, on_header);
	evhttp_request_set_chunked_cb(evreq, on_chunk);
	evhttp_request_set_error_cb(evreq, on_error);
	struct evkeyvalq *out = evhttp_request_get_output_headers(evreq);
	evhttp_add_header(out, "Host", u->hostport);
	for (size_t i = 0; i < u->nheaders; i++)
		evhttp_add_header(out, u->headers[i].name, u->headers[i].value);
	for (size_t i = 0; i < r->nheaders; i++)
		evhttp_add_header(out, r->headers[i].name, r->headers[i].value);
	if (r->body_len || r->type == EVHTTP_REQ_POST || r->type == EVHTTP_REQ_PUT ||
	    r->type == EVHTTP_REQ_PATCH) {
		char n[24];
		snprintf(n, sizeof n, "%zu", r->body_len);
		evhttp_remove_header(out, "Content-Length");
		evhttp_add_header(out, "Content-Length", n);
		if (r->body_len)
			evbuffer_add(evhttp_request_get_output_buffer(evreq), r->body, r->body_len);
	}
	struct timeval tv = {r->timeout_ms / 1000, (r->timeout_ms % 1000) * 1000};
	evhttp_connection_set_timeout_tv(c->evcon, &tv);
	evhttp_connection_set_max_body_size(c->evcon, (ev_ssize_t)r->max_body);
	r->conn = c;
	r->evreq = evreq;
	r->got_head = false;
	c->req = r;
	if (evhttp_make_request(c->evcon, evreq, r->type, r->uri) != 0) {
		/* It could not even start connecting: not queued on evcon. */
		c->req = NULL;
		r->conn = NULL;
		r->evreq = NULL;
		return svc_err_set(err, SVC_EUNAVAIL, NULL, "cannot connect to %s:%d", u->host,
				   u->port),
		       -1;
	}
	return 0;
}

static struct conn *idle_conn(struct svc_upstream *u)
{
	struct conn *best = NULL;
	/* The most recently used idle one: its peer is least likely to have
	 * closed it, and the others can age out. */
	for (struct conn *c = u->conns; c; c = c->next)
		if (!c->req && (!best || c->idle_since > best->idle_since))
			best = c;
	if (best || u->nconns >= u->o.max_conns)
		return best;
	struct conn *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->u = u;
	c->evcon = evhttp_connection_base_new(u->base, NULL, u->host, (ev_uint16_t)u->port);
	if (!c->evcon) {
		free(c);
		return NULL;
	}
	evhttp_connection_set_max_headers_size(c->evcon, 64 * 1024);
	c->next = u->conns;
	u->conns = c;
	u->nconns++;
	return c;
}

static void on_kick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct svc_upstream *u = arg;
	while (u->qhead) {
		struct conn *c = idle_conn(u);
		if (!c)
			return;
		struct svc_up_req *r = u->qhead;
		unqueue(r);
		struct svc_err err = {0};
		if (send_on(r, c, &err) != 0) {
			r->hooks->done(r->arg, err.code, &err);
			req_free(r);
		}
	}
}

static void on_reap(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct svc_upstream *u = arg;
	long long now = svc_now_ms();
	for (struct conn **pp = &u->conns; *pp;) {
		struct conn *c = *pp;
		if (!c->req && now - c->idle_since > u->o.idle_ms) {
			*pp = c->next;
			evhttp_connection_free(c->evcon);
			free(c);
			u->nconns--;
		} else {
			pp = &c->next;
		}
	}
}

/* A buffered request's time is up: it ends as timed out. */
static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct svc_up_req *r = arg;
	svc_up_done_fn done = r->fetch_done;
	void *done_arg = r->fetch_arg;
	struct svc_err err = {0};
	svc_err_set(&err, SVC_ETIMEOUT, NULL, "%s:%d timed out", r->u->host, r->u->port);
	svc_up_cancel(r);
	done(done_arg, SVC_ETIMEOUT, NULL, &err);
}

/* Starts r (queued, or on a free connection); r is freed on failure. */
static struct svc_up_req *launch(struct svc_up_req *r, long deadline_ms, struct svc_err *err)
{
	struct svc_upstream *u = r->u;
	if (deadline_ms > 0) {
		r->deadline = evtimer_new(u->base, on_deadline, r);
		struct timeval tv = {deadline_ms / 1000, (deadline_ms % 1000) * 1000};
		if (!r->deadline || evtimer_add(r->deadline, &tv) != 0) {
			svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
			req_free(r);
			return NULL;
		}
	}
	struct conn *c = u->qhead ? NULL : idle_conn(u);
	if (c) {
		if (send_on(r, c, err) != 0) {
			req_free(r);
			return NULL;
		}
		return r;
	}
	if (u->queued >= u->o.max_queued) {
		svc_err_set(err, SVC_EUNAVAIL, NULL,
			    "%s:%d is busy: %d requests in flight and %zu waiting", u->host,
			    u->port, u->nconns, u->queued);
		req_free(r);
		return NULL;
	}
	r->queued = true;
	if (u->qtail)
		u->qtail->next = r;
	else
		u->qhead = r;
	u->qtail = r;
	u->queued++;
	kick(u);
	return r;
}

static struct svc_up_req *make_req(struct svc_upstream *u, const char *method,
				   const char *path, const struct svc_kv *headers,
				   size_t nheaders, const void *body, size_t len,
				   struct svc_err *err)
{
	struct svc_up_req *r = calloc(1, sizeof *r);
	if (!r) {
		svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
		return NULL;
	}
	r->u = u;
	r->timeout_ms = u->o.timeout_ms;
	r->max_body = u->o.max_body;
	if (!method_of(method, &r->type, &r->idempotent)) {
		svc_err_set(err, SVC_EINVAL, NULL, "method %s is not supported", method);
		free(r);
		return NULL;
	}
	size_t plen = strlen(u->prefix), len2 = strlen(path);
	r->uri = malloc(plen + len2 + 1);
	if (r->uri) {
		memcpy(r->uri, u->prefix, plen);
		memcpy(r->uri + plen, path, len2 + 1);
	}
	if (nheaders) {
		r->headers = calloc(nheaders, sizeof *r->headers);
		for (size_t i = 0; r->headers && i < nheaders; i++) {
			r->headers[i].name = strdup(headers[i].name);
			r->headers[i].value = strdup(headers[i].value);
			r->nheaders++;
			if (!r->headers[i].name || !r->headers[i].value)
				goto oom;
		}
		if (!r->headers)
			goto oom;
	}
	if (len) {
		r->body = malloc(len);
		if (!r->body)
			goto oom;
		memcpy(r->body, body, len);
		r->body_len = len;
	}
	if (!r->uri)
		goto oom;
	return r;
oom:
	svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	req_free(r);
	return NULL;
}

struct svc_up_req *svc_upstream_start(struct svc_upstream *u, const char *method,
				      const char *path, const struct svc_kv *headers,
				      size_t nheaders, const void *body, size_t len,
				      const struct svc_up_hooks *hooks, void *arg,
				      struct svc_err *err)
{
	struct svc_up_req *r = make_req(u, method, path, headers, nheaders, body, len, err);
	if (!r)
		return NULL;
	r->hooks = hooks;
	r->arg = arg;
	return launch(r, 0, err);
}

void svc_up_cancel(struct svc_up_req *r)
{
	struct svc_upstream *u = r->u;
	if (r->queued) {
		unqueue(r);
		req_free(r);
		return;
	}
	if (r->evreq) {
		struct conn *c = r->conn;
		r->stopped = true;
		struct evhttp_request *evreq = r->evreq;
		r->evreq = NULL;
		/* Runs on_error (CANCEL) at once and frees evreq; the request
		 * callback does not run. libevent resets the connection. */
		evhttp_cancel_request(evreq);
		c->req = NULL;
		c->idle_since = svc_now_ms();
		c->served = 0;
		req_free(r);
		kick(u);
		return;
	}
	/* Neither queued nor in flight: a retry that could not start. */
	req_free(r);
}

/* ---- the buffered form --------------------------------------------------- */

static void copy_value(char *dst, size_t n, const char *v)
{
	snprintf(dst, n, "%s", v ? v : "");
}

static int fetch_head(void *arg, int status, const struct evkeyvalq *h)
{
	struct svc_up_req *r = arg;
	r->resp.status = status;
	copy_value(r->resp.content_type, sizeof r->resp.content_type,
		   evhttp_find_header(h, "Content-Type"));
	copy_value(r->resp.etag, sizeof r->resp.etag, evhttp_find_header(h, "ETag"));
	copy_value(r->resp.retry_after, sizeof r->resp.retry_after,
		   evhttp_find_header(h, "Retry-After"));
	return 0;
}

static void fetch_data(void *arg, struct evbuffer *data)
{
	struct svc_up_req *r = arg;
	evbuffer_add_buffer(r->acc, data);
}

static void fetch_end(void *arg, enum svc_result res, const struct svc_err *err)
{
	struct svc_up_req *r = arg;
	if (r->deadline)
		evtimer_del(r->deadline);
	if (res != SVC_OK) {
		r->fetch_done(r->fetch_arg, res, NULL, err);
		return;
	}
	size_t n = evbuffer_get_length(r->acc);
	r->resp.body = malloc(n + 1);
	if (!r->resp.body) {
		struct svc_err e = {0};
		svc_err_set(&e, SVC_ENOMEM, NULL, "out of memory");
		r->fetch_done(r->fetch_arg, SVC_ENOMEM, NULL, &e);
		return;
	}
	evbuffer_remove(r->acc, r->resp.body, n);
	r->resp.body[n] = '\0';
	r->resp.body_len = n;
	r->fetch_done(r->fetch_arg, SVC_OK, &r->resp, err);
}

static struct svc_up_req *fetch_ex(struct svc_upstream *u, const char *method,
				   const char *path, const struct svc_kv *headers,
				   size_t nheaders, const void *body, size_t len,
				   long timeout_ms, size_t max_body, svc_up_done_fn done,
				   void *arg, struct svc_err *err)
{
	struct svc_up_req *r = make_req(u, method, path, headers, nheaders, body, len, err);
	if (!r)
		return NULL;
	r->acc = evbuffer_new();
	if (!r->acc) {
		svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
		req_free(r);
		return NULL;
	}
	if (timeout_ms > 0)
		r->timeout_ms = timeout_ms;
	if (max_body > 0)
		r->max_body = max_body;
	r->fetch_hooks.head = fetch_head;
	r->fetch_hooks.data = fetch_data;
	r->fetch_hooks.done = fetch_end;
	r->hooks = &r->fetch_hooks;
	r->arg = r;
	r->fetch_done = done;
	r->fetch_arg = arg;
	return launch(r, timeout_ms, err);
}

struct svc_up_req *svc_upstream_fetch(struct svc_upstream *u, const char *method,
				      const char *path, const struct svc_kv *headers,
				      size_t nheaders, const void *body, size_t len,
				      svc_up_done_fn done, void *arg, struct svc_err *err)
{
	return fetch_ex(u, method, path, headers, nheaders, body, len, u->o.timeout_ms, 0, done,
			arg, err);
}

void svc_up_resp_cleanup(struct svc_up_resp *r)
{
	free(r->body);
	memset(r, 0, sizeof *r);
}

/* ---- lifecycle ----------------------------------------------------------- */

struct svc_upstream *svc_upstream_new(struct event_base *base, const char *url,
				      const struct svc_upstream_opts *o, struct svc_err *err)
{
	struct evhttp_uri *uri = evhttp_uri_parse(url);
	const char *scheme = uri ? evhttp_uri_get_scheme(uri) : NULL;
	const char *host = uri ? evhttp_uri_get_host(uri) : NULL;
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	if (!scheme || strcasecmp(scheme, "http") != 0 || !host || !*host ||
	    (path && *path && strcmp(path, "/") != 0) || evhttp_uri_get_query(uri)) {
		if (uri)
			evhttp_uri_free(uri);
		svc_err_set(err, SVC_EINVAL, NULL, "not an http://host:port URL: %.200s", url);
		return NULL;
	}
	struct svc_upstream *u = calloc(1, sizeof *u);
	if (!u) {
		evhttp_uri_free(uri);
		svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
		return NULL;
	}
	u->base = base;
	if (o)
		u->o = *o;
	if (u->o.max_conns <= 0)
		u->o.max_conns = 64;
	if (u->o.max_queued == 0)
		u->o.max_queued = 1024;
	if (u->o.timeout_ms <= 0)
		u->o.timeout_ms = 10000;
	if (u->o.max_body == 0)
		u->o.max_body = (size_t)4 << 20;
	if (u->o.idle_ms <= 0)
		u->o.idle_ms = 20000;
	snprintf(u->host, sizeof u->host, "%s", host);
	u->port = evhttp_uri_get_port(uri) > 0 ? evhttp_uri_get_port(uri) : 80;
	evhttp_uri_free(uri);
	snprintf(u->hostport, sizeof u->hostport, "%s:%d", u->host, u->port);
	u->prefix = strdup(u->o.prefix ? u->o.prefix : "");
	u->o.prefix = NULL;
	if (u->o.nheaders) {
		u->headers = calloc(u->o.nheaders, sizeof *u->headers);
		for (size_t i = 0; u->headers && i < u->o.nheaders; i++) {
			u->headers[i].name = strdup(u->o.headers[i].name);
			u->headers[i].value = strdup(u->o.headers[i].value);
			u->nheaders++;
			if (!u->headers[i].name || !u->headers[i].value)
				break;
		}
	}
	u->o.headers = NULL;
	u->kick = event_new(base, -1, 0, on_kick, u);
	u->reaper = event_new(base, -1, EV_PERSIST, on_reap, u);
	struct timeval reap = {REAP_S, 0};
	if (!u->prefix || (u->o.nheaders && (!u->headers || u->nheaders != u->o.nheaders ||
					     !u->headers[u->nheaders - 1].value)) ||
	    !u->kick || !u->reaper || event_add(u->reaper, &reap) != 0) {
		svc_upstream_free(u);
		svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
		return NULL;
	}
	return u;
}

void svc_upstream_free(struct svc_upstream *u)
{
	if (!u)
		return;
	while (u->qhead)
		svc_up_cancel(u->qhead);
	for (struct conn *c = u->conns; c; c = c->next)
		if (c->req)
			svc_up_cancel(c->req);
	while (u->conns) {
		struct conn *c = u->conns;
		u->conns = c->next;
		evhttp_connection_free(c->evcon);
		free(c);
	}
	if (u->kick)
		event_free(u->kick);
	if (u->reaper)
		event_free(u->reaper);
	svc_kv_free_all(u->headers, u->nheaders);
	free(u->prefix);
	free(u);
}

/* ---- the blocking form --------------------------------------------------- */

#define TL_UPSTREAMS 8

/* This thread's loop and its upstreams, by URL. */
struct tl {
	struct event_base *base;
	char url[TL_UPSTREAMS][256];
	struct svc_upstream *ups[TL_UPSTREAMS];
	size_t n;
};

static pthread_key_t tl_key;
static pthread_once_t tl_once = PTHREAD_ONCE_INIT;

static void tl_free(void *p)
{
	struct tl *t = p;
	for (size_t i = 0; i < t->n; i++)
		svc_upstream_free(t->ups[i]);
	if (t->base)
		event_base_free(t->base);
	free(t);
}

static void tl_init(void)
{
	pthread_key_create(&tl_key, tl_free);
}

static struct svc_upstream *tl_upstream(const char *url, struct svc_err *err)
{
	pthread_once(&tl_once, tl_init);
	struct tl *t = pthread_getspecific(tl_key);
	if (!t) {
		t = calloc(1, sizeof *t);
		if (t)
			t->base = svc_loop_new();
		if (!t || !t->base) {
			free(t);
			svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
			return NULL;
		}
		pthread_setspecific(tl_key, t);
	}
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->url[i], url) == 0)
			return t->ups[i];
	if (strlen(url) >= sizeof t->url[0]) {
		svc_err_set(err, SVC_EINVAL, NULL, "URL too long");
		return NULL;
	}
	/* A worker makes one call at a time: a couple of connections do. */
	struct svc_upstream_opts o = {.max_conns = 2, .max_queued = 4};
	struct svc_upstream *u = svc_upstream_new(t->base, url, &o, err);
	if (!u)
		return NULL;
	if (t->n == TL_UPSTREAMS) {
		/* Rarely more than a couple: drop the oldest. */
		svc_upstream_free(t->ups[0]);
		memmove(&t->ups[0], &t->ups[1], (TL_UPSTREAMS - 1) * sizeof t->ups[0]);
		memmove(&t->url[0], &t->url[1], (TL_UPSTREAMS - 1) * sizeof t->url[0]);
		t->n--;
	}
	snprintf(t->url[t->n], sizeof t->url[0], "%s", url);
	t->ups[t->n++] = u;
	return u;
}

struct call {
	bool done;
	enum svc_result r;
	struct svc_up_resp *out;
	struct svc_err *err;
};

static void call_done(void *arg, enum svc_result r, struct svc_up_resp *resp,
		      const struct svc_err *err)
{
	struct call *c = arg;
	c->done = true;
	c->r = r;
	if (r == SVC_OK) {
		*c->out = *resp;
		memset(resp, 0, sizeof *resp);
	} else if (c->err && err) {
		*c->err = *err;
	}
}

enum svc_result svc_upstream_call(const char *url, const char *method, const char *path,
				  const struct svc_kv *headers, size_t nheaders,
				  const void *body, size_t len, long timeout_ms,
				  size_t max_body, struct svc_up_resp *out, struct svc_err *err)
{
	memset(out, 0, sizeof *out);
	struct svc_upstream *u = tl_upstream(url, err);
	if (!u)
		return err ? err->code : SVC_ENOMEM;
	/* Notice what happened to idle connections since this thread's last
	 * call (a peer closing one) before picking one. */
	event_base_loop(u->base, EVLOOP_NONBLOCK);
	struct call c = {.out = out, .err = err};
	if (!fetch_ex(u, method, path, headers, nheaders, body, len, timeout_ms,
		      max_body ? max_body : SIZE_MAX / 2, call_done, &c, err))
		return err ? err->code : SVC_EUNAVAIL;
	while (!c.done)
		event_base_loop(u->base, EVLOOP_ONCE);
	return c.r;
}

char *svc_url_escape(const char *s)
{
	return evhttp_uriencode(s, -1, 0);
}
