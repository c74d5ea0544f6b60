/* The upstream client end to end on 127.0.0.1, against a small evhttp
 * server of the test's own on another thread: answers, kept-alive
 * connections, one stalled request that holds nothing else up, the bounded
 * queue, cancel, timeouts, a refused connection, answers too large, and the
 * blocking form from a worker thread. */
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>

#include "loop_thread.h"
#include "svc/upstream.h"

#define MAX_STALLED 64

/* ---- the peer ------------------------------------------------------------ */

struct peer {
	struct event_base *base;
	struct evhttp *http;
	pthread_t thread;
	int port;
	void *seen[64];       /* distinct connections that brought a request */
	atomic_int nseen;
	atomic_int stalled;   /* /stall requests held now */
	struct evhttp_request *held[MAX_STALLED];
	int nheld;
	struct event *release;
};

static void reply(struct evhttp_request *req, int status, const char *body)
{
	struct evbuffer *b = evbuffer_new();
	evbuffer_add(b, body, strlen(body));
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain");
	evhttp_send_reply(req, status, NULL, b);
	evbuffer_free(b);
}

static void on_req(struct evhttp_request *req, void *arg)
{
	struct peer *p = arg;
	const char *uri = evhttp_request_get_uri(req);
	void *c = evhttp_request_get_connection(req);
	int seen = atomic_load(&p->nseen), k = 0;
	while (k < seen && p->seen[k] != c)
		k++;
	if (k == seen && seen < 64) {
		p->seen[seen] = c;
		atomic_store(&p->nseen, seen + 1);
	}
	if (strcmp(uri, "/stall") == 0 && p->nheld < MAX_STALLED) {
		p->held[p->nheld++] = req;
		atomic_fetch_add(&p->stalled, 1);
		return;
	}
	if (strncmp(uri, "/echo", 5) == 0) {
		/* The method, a header and the body back. */
		char out[512];
		const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "X-Test");
		struct evbuffer *in = evhttp_request_get_input_buffer(req);
		size_t n = evbuffer_get_length(in);
		char body[128] = "";
		evbuffer_remove(in, body, n < sizeof body - 1 ? n : sizeof body - 1);
		snprintf(out, sizeof out, "%d %s %s %s", (int)evhttp_request_get_command(req),
			 uri, h ? h : "-", body);
		reply(req, 200, out);
		return;
	}
	if (strcmp(uri, "/big") == 0) {
		static char big[100000];
		memset(big, 'x', sizeof big - 1);
		reply(req, 200, big);
		return;
	}
	if (strcmp(uri, "/oops") == 0) {
		reply(req, 503, "upstream down");
		return;
	}
	reply(req, 200, "ok");
}

/* Answers every held request (on the peer's thread). */
static void on_release(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct peer *p = arg;
	for (int i = 0; i < p->nheld; i++) {
		reply(p->held[i], 200, "late");
	}
	p->nheld = 0;
	atomic_store(&p->stalled, 0);
}

static void on_conn(struct evhttp_request *req, void *arg)
{
	on_req(req, arg);
}

static void *peer_loop(void *arg)
{
	struct peer *p = arg;
	event_base_dispatch(p->base);
	return NULL;
}

/* ---- the client side: a loop thread of its own --------------------------- */

static struct peer peer;
static struct loop_thread cli;

/* Runs fn(arg) on the client's loop thread and waits for it. */
static void on_client(void (*fn)(void *), void *arg)
{
	loop_thread_run(&cli, fn, arg);
}

static char url[64];

