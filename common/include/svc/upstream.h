/* An HTTP/1.1 client for upstreams (the sidecar, a peer service) on the
 * event loop: libevent's evhttp client with a keep-alive connection pool
 * per upstream, so a call holds no thread. Plain http only (the sidecar
 * and peers are on loopback or the pod's network); outside HTTPS services
 * use httpc.h.
 *
 * Who touches what: an upstream belongs to the loop thread of the base it
 * was made with; every function here but svc_upstream_call runs on that
 * thread, and every hook runs there. svc_upstream_call is the blocking
 * form for worker threads: it runs the same client on a loop of the
 * calling thread's own (one per thread, with its own connections), so
 * workers share nothing.
 *
 * The pool: at most max_conns connections, each carrying one request at a
 * time (no pipelining); a request that finds them all busy waits in a
 * bounded queue (max_queued), and past that is refused at once
 * (SVC_EUNAVAIL): a burst waits, but never without bound. Connections idle
 * longer than idle_ms are closed. A request that fails because a reused
 * connection turned out closed by the peer, before any answer came, is
 * sent once more on a fresh connection (as curl does). */
#ifndef SVC_UPSTREAM_H
#define SVC_UPSTREAM_H

#include <stddef.h>

#include "svc/result.h"
#include "svc/router.h"

struct event_base;
struct evbuffer;
struct evkeyvalq;
struct svc_upstream;
struct svc_up_req;

struct svc_upstream_opts {
	int max_conns;      /* connections at most (default 64) */
	size_t max_queued;  /* requests waiting for a connection (default 1024) */
	long timeout_ms;    /* each request: the longest silence while it
			       connects, sends or reads (default 10000) */
	size_t max_body;    /* the longest answer body (default 4 MiB) */
	long idle_ms;       /* idle connections close after (default 20000) */
	const char *prefix; /* prepended to every path ("" by default); copied */
	const struct svc_kv *headers; /* sent with every request; copied */
	size_t nheaders;
};

/* An upstream at url ("http://host:port", a numeric host or a name in
 * /etc/hosts; no path), on base. NULL with err set on a bad url or OOM. */
struct svc_upstream *svc_upstream_new(struct event_base *base, const char *url,
				      const struct svc_upstream_opts *o, struct svc_err *err);
/* Cancels whatever is queued or in flight (no hook runs for it) and frees.
 * NULL is a no-op. */
void svc_upstream_free(struct svc_upstream *u);

/* What a streamed request reports, on the loop thread. */
struct svc_up_hooks {
	/* The status line and headers arrived (borrowed for the call).
	 * Return 0 to go on; -1 stops the request (done does not run). */
	int (*head)(void *arg, int status, const struct evkeyvalq *headers);
	/* Body bytes: move them out of data (e.g. evbuffer_add_buffer). */
	void (*data)(void *arg, struct evbuffer *data);
	/* The end: SVC_OK once the whole answer came; otherwise why it
	 * failed (SVC_EUNAVAIL: no connection or the upstream busy;
	 * SVC_ETIMEOUT; SVC_EUPSTREAM: a broken or too large answer), with a
	 * message in err, whether or not head ran. Exactly once per request,
	 * unless it was cancelled or head stopped it. */
	void (*done)(void *arg, enum svc_result r, const struct svc_err *err);
};

/* One request. path starts with '/' and may hold a query; it is sent
 * after the upstream's prefix, as it is (the caller encodes). headers (may
 * be NULL) and body (len bytes, may be NULL) are copied. hooks is
 * borrowed until the request ends; arg is handed to every hook. Returns
 * the request's handle, valid until done ran or svc_up_cancel; or NULL
 * with err set (nothing runs then) when the queue is full (SVC_EUNAVAIL)
 * or memory ran out. */
struct svc_up_req *svc_upstream_start(struct svc_upstream *u, const char *method,
				      const char *path, const struct svc_kv *headers,
				      size_t nheaders, const void *body, size_t len,
				      const struct svc_up_hooks *hooks, void *arg,
				      struct svc_err *err);
/* Stops a request that has not ended; no hook runs for it after. */
void svc_up_cancel(struct svc_up_req *r);

/* A whole answer, buffered. */
struct svc_up_resp {
	long status;
	char *body; /* NUL-terminated (may be NULL); free with svc_up_resp_cleanup */
	size_t body_len;
	char content_type[128];
	char etag[128];
	char retry_after[32];
};
void svc_up_resp_cleanup(struct svc_up_resp *r);

/* The buffered form: done runs once with the whole answer (resp is the
 * callee's: move what you keep, e.g. take body and set it NULL), or with
 * a failure (resp NULL). As svc_upstream_start otherwise. */
typedef void (*svc_up_done_fn)(void *arg, enum svc_result r, struct svc_up_resp *resp,
			       const struct svc_err *err);
struct svc_up_req *svc_upstream_fetch(struct svc_upstream *u, const char *method,
				      const char *path, const struct svc_kv *headers,
				      size_t nheaders, const void *body, size_t len,
				      svc_up_done_fn done, void *arg, struct svc_err *err);

/* The blocking form, for worker threads: the same request to url (as for
 * svc_upstream_new) + path, on this thread's own loop and connections,
 * waiting at most timeout_ms in all, with an answer body of at most
 * max_body bytes. Any HTTP status is SVC_OK with *out filled (free with
 * svc_up_resp_cleanup); failures as in svc_up_hooks.done, *out zeroed. */
enum svc_result svc_upstream_call(const char *url, const char *method, const char *path,
				  const struct svc_kv *headers, size_t nheaders,
				  const void *body, size_t len, long timeout_ms,
				  size_t max_body, struct svc_up_resp *out, struct svc_err *err);

/* Percent-encodes s for a URL path segment or query value (RFC 3986
 * unreserved characters stay). Caller frees with free(); NULL on OOM. */
char *svc_url_escape(const char *s);

#endif
