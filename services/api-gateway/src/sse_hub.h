/* The gateway's live notification fan-out: one Redis subscription per
 * process (PSUBSCRIBE todo:notify:*) feeding every open stream of the user
 * a message names, so any replica serves any user. It also sends the
 * heartbeats, ends a stream when its token expires, replays missed
 * notifications from notifier, and, after the subscription broke and came
 * back, catches each open stream up from notifier.
 *
 * A stream's life: gw_hub_join (live messages wait in the client from
 * here), gw_hub_replay (what the client missed), svc_stream_open with
 * gw_hub_stream_ended, then gw_hub_attach (the waiting messages go out,
 * then live ones), each id once and in increasing order. */
#ifndef GW_SSE_HUB_H
#define GW_SSE_HUB_H

#include <stdbool.h>
#include <time.h>

#include "svc/dapr.h"
#include "svc/stream.h"
#include "svc/util.h"

struct gw_hub;
struct gw_sse_client;

struct gw_hub_opts {
	const char *redis_host;
	int redis_port;
	const struct svc_peer *notifier; /* where notifications are read */
	long timeout_ms;                 /* each call to notifier */
	long heartbeat_ms;
};

/* Starts the subscriber and the heartbeat threads. Copies nothing: o's
 * strings are borrowed for the hub's life. NULL on OOM or when a thread
 * cannot start. */
struct gw_hub *gw_hub_new(const struct gw_hub_opts *o);
/* Stops both threads: no more live messages or heartbeats. Streams stay
 * until the server ends them. */
void gw_hub_stop(struct gw_hub *h);
/* Frees the hub after gw_hub_stop, once the HTTP server (and with it
 * every stream) is gone. NULL is a no-op. */
void gw_hub_free(struct gw_hub *h);

/* A /readyz check (arg: the hub): the Redis subscription is in place. */
enum svc_result gw_hub_ready_check(void *arg, struct svc_err *err);

/* Registers a client of user's notifications; token (copied) is what it
 * authenticated with and expires at exp: the stream ends then, and
 * catching up uses it. Live messages wait in the client until
 * gw_hub_attach. NULL on OOM. */
struct gw_sse_client *gw_hub_join(struct gw_hub *h, const char *user, const char *token,
				  time_t exp);

/* Fetches from notifier the user's notifications after *last (token
 * authenticates the call) and appends their frames to b, oldest first,
 * advancing *last. Stops early, with *more set, once b holds a good part
 * of a stream's buffer: the client should resume from *last later.
 * Blocks, each call bounded by the hub's timeout. request_id is logged and
 * passed on. Failures are SVC_EAUTH (token refused), SVC_EUPSTREAM,
 * SVC_EUNAVAIL or SVC_ETIMEOUT with a message in err. */
enum svc_result gw_hub_replay(struct gw_hub *h, const char *token, long long *last,
			      struct svc_buf *b, bool *more, const char *request_id,
			      struct svc_err *err);

/* The id of the user's newest stored notification (0: none) into *top:
 * where a stream that starts from now stands. Same calls and failures as
 * gw_hub_replay. */
enum svc_result gw_hub_latest(struct gw_hub *h, const char *token, long long *top,
			      const char *request_id, struct svc_err *err);

/* Hands the client its stream: the live messages that waited go out (those
 * above last), then every new one. last is the highest id the stream has
 * sent already (-1 for none). floor is, for a stream that starts from now,
 * gw_hub_latest's id from after gw_hub_join (-1: unknown): its position
 * once the waiting messages went out, so that after a break in the Redis
 * subscription it is caught up from there (a stream with no position
 * cannot be). Returns 0; or -1 when messages were lost while waiting (too
 * many): the client is left unattached, so the caller leaves and ends the
 * stream, and the client resumes. */
int gw_hub_attach(struct gw_sse_client *c, struct svc_stream *s, long long last,
		  long long floor);
/* Unregisters and frees a client that was never attached. */
void gw_hub_leave(struct gw_sse_client *c);

/* The svc_stream_end_fn of attached clients (arg: the client). */
void gw_hub_stream_ended(void *arg, struct svc_stream *s);

#endif