static int setup(void **state)
{
	(void)state;
	/* A peer that closed a connection we write to: an error, not death. */
	signal(SIGPIPE, SIG_IGN);
	evthread_use_pthreads();
	peer.base = event_base_new();
	peer.http = evhttp_new(peer.base);
	evhttp_set_gencb(peer.http, on_conn, &peer);
	evhttp_set_allowed_methods(peer.http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
				   EVHTTP_REQ_PATCH | EVHTTP_REQ_DELETE | EVHTTP_REQ_PUT);
	struct evhttp_bound_socket *s = evhttp_bind_socket_with_handle(peer.http, "127.0.0.1", 0);
	assert_non_null(s);
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	getsockname(evhttp_bound_socket_get_fd(s), (struct sockaddr *)&sin, &len);
	peer.port = ntohs(sin.sin_port);
	peer.release = event_new(peer.base, -1, 0, on_release, &peer);
	assert_int_equal(pthread_create(&peer.thread, NULL, peer_loop, &peer), 0);
	snprintf(url, sizeof url, "http://127.0.0.1:%d", peer.port);

	assert_int_equal(loop_thread_start(&cli), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	event_active(peer.release, EV_READ, 0);
	usleep(50000);
	loop_thread_stop(&cli);
	event_base_free(cli.base);
	event_base_loopbreak(peer.base);
	pthread_join(peer.thread, NULL);
	event_free(peer.release);
	evhttp_free(peer.http);
	event_base_free(peer.base);
	return 0;
}

/* ---- requests ------------------------------------------------------------ */

struct result {
	atomic_int done;
	enum svc_result r;
	long status;
	char body[256];
	size_t body_len;
};

static void fetched(void *arg, enum svc_result r, struct svc_up_resp *resp,
		    const struct svc_err *err)
{
	(void)err;
	struct result *res = arg;
	res->r = r;
	if (resp) {
		res->status = resp->status;
		res->body_len = resp->body_len;
		snprintf(res->body, sizeof res->body, "%s", resp->body ? resp->body : "");
	}
	atomic_store(&res->done, 1);
}

struct fetch_args {
	struct svc_upstream *u;
	const char *method, *path;
	const struct svc_kv *headers;
	size_t nheaders;
	const char *body;
	struct result *res;
	struct svc_up_req *req;
	struct svc_err err;
};

static void do_fetch(void *arg)
{
	struct fetch_args *a = arg;
	a->req = svc_upstream_fetch(a->u, a->method, a->path, a->headers, a->nheaders, a->body,
				    a->body ? strlen(a->body) : 0, fetched, a->res, &a->err);
}

static struct svc_up_req *fetch(struct svc_upstream *u, const char *method, const char *path,
				struct result *res, struct svc_err *err)
{
	struct fetch_args a = {u, method, path, NULL, 0, NULL, res, NULL, {0}};
	on_client(do_fetch, &a);
	if (err)
		*err = a.err;
	return a.req;
}

static void wait_done(struct result *r)
{
	for (int i = 0; i < 1000 && !atomic_load(&r->done); i++)
		usleep(5000);
	assert_true(atomic_load(&r->done));
}

struct make_args {
	const char *url;
	struct svc_upstream_opts o;
	struct svc_upstream *u;
};

static void do_make(void *arg)
{
	struct make_args *m = arg;
	struct svc_err err;
	m->u = svc_upstream_new(cli.base, m->url, &m->o, &err);
}

static void do_free(void *arg)
{
	svc_upstream_free(arg);
}

static struct svc_upstream *make(const struct svc_upstream_opts *o)
{
	struct make_args m = {url, *o, NULL};
	on_client(do_make, &m);
	assert_non_null(m.u);
	return m.u;
}

static void answers_and_keeps_connections(void **state)
{
	(void)state;
	struct svc_upstream_opts o = {.max_conns = 4};
	struct svc_upstream *u = make(&o);
	int before = atomic_load(&peer.nseen);
	for (int i = 0; i < 20; i++) {
		struct result r = {0};
		assert_non_null(fetch(u, "GET", "/hello", &r, NULL));
		wait_done(&r);
		assert_int_equal(r.r, SVC_OK);
		assert_int_equal(r.status, 200);
		assert_string_equal(r.body, "ok");
	}
	/* One after the other, they all took the same kept-alive connection. */
	assert_int_equal(atomic_load(&peer.nseen) - before, 1);
	/* A method, a header and a body reach the peer. */
	static const struct svc_kv h[] = {{"X-Test", "yes"}};
	struct result r = {0};
	struct fetch_args a = {u, "PATCH", "/echo?a=1", h, 1, "{\"x\":1}", &r, NULL, {0}};
	on_client(do_fetch, &a);
	wait_done(&r);
	assert_int_equal(r.status, 200);
	char want[128];
	snprintf(want, sizeof want, "%d /echo?a=1 yes {\"x\":1}", (int)EVHTTP_REQ_PATCH);
	assert_string_equal(r.body, want);
	on_client(do_free, u);
}

static void a_stalled_request_holds_nothing_up(void **state)
{
	(void)state;
	struct svc_upstream_opts o = {.max_conns = 8, .timeout_ms = 30000};
	struct svc_upstream *u = make(&o);
	struct result stalled = {0};
	assert_non_null(fetch(u, "GET", "/stall", &stalled, NULL));
	for (int i = 0; i < 200 && atomic_load(&peer.stalled) == 0; i++)
		usleep(5000);
	assert_int_equal(atomic_load(&peer.stalled), 1);
	/* 200 other requests come and go while it waits. */
	for (int i = 0; i < 200; i++) {
		struct result r = {0};
		fetch(u, "GET", "/fast", &r, NULL);
		wait_done(&r);
		assert_int_equal(r.status, 200);
	}
	assert_false(atomic_load(&stalled.done));
	event_active(peer.release, EV_READ, 0);
	wait_done(&stalled);
	assert_int_equal(stalled.r, SVC_OK);
	assert_string_equal(stalled.body, "late");
	on_client(do_free, u);
}

static void the_queue_is_bounded(void **state)
{
	(void)state;
	struct svc_upstream_opts o = {.max_conns = 2, .max_queued = 3, .timeout_ms = 30000};
	struct svc_upstream *u = make(&o);
	struct result r[6] = {{0}};
	for (int i = 0; i < 5; i++)
		assert_non_null(fetch(u, "GET", "/stall", &r[i], NULL));
	struct svc_err err = {0};
	assert_null(fetch(u, "GET", "/stall", &r[5], &err));
	assert_int_equal(err.code, SVC_EUNAVAIL);
	/* The queued ones go out as the first ones end. */
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 400 && atomic_load(&peer.stalled) == 0; i++)
			usleep(5000);
		event_active(peer.release, EV_READ, 0);
		usleep(50000);
	}
	for (int i = 0; i < 5; i++) {
		wait_done(&r[i]);
		assert_int_equal(r[i].r, SVC_OK);
	}
	on_client(do_free, u);
}

