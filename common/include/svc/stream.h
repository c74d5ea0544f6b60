/* Streaming responses (Server-Sent Events): a response whose body goes on
 * after the handler returned, without holding a worker. Its owner sends
 * bytes from any thread; the loop thread writes them. The access log line
 * and the request metrics are written when the stream ends.
 *
 *     s = svc_stream_open(req, resp, "text/event-stream", on_end, me);
 *     if (!s) { svc_resp_errf(resp, SVC_EUNAVAIL, ...); return; }
 *     ...return from the handler; later, on any thread:
 *     svc_stream_send(s, "data: x\n\n", 9);
 *     svc_stream_close(s);      (once, also after on_end ran)
 *
 * A stream ends when its owner closes it, when the client goes away, when
 * the client falls more than SVC_STREAM_MAX_QUEUED bytes behind (or reads
 * nothing for the server's write timeout), or when the server stops
 * (svc_server_end_streams). The connection's read timeout does not apply
 * to a stream: the client sends nothing while it listens.
 *
 * Who touches what: the loop thread alone moves a stream through its life
 * (begin, write, end) and alone touches its request; other threads only
 * queue bytes and close, under the stream's lock. Any thread may send;
 * queueing is capped; close happens exactly once. */
#ifndef SVC_STREAM_H
#define SVC_STREAM_H

#include <stddef.h>

#include "svc/server.h"

struct svc_stream;

/* Bytes a stream may have waiting for a slow client (queued plus in the
 * connection's buffer) before the server ends it. */
#define SVC_STREAM_MAX_QUEUED ((size_t)1 << 20)

/* Called once, on the loop thread, when the server ends a stream that its
 * owner has not closed: the client went away, fell behind, or the server
 * is stopping. Never before the handler that opened the stream returned.
 * Must not block. The owner still calls svc_stream_close(s), here or
 * later; until then s stays valid (svc_stream_send answers -1). */
typedef void (*svc_stream_end_fn)(void *arg, struct svc_stream *s);

/* From a handler (a pool's or an INLINE one): makes the answer a stream.
 * When the handler returns, the server sends the status line (resp->status,
 * set to 200 here), the headers (resp's, the filter's included;
 * Content-Type content_type), then resp->body if the handler left one,
 * then whatever svc_stream_send queued, until the stream ends. on_end (may
 * be NULL) and arg are borrowed until svc_stream_close.
 * Returns the caller's handle, which it releases with svc_stream_close; or
 * NULL, leaving resp unchanged, when max_streams streams are open, the
 * server is stopping, or memory ran out: answer 503 then. */
struct svc_stream *svc_stream_open(struct svc_req *req, struct svc_resp *resp,
				   const char *content_type, svc_stream_end_fn on_end,
				   void *arg);
/* Queues a copy of data[0..len) for the client, from any thread; never
 * waits for the client. Returns 0, or -1 when the stream has ended or is
 * ending (closed, client gone, or this send would pass
 * SVC_STREAM_MAX_QUEUED: the server then ends it). */
int svc_stream_send(struct svc_stream *s, const void *data, size_t len);
/* Ends the stream once what was queued is written, and releases the
 * caller's handle: s is invalid after. From any thread, on_end included;
 * exactly once per svc_stream_open. */
void svc_stream_close(struct svc_stream *s);

/* On the loop thread: ends every open stream (each owner's on_end runs)
 * and refuses new ones. A stream whose handler still runs ends as soon as
 * that returns. Graceful shutdown calls it first, since streams never end
 * by themselves and would hold the drain for its whole grace. */
void svc_server_end_streams(struct svc_server *s);
/* Streams open now. */
size_t svc_server_streams(struct svc_server *s);

#endif
