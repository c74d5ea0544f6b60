/* bench-proxy-ref: the reference for the gateway's proxy path. A bare
 * libevent server on one thread that passes every request to one upstream
 * over a pool of kept-alive evhttp connections and relays the answer
 * (status, Content-Type, ETag, body): what libevent's HTTP server and
 * client alone cost for the same proxying, with no token check, rate
 * limit, routing, logging or metrics.
 *
 *   bench-proxy-ref <upstream host> <upstream port> [connections]
 *
 * Listens on 127.0.0.1 on a free port with TCP_NODELAY (as the services
 * do), prints {"port": N} on stdout once ready, and exits when its stdin
 * closes. Passes Authorization
 * and Content-Type on. A request that finds every connection busy waits
 * for one, in arrival order. */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

struct conn {
	struct evhttp_connection *evcon;
	int busy;
};

struct call {
	struct evhttp_request *client;
	struct conn *conn;
	struct call *next; /* waiting for a connection */
};

static struct event_base *base;
static const char *host;
static int port;
static struct conn *conns;
static int nconns;
static struct call *wait_head, *wait_tail;

static void start(struct call *c);

static void take_next(struct conn *cn)
{
	cn->busy = 0;
	if (!wait_head)
		return;
	struct call *c = wait_head;
	wait_head = c->next;
	if (!wait_head)
		wait_tail = NULL;
	start(c);
}

static void on_answer(struct evhttp_request *up, void *arg)
{
	struct call *c = arg;
	struct conn *cn = c->conn;
	int code = up ? evhttp_request_get_response_code(up) : 0;
	if (code == 0) {
		evhttp_send_error(c->client, 502, NULL);
	} else {
		struct evkeyvalq *in = evhttp_request_get_input_headers(up);
		struct evkeyvalq *out = evhttp_request_get_output_headers(c->client);
		const char *ct = evhttp_find_header(in, "Content-Type");
		const char *etag = evhttp_find_header(in, "ETag");
		if (ct)
			evhttp_add_header(out, "Content-Type", ct);
		if (etag)
			evhttp_add_header(out, "ETag", etag);
		evhttp_send_reply(c->client, code, NULL, evhttp_request_get_input_buffer(up));
	}
	free(c);
	take_next(cn);
}

static void start(struct call *c)
{
	struct conn *cn = NULL;
	for (int i = 0; i < nconns && !cn; i++)
		if (!conns[i].busy)
			cn = &conns[i];
	if (!cn) {
		c->next = NULL;
		if (wait_tail)
			wait_tail->next = c;
		else
			wait_head = c;
		wait_tail = c;
		return;
	}
	cn->busy = 1;
	c->conn = cn;
	struct evhttp_request *up = evhttp_request_new(on_answer, c);
	struct evkeyvalq *in = evhttp_request_get_input_headers(c->client);
	struct evkeyvalq *out = evhttp_request_get_output_headers(up);
	char hostport[300];
	snprintf(hostport, sizeof hostport, "%s:%d", host, port);
	evhttp_add_header(out, "Host", hostport);
	const char *v;
	if ((v = evhttp_find_header(in, "Authorization")))
		evhttp_add_header(out, "Authorization", v);
	if ((v = evhttp_find_header(in, "Content-Type")))
		evhttp_add_header(out, "Content-Type", v);
	struct evbuffer *body = evhttp_request_get_input_buffer(c->client);
	size_t len = evbuffer_get_length(body);
	enum evhttp_cmd_type type = evhttp_request_get_command(c->client);
	if (len || type == EVHTTP_REQ_POST) {
		char n[24];
		snprintf(n, sizeof n, "%zu", len);
		evhttp_add_header(out, "Content-Length", n);
		evbuffer_add_buffer(evhttp_request_get_output_buffer(up), body);
	}
	evhttp_make_request(cn->evcon, up, type, evhttp_request_get_uri(c->client));
}

/* The bench closes our stdin when it is done with us. */
static void on_stdin(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	(void)arg;
	char b[64];
	if (read(fd, b, sizeof b) <= 0)
		event_base_loopbreak(base);
}

static void on_request(struct evhttp_request *req, void *arg)
{
	(void)arg;
	struct call *c = calloc(1, sizeof *c);
	if (!c) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	c->client = req;
	start(c);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench-proxy-ref <upstream host> <upstream port> [connections]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	host = argv[1];
	port = atoi(argv[2]);
	nconns = argc > 3 ? atoi(argv[3]) : 64;
	base = event_base_new();
	conns = calloc((size_t)nconns, sizeof *conns);
	for (int i = 0; i < nconns; i++)
		conns[i].evcon = evhttp_connection_base_new(base, NULL, host, (ev_uint16_t)port);
	struct evhttp *http = evhttp_new(base);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PATCH |
				   EVHTTP_REQ_DELETE | EVHTTP_REQ_PUT);
	evhttp_set_gencb(http, on_request, NULL);
	struct evhttp_bound_socket *s = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	if (!s) {
		fprintf(stderr, "bench-proxy-ref: cannot listen\n");
		return 1;
	}
	int one = 1;
	setsockopt(evhttp_bound_socket_get_fd(s), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	getsockname(evhttp_bound_socket_get_fd(s), (struct sockaddr *)&sin, &len);
	printf("{\"port\": %d}\n", ntohs(sin.sin_port));
	fflush(stdout);
	struct event *in = event_new(base, 0, EV_READ | EV_PERSIST, on_stdin, NULL);
	event_add(in, NULL);
	event_base_dispatch(base);
	return 0;
}