static void do_cancel(void *arg)
{
	svc_up_cancel(arg);
}

static void cancel_stops_a_request(void **state)
{
	(void)state;
	struct svc_upstream_opts o = {.timeout_ms = 30000};
	struct svc_upstream *u = make(&o);
	struct result r = {0};
	struct svc_up_req *req = fetch(u, "GET", "/stall", &r, NULL);
	for (int i = 0; i < 200 && atomic_load(&peer.stalled) == 0; i++)
		usleep(5000);
	int before = atomic_load(&peer.nseen);
	on_client(do_cancel, req);
	usleep(50000);
	assert_false(atomic_load(&r.done)); /* nothing is reported */
	/* The pool goes on, on a new connection: the cancelled one was
	 * closed, not kept for a request that never got its answer. */
	struct result r2 = {0};
	fetch(u, "GET", "/again", &r2, NULL);
	wait_done(&r2);
	assert_int_equal(r2.status, 200);
	assert_int_equal(atomic_load(&peer.nseen), before + 1);
	event_active(peer.release, EV_READ, 0);
	on_client(do_free, u);
}

static void failures_have_their_codes(void **state)
{
	(void)state;
	/* Silence past the timeout. */
	struct svc_upstream_opts o = {.timeout_ms = 200};
	struct svc_upstream *u = make(&o);
	struct result r = {0};
	fetch(u, "GET", "/stall", &r, NULL);
	wait_done(&r);
	assert_int_equal(r.r, SVC_ETIMEOUT);
	event_active(peer.release, EV_READ, 0);
	/* An answer over the limit. */
	on_client(do_free, u);
	struct svc_upstream_opts small = {.max_body = 1000};
	u = make(&small);
	struct result big = {0};
	fetch(u, "GET", "/big", &big, NULL);
	wait_done(&big);
	assert_int_equal(big.r, SVC_EUPSTREAM);
	/* Any status is an answer. */
	struct result oops = {0};
	fetch(u, "GET", "/oops", &oops, NULL);
	wait_done(&oops);
	assert_int_equal(oops.r, SVC_OK);
	assert_int_equal(oops.status, 503);
	on_client(do_free, u);
	/* Nobody listening. */
	struct make_args m = {"http://127.0.0.1:1", {0}, NULL};
	on_client(do_make, &m);
	struct result refused = {0};
	fetch(m.u, "GET", "/", &refused, NULL);
	wait_done(&refused);
	assert_int_equal(refused.r, SVC_EUNAVAIL);
	on_client(do_free, m.u);
}

