/* Redis through hiredis, for what the Dapr state API cannot express (sorted
 * sets, counters with expiry, pub/sub fan-out). Keys carry the prefix
 * "todo:". A handle is one connection used by one thread at a time. */
#ifndef SVC_REDIS_H
#define SVC_REDIS_H

#include <stdbool.h>
#include <stddef.h>

#include <hiredis/hiredis.h>

#include "svc/result.h"

struct svc_redis;

/* Copies host; connects on first command. Free with svc_redis_free. */
struct svc_redis *svc_redis_new(const char *host, int port, long timeout_ms);
void svc_redis_free(struct svc_redis *r);
/* This thread's handle (one address per process), freed at thread exit. */
struct svc_redis *svc_redis_thread(const char *host, int port, long timeout_ms);

/* Runs one command (hiredis format). *out (may be NULL to discard) holds the
 * reply; caller frees with freeReplyObject. A Redis error reply is
 * SVC_EUPSTREAM; a broken connection SVC_EUNAVAIL (re-made next call). */
enum svc_result svc_redis_cmd(struct svc_redis *r, redisReply **out,
			      struct svc_err *err, const char *fmt, ...);
/* Same with an argument vector (binary-safe). */
enum svc_result svc_redis_argv(struct svc_redis *r, int argc, const char **argv,
			       redisReply **out, struct svc_err *err);

enum svc_result svc_redis_ping(struct svc_redis *r, struct svc_err *err);

struct svc_redis_addr {
	const char *host;
	int port;
};

/* A /readyz check: arg is a struct svc_redis_addr (borrowed for the
 * process's life); pings on this thread's own handle. */
enum svc_result svc_redis_ready_check(void *arg, struct svc_err *err);

/* ---- pub/sub ---------------------------------------------------------
 * A pattern subscriber with a connection and a thread of its own. When
 * Redis goes away it resubscribes, with a backoff from 100 ms doubling to
 * 5 s; while the connection is quiet it pings Redis to notice a peer that
 * vanished without closing. Messages published while it is not subscribed
 * are lost (Redis keeps none): on_up tells the owner, who may catch up
 * from a store of its own. */
struct svc_redis_sub;

/* A message published on channel. channel and payload (payload[len] is
 * NUL) are borrowed for the call. Runs on the subscriber's thread: it reads
 * nothing else meanwhile. */
typedef void (*svc_redis_msg_fn)(void *arg, const char *channel, const char *payload,
				 size_t len);
/* The subscription is in place: the first time (resumed false) and after
 * each break (resumed true). Runs on the subscriber's thread, before any
 * message of the new subscription; it may block, bounded. */
typedef void (*svc_redis_up_fn)(void *arg, bool resumed);

/* Starts subscribing to pattern (PSUBSCRIBE) on host:port. on_up may be
 * NULL. host and pattern are copied; arg is borrowed until
 * svc_redis_sub_stop. Returns NULL on OOM or when no thread can start. */
struct svc_redis_sub *svc_redis_sub_start(const char *host, int port, const char *pattern,
					  svc_redis_msg_fn on_msg, svc_redis_up_fn on_up,
					  void *arg);
/* True while subscribed. Any thread. */
bool svc_redis_sub_ready(struct svc_redis_sub *s);
/* A /readyz check; arg is the struct svc_redis_sub (NULL: not ready). */
enum svc_result svc_redis_sub_ready_check(void *arg, struct svc_err *err);
/* Stops the thread (after a callback that runs now returns) and frees s.
 * NULL is a no-op. */
void svc_redis_sub_stop(struct svc_redis_sub *s);

/* ---- asynchronous commands ----------------------------------------------
 * One connection on an event loop (hiredis's libevent adapter), commands
 * pipelined on it, each reply handed back on the loop thread, each command
 * bounded by a timeout. After a break it reconnects with a backoff from
 * 100 ms doubling to 5 s; meanwhile commands fail at once. Everything here
 * runs on the loop thread of the base it was made with. */
struct event_base;
struct svc_redis_async;

/* Connects to host:port (a numeric address) on base; timeout_ms bounds
 * each command. NULL on OOM. */
struct svc_redis_async *svc_redis_async_new(struct event_base *base, const char *host,
					    int port, long timeout_ms);
/* Closes the connection; callbacks still pending run now with
 * SVC_EUNAVAIL. NULL is a no-op. */
void svc_redis_async_free(struct svc_redis_async *a);

/* A command's end: r SVC_OK with reply (borrowed for the call; a Redis
 * error reply is SVC_EUPSTREAM with reply set), or SVC_EUNAVAIL /
 * SVC_ETIMEOUT with reply NULL and a message in err. */
typedef void (*svc_redis_reply_fn)(void *arg, enum svc_result r, const redisReply *reply,
				   const struct svc_err *err);

/* Sends a command (binary-safe argv). fn runs exactly once, later, on the
 * loop thread. Returns 0; or -1 with err set when it cannot be sent now
 * (no connection, OOM): fn does not run then. */
int svc_redis_async_argv(struct svc_redis_async *a, int argc, const char **argv,
			 const size_t *argvlen, svc_redis_reply_fn fn, void *arg,
			 struct svc_err *err);

/* True while connected. */
bool svc_redis_async_ready(const struct svc_redis_async *a);

#endif
