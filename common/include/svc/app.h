/* Service defaults: what every service gets the same way. The event loop,
 * the HTTP server (server.h) with /healthz, /readyz and /metrics, the
 * worker pools (pool.h), the sidecar's settings (dapr.h), start and stop
 * hooks, and graceful shutdown on SIGTERM/SIGINT. Subscriptions and
 * bindings are pubsub.h's, tokens auth.h's.
 *
 * Common environment (each service's README lists it too):
 *   HOST (127.0.0.1), PORT (required), LOG_LEVEL (info), HTTP_WORKERS (4),
 *   HTTP_QUEUE_MAX (256), MAX_BODY_BYTES (65536), HTTP_MAX_STREAMS (512),
 *   DAPR_HTTP_ENDPOINT (http://127.0.0.1:3500), DAPR_TIMEOUT_MS (5000),
 *   DAPR_API_TOKEN, APP_API_TOKEN, PUBSUB_NAME (pubsub), SECRET_STORE
 *   (secretstore), SHUTDOWN_GRACE_MS (10000).
 *
 * Every service binary run with --print-routes prints its routes, one
 * "METHOD /pattern" line each, and exits 0 from svc_app_run without
 * listening (svc_app reads its own command line, so main needs no code for
 * it). What main does before svc_app_run (config checks, migrations) still
 * happens, so it needs the service's usual environment. */
#ifndef SVC_APP_H
#define SVC_APP_H

#include <stdbool.h>

#include "svc/config.h"
#include "svc/dapr.h"
#include "svc/loop.h"
#include "svc/pool.h"
#include "svc/server.h"
#include "svc/stream.h"

struct event_base;
struct svc_app;

/* Reads the common environment into cfg (problems are recorded there, see
 * svc_config_check). Returns NULL on OOM. ctx is handed to every handler. */
struct svc_app *svc_app_new(const char *name, struct svc_config *cfg, void *ctx);
/* Frees the app after svc_app_run returned (or instead of it): the server,
 * the pools, the loop. NULL is a no-op. */
void svc_app_free(struct svc_app *app);

const char *svc_app_name(const struct svc_app *app);
/* The loop every INLINE and ASYNC handler runs on. */
struct event_base *svc_app_base(const struct svc_app *app);
/* The sidecar's settings (DAPR_HTTP_ENDPOINT, DAPR_TIMEOUT_MS,
 * DAPR_API_TOKEN); borrowed for the app's life. */
const struct svc_dapr *svc_app_dapr(const struct svc_app *app);
const char *svc_app_pubsub(const struct svc_app *app);
const char *svc_app_secret_store(const struct svc_app *app);
/* APP_API_TOKEN: what the sidecar sends as dapr-api-token ("" for none). */
const char *svc_app_sidecar_token(const struct svc_app *app);
/* True when the binary only prints its routes (--print-routes): start no
 * background work that could act (deliveries, relays). */
bool svc_app_print_only(const struct svc_app *app);

/* Routes, as svc_server_route, on the app's default pool ("http",
 * HTTP_WORKERS threads, HTTP_QUEUE_MAX waiting). May be called before
 * svc_app_run only. */
int svc_app_route(struct svc_app *app, const char *method, const char *pattern,
		  svc_handler fn, void *arg, int flags);
/* The same on a pool of the service's own (svc_app_pool). */
int svc_app_route_on(struct svc_app *app, struct svc_pool *pool, const char *method,
		     const char *pattern, svc_handler fn, void *arg, int flags);
/* A pool of the service's own, started and stopped with the app (blocking
 * or CPU-heavy work that must not wait behind the default pool's, or hold
 * it up). Owned by the app. NULL on OOM. */
struct svc_pool *svc_app_pool(struct svc_app *app, const char *name, int threads,
			      size_t max_queued);

/* The service's filter before its handlers, as svc_server_set_filter. */
void svc_app_filter(struct svc_app *app, svc_filter_fn fn, void *arg);

/* A dependency /readyz checks; runs on the app's probe pool (a thread of
 * its own, so readiness never waits behind requests), must be bounded. */
typedef enum svc_result (*svc_ready_fn)(void *arg, struct svc_err *err);
void svc_app_ready_check(struct svc_app *app, const char *name, svc_ready_fn fn,
			 void *arg);

/* Hooks: on_start runs once the server listens, before the loop starts
 * (not with --print-routes); on_stop after the loop stopped and the pools
 * drained, in the reverse order of registration. At most 8 of each. */
typedef void (*svc_app_hook)(void *arg);
int svc_app_on_start(struct svc_app *app, svc_app_hook fn, void *arg);
int svc_app_on_stop(struct svc_app *app, svc_app_hook fn, void *arg);

/* Binds, serves until SIGTERM/SIGINT, drains in-flight requests (bounded
 * by SHUTDOWN_GRACE_MS), stops the pools, runs the stop hooks, and returns
 * the process exit code. */
int svc_app_run(struct svc_app *app);

#endif