static void bad_urls_are_refused(void **state)
{
	(void)state;
	const char *bad[] = {"https://127.0.0.1:1", "127.0.0.1:80", "http://", "http://h:1/x",
			     "http://h:1?q"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct svc_err err = {0};
		assert_null(svc_upstream_new(cli.base, bad[i], NULL, &err));
		assert_int_equal(err.code, SVC_EINVAL);
	}
}

static void *blocking_worker(void *arg)
{
	struct result *r = arg;
	for (int i = 0; i < 5; i++) {
		struct svc_up_resp resp;
		struct svc_err err = {0};
		r->r = svc_upstream_call(url, "POST", "/echo", NULL, 0, "hi", 2, 2000, 0, &resp, &err);
		r->status = resp.status;
		snprintf(r->body, sizeof r->body, "%s", resp.body ? resp.body : "");
		svc_up_resp_cleanup(&resp);
	}
	struct svc_up_resp resp;
	struct svc_err err = {0};
	/* The whole call is bounded too. */
	enum svc_result t = svc_upstream_call(url, "GET", "/stall", NULL, 0, NULL, 0, 300, 0,
					      &resp, &err);
	r->body_len = t == SVC_ETIMEOUT;
	return NULL;
}

static void the_blocking_form_works_from_a_worker(void **state)
{
	(void)state;
	struct result r = {0};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, blocking_worker, &r), 0);
	pthread_join(t, NULL);
	assert_int_equal(r.r, SVC_OK);
	assert_int_equal(r.status, 200);
	char want[64];
	snprintf(want, sizeof want, "%d /echo - hi", (int)EVHTTP_REQ_POST);
	assert_string_equal(r.body, want);
	assert_int_equal(r.body_len, 1);
	event_active(peer.release, EV_READ, 0);
}

static void url_escape_keeps_unreserved(void **state)
{
	(void)state;
	char *e = svc_url_escape("a-b_c.d~e f&g=h/i\r\n");
	assert_string_equal(e, "a-b_c.d~e%20f%26g%3Dh%2Fi%0D%0A");
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(answers_and_keeps_connections),
		cmocka_unit_test(a_stalled_request_holds_nothing_up),
		cmocka_unit_test(the_queue_is_bounded),
		cmocka_unit_test(cancel_stops_a_request),
		cmocka_unit_test(failures_have_their_codes),
		cmocka_unit_test(bad_urls_are_refused),
		cmocka_unit_test(the_blocking_form_works_from_a_worker),
		cmocka_unit_test(url_escape_keeps_unreserved),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
