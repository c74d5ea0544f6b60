/* Streaming responses end to end on 127.0.0.1, through raw sockets: bytes
 * sent after the handler returned, the owner's close, the client going
 * away, a client too slow to read, the cap on open streams, the server
 * ending them all, and that a stream holds no worker. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <event2/event.h>
#include <event2/thread.h>

#include "svc/pool.h"
#include "svc/server.h"
#include "svc/stream.h"

#define SLOTS 8

/* What a test owns of one stream: the handle, and whether the server
 * ended it (set by on_end on the loop thread). */
struct slot {
	_Atomic(struct svc_stream *) s;
	atomic_int ended;
};

static struct slot slots[SLOTS];

struct server {
	struct event_base *base;
	struct svc_server *http;
	struct svc_pool *pool;
	pthread_t loop;
	int port;
};

static void on_end(void *arg, struct svc_stream *s)
{
	struct slot *sl = arg;
	(void)s;
	atomic_store(&sl->ended, 1);
}

/* GET /stream?slot=N: opens a stream that starts with "hello\n". */
static void h_stream(struct svc_req *req, struct svc_resp *resp)
{
	const char *q = svc_req_query(req, "slot");
	int n = q ? atoi(q) : -1;
	if (n < 0 || n >= SLOTS) {
		svc_resp_errf(resp, SVC_EINVAL, "slot", "bad slot");
		return;
	}
	struct slot *sl = &slots[n];
	atomic_store(&sl->ended, 0);
	struct svc_stream *s = svc_stream_open(req, resp, "text/event-stream", on_end, sl);
	if (!s) {
		svc_resp_errf(resp, SVC_EUNAVAIL, NULL, "too many streams");
		return;
	}
	svc_resp_header(resp, "Cache-Control", "no-store");
	char *body = strdup("hello\n");
	svc_resp_raw(resp, 200, "text/event-stream", body, body ? 6 : 0);
	atomic_store(&sl->s, s);
}

static void h_plain(struct svc_req *req, struct svc_resp *resp)
{
	(void)req;
	char *body = strdup("plain");
	svc_resp_raw(resp, 200, "text/plain", body, body ? 5 : 0);
}

static void *run_loop(void *arg)
{
	event_base_dispatch(arg);
	return NULL;
}

static int setup(void **state)
{
	static struct server s;
	evthread_use_pthreads();
	s.base = event_base_new();
	/* One worker: a stream that held it would starve every other request. */
	struct svc_server_opts o = {.host = "127.0.0.1", .port = 0, .max_body = 4096,
				  .max_streams = 3};
	s.pool = svc_pool_new(s.base, "test", 1, 64);
	assert_non_null(s.pool);
	assert_int_equal(svc_pool_start(s.pool), 0);
	s.http = svc_server_new(s.base, &o, s.pool);
	assert_non_null(s.http);
	assert_int_equal(svc_server_route(s.http, "GET", "/stream", h_stream, NULL, 0, NULL), 0);
	assert_int_equal(svc_server_route(s.http, "GET", "/plain", h_plain, NULL, 0, NULL), 0);
	assert_int_equal(svc_server_listen(s.http), 0);
	s.port = svc_server_port(s.http);
	assert_int_equal(pthread_create(&s.loop, NULL, run_loop, s.base), 0);
	*state = &s;
	return 0;
}

static int teardown(void **state)
{
	struct server *s = *state;
	event_base_loopbreak(s->base);
	pthread_join(s->loop, NULL);
	svc_pool_stop(s->pool);
	svc_server_free(s->http);
	svc_pool_free(s->pool);
	event_base_free(s->base);
	return 0;
}

/* A connection that sent GET path; rcvbuf > 0 shrinks its receive buffer. */
static int dial(const struct server *s, const char *path, int rcvbuf)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port)};
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	char req[256];
	int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: test\r\n\r\n", path);
	assert_int_equal(write(fd, req, (size_t)n), n);
	return fd;
}

