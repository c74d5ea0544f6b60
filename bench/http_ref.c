/* bench-http-ref: the reference for HTTP throughput and memory, measured in
 * the same run as the services. A bare libevent HTTP server: one thread,
 * one event loop, evhttp answering every GET /<i> with the bytes of FILE i
 * (from 0) as application/json, read once at start. No routing table, no
 * worker threads, no JSON, no auth, no database: what libevent's HTTP alone
 * costs on this machine, for the same answer bytes as the service.
 *
 *   bench-http-ref [--nodelay] FILE...
 *
 * --nodelay sets TCP_NODELAY on the listening socket (accepted ones inherit
 * it). Without it the server keeps libevent's defaults, as the services do:
 * a bufferevent writes at most 16 KiB at a time, so a larger answer leaves
 * a short last segment that Nagle's algorithm holds until the client's
 * delayed ACK (about 40 ms on Linux).
 *
 * Listens on 127.0.0.1 on a port the kernel picks and prints it as one
 * JSON line, {"port": N}. Exits 0 when its stdin closes (so it never
 * outlives the bench that started it), or on SIGTERM or SIGINT. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#define MAX_FILES 16
#define MAX_BODY (4 * 1024 * 1024)

struct body {
	char *data;
	size_t len;
};

static struct body bodies[MAX_FILES];
static size_t nbodies;

/* Reads path whole into *out (caller frees out->data). Returns 0, or -1
 * with a message on stderr. */
static int read_file(const char *path, struct body *out)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "bench-http-ref: %s: %s\n", path, strerror(errno));
		return -1;
	}
	char *buf = malloc(MAX_BODY);
	size_t n = buf ? fread(buf, 1, MAX_BODY, f) : 0;
	int failed = !buf || ferror(f) || !feof(f);
	fclose(f);
	if (failed) {
		fprintf(stderr, "bench-http-ref: %s: unreadable or over %d bytes\n", path, MAX_BODY);
		free(buf);
		return -1;
	}
	/* Keep only what was read: the rest was never touched, but no need to
	 * hold the address space either. */
	char *fit = realloc(buf, n ? n : 1);
	out->data = fit ? fit : buf;
	out->len = n;
	return 0;
}

static void on_request(struct evhttp_request *req, void *arg)
{
	(void)arg;
	const char *uri = evhttp_request_get_uri(req);
	char *end = NULL;
	unsigned long i = uri[0] == '/' ? strtoul(uri + 1, &end, 10) : 0;
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET || !end || end == uri + 1 ||
	    *end || i >= nbodies) {
		evhttp_send_error(req, HTTP_NOTFOUND, NULL);
		return;
	}
	struct evbuffer *out = evbuffer_new();
	if (!out || evbuffer_add(out, bodies[i].data, bodies[i].len) != 0) {
		evbuffer_free(out);
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "application/json");
	evhttp_send_reply(req, HTTP_OK, "OK", out);
	evbuffer_free(out);
}

/* stdin readable: EOF (or an error) means the bench is done with us. */
static void on_stdin(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	char buf[256];
	ssize_t n = read(fd, buf, sizeof buf);
	if (n <= 0 && !(n < 0 && errno == EINTR))
		event_base_loopbreak(arg);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopbreak(arg);
}

int main(int argc, char **argv)
{
	int rc = 1;
	struct event_base *base = NULL;
	struct evhttp *http = NULL;
	struct event *in = NULL, *term = NULL, *intr = NULL;
	int first = 1, nodelay = argc > 1 && strcmp(argv[1], "--nodelay") == 0;
	if (nodelay)
		first++;
	if (argc - first < 1 || argc - first > MAX_FILES) {
		fprintf(stderr, "usage: bench-http-ref [--nodelay] FILE... (at most %d)\n",
			MAX_FILES);
		return 2;
	}
	for (int i = first; i < argc; i++)
		if (read_file(argv[i], &bodies[nbodies++]) != 0)
			goto done;
	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	http = base ? evhttp_new(base) : NULL;
	if (!http) {
		fprintf(stderr, "bench-http-ref: out of memory\n");
		goto done;
	}
	evhttp_set_gencb(http, on_request, NULL);
	struct evhttp_bound_socket *sock = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	struct sockaddr_in addr;
	socklen_t len = sizeof addr;
	int fd = sock ? evhttp_bound_socket_get_fd(sock) : -1;
	if (fd < 0 || getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
		fprintf(stderr, "bench-http-ref: cannot listen on 127.0.0.1\n");
		goto done;
	}
	if (nodelay && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof nodelay) != 0) {
		fprintf(stderr, "bench-http-ref: TCP_NODELAY: %s\n", strerror(errno));
		goto done;
	}
	in = event_new(base, STDIN_FILENO, EV_READ | EV_PERSIST, on_stdin, base);
	term = evsignal_new(base, SIGTERM, on_signal, base);
	intr = evsignal_new(base, SIGINT, on_signal, base);
	if (!in || !term || !intr || event_add(in, NULL) || event_add(term, NULL) ||
	    event_add(intr, NULL)) {
		fprintf(stderr, "bench-http-ref: cannot set up events\n");
		goto done;
	}
	printf("{\"port\": %d}\n", ntohs(addr.sin_port));
	fflush(stdout);
	rc = event_base_dispatch(base) < 0 ? 1 : 0;
done:
	if (in)
		event_free(in);
	if (term)
		event_free(term);
	if (intr)
		event_free(intr);
	if (http)
		evhttp_free(http);
	if (base)
		event_base_free(base);
	for (size_t i = 0; i < nbodies; i++)
		free(bodies[i].data);
	return rc;
}