/* What one connection received so far. */
struct inbox {
	char data[16384];
	size_t len;
	bool eof;
};

/* Reads into in until it holds needle, the peer closes, or 5 s pass.
 * Returns whether needle arrived. */
static bool read_until(int fd, struct inbox *in, const char *needle)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!strstr(in->data, needle) && !in->eof) {
		struct timespec t;
		clock_gettime(CLOCK_MONOTONIC, &t);
		long left = 5000 - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			break;
		ssize_t n = read(fd, in->data + in->len, sizeof in->data - 1 - in->len);
		if (n <= 0) {
			in->eof = true;
			break;
		}
		in->len += (size_t)n;
		in->data[in->len] = '\0';
	}
	return strstr(in->data, needle) != NULL;
}

/* Waits up to 5 s for *flag. */
static bool wait_flag(atomic_int *flag)
{
	for (int i = 0; i < 500 && !atomic_load(flag); i++)
		usleep(10 * 1000);
	return atomic_load(flag) != 0;
}

static struct svc_stream *wait_stream(struct slot *sl)
{
	for (int i = 0; i < 500 && !atomic_load(&sl->s); i++)
		usleep(10 * 1000);
	struct svc_stream *s = atomic_exchange(&sl->s, NULL);
	assert_non_null(s);
	return s;
}

/* Opens the stream of slot n on a new connection, reads its first bytes,
 * and returns its handle; *fd is the connection. */
static struct svc_stream *open_stream(const struct server *srv, int n, int rcvbuf, int *fd,
				      struct inbox *in)
{
	char path[32];
	snprintf(path, sizeof path, "/stream?slot=%d", n);
	*fd = dial(srv, path, rcvbuf);
	memset(in, 0, sizeof *in);
	assert_true(read_until(*fd, in, "hello\n"));
	return wait_stream(&slots[n]);
}

static size_t open_streams(const struct server *s)
{
	for (int i = 0; i < 500; i++) {
		size_t n = svc_server_streams(s->http);
		if (n == 0)
			return 0;
		usleep(10 * 1000);
	}
	return svc_server_streams(s->http);
}

static void bytes_sent_later_reach_the_client_until_the_owner_closes(void **state)
{
	const struct server *srv = *state;
	int fd;
	struct inbox in;
	struct svc_stream *s = open_stream(srv, 0, 0, &fd, &in);
	assert_non_null(strstr(in.data, "HTTP/1.1 200"));
	assert_non_null(strcasestr(in.data, "Content-Type: text/event-stream\r\n"));
	assert_non_null(strcasestr(in.data, "Transfer-Encoding: chunked\r\n"));
	assert_non_null(strcasestr(in.data, "Cache-Control: no-store\r\n"));
	assert_non_null(strcasestr(in.data, "X-Request-Id: "));
	assert_int_equal(svc_server_streams(srv->http), 1);

	assert_int_equal(svc_stream_send(s, "one\n", 4), 0);
	assert_int_equal(svc_stream_send(s, "two\n", 4), 0);
	assert_true(read_until(fd, &in, "two\n"));
	assert_true(strstr(in.data, "one\n") < strstr(in.data, "two\n"));

	svc_stream_close(s);
	assert_true(read_until(fd, &in, "\r\n0\r\n\r\n"));
	assert_int_equal(open_streams(srv), 0);
	assert_int_equal(atomic_load(&slots[0].ended), 0); /* the owner closed it */

	/* The connection serves its next request as usual. */
	const char next[] = "GET /plain HTTP/1.1\r\nHost: test\r\n\r\n";
	assert_int_equal(write(fd, next, sizeof next - 1), (ssize_t)(sizeof next - 1));
	assert_true(read_until(fd, &in, "plain"));
	close(fd);
}

static void a_stream_holds_no_worker(void **state)
{
	const struct server *srv = *state;
	int fd;
	struct inbox in;
	struct svc_stream *s = open_stream(srv, 1, 0, &fd, &in);

	/* The only worker is free for other requests. */
	for (int i = 0; i < 3; i++) {
		int other = dial(srv, "/plain", 0);
		struct inbox o = {0};
		assert_true(read_until(other, &o, "plain"));
		close(other);
	}
	assert_int_equal(svc_stream_send(s, "still here\n", 11), 0);
	assert_true(read_until(fd, &in, "still here\n"));
	svc_stream_close(s);
	close(fd);
	assert_int_equal(open_streams(srv), 0);
}

static void the_owner_hears_when_the_client_goes_away(void **state)
{
	const struct server *srv = *state;
	int fd;
	struct inbox in;
	struct svc_stream *s = open_stream(srv, 2, 0, &fd, &in);
	close(fd);
	assert_true(wait_flag(&slots[2].ended));
	assert_int_equal(svc_stream_send(s, "late\n", 5), -1);
	svc_stream_close(s); /* still the owner's to release */
	assert_int_equal(open_streams(srv), 0);
}

static void a_client_too_slow_to_read_is_ended(void **state)
{
	const struct server *srv = *state;
	int fd;
	struct inbox in;
	struct svc_stream *s = open_stream(srv, 3, 4096, &fd, &in);
	static char chunk[65536];
	memset(chunk, 'x', sizeof chunk);
	/* The kernel's buffers take some megabytes; the stream's own cap then
	 * ends it. */
	int refused = 0;
	for (int i = 0; i < 4000 && !refused; i++) {
		if (svc_stream_send(s, chunk, sizeof chunk) != 0)
			refused = 1;
		else
			usleep(500);
	}
	assert_true(refused);
	assert_true(wait_flag(&slots[3].ended));
	svc_stream_close(s);
	close(fd);
	assert_int_equal(open_streams(srv), 0);
}

static void streams_past_the_cap_get_503(void **state)
{
	const struct server *srv = *state;
	int fds[3];
	struct svc_stream *ss[3];
	for (int i = 0; i < 3; i++) {
		struct inbox in;
		ss[i] = open_stream(srv, 4 + i, 0, &fds[i], &in);
	}
	int fd = dial(srv, "/stream?slot=7", 0);
	struct inbox in = {0};
	assert_true(read_until(fd, &in, "too many streams"));
	assert_non_null(strstr(in.data, "HTTP/1.1 503"));
	close(fd);
	for (int i = 0; i < 3; i++) {
		svc_stream_close(ss[i]);
		close(fds[i]);
	}
	assert_int_equal(open_streams(srv), 0);
}

static void end_all(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	svc_server_end_streams(arg);
}

/* Last: the server refuses streams from here on. */
static void stopping_ends_every_stream_and_refuses_new_ones(void **state)
{
	const struct server *srv = *state;
	int fd;
	struct inbox in;
	struct svc_stream *s = open_stream(srv, 0, 0, &fd, &in);
	assert_int_equal(svc_stream_send(s, "bye\n", 4), 0);
	struct timeval now = {0, 0};
	assert_int_equal(event_base_once(srv->base, -1, EV_TIMEOUT, end_all, srv->http, &now), 0);
	assert_true(read_until(fd, &in, "\r\n0\r\n\r\n"));
	assert_non_null(strstr(in.data, "bye\n")); /* what was queued went out first */
	assert_true(wait_flag(&slots[0].ended));
	svc_stream_close(s);
	close(fd);

	fd = dial(srv, "/stream?slot=1", 0);
	struct inbox again = {0};
	assert_true(read_until(fd, &again, "too many streams"));
	assert_non_null(strstr(again.data, "HTTP/1.1 503"));
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bytes_sent_later_reach_the_client_until_the_owner_closes),
		cmocka_unit_test(a_stream_holds_no_worker),
		cmocka_unit_test(the_owner_hears_when_the_client_goes_away),
		cmocka_unit_test(a_client_too_slow_to_read_is_ended),
		cmocka_unit_test(streams_past_the_cap_get_503),
		cmocka_unit_test(stopping_ends_every_stream_and_refuses_new_ones),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
