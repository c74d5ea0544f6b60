/* Service defaults: what every service gets the same way. The event loop,
 * the HTTP server with /healthz, /readyz and /metrics, Dapr subscriptions
 * (GET /dapr/subscribe + delivery routes) and input bindings, the JWT key
 * from the Dapr secret store, and graceful shutdown on SIGTERM/SIGINT.
 *
 * Common environment (each service's README lists it too):
 *   HOST (127.0.0.1), PORT (required), LOG_LEVEL (info), HTTP_WORKERS (4),
 *   MAX_BODY_BYTES (65536), DAPR_HTTP_ENDPOINT (http://127.0.0.1:3500),
 *   DAPR_TIMEOUT_MS (5000), DAPR_API_TOKEN, PUBSUB_NAME (pubsub),
 *   SECRET_STORE (secretstore), JWT_SECRET_NAME (jwt-signing-key),
 *   SHUTDOWN_GRACE_MS (10000).
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
#include "svc/event.h"
#include "svc/http.h"
#include "svc/jwt.h"

struct svc_app;

/* Reads the common environment into cfg (problems are recorded there, see
 * svc_config_check). Returns NULL on OOM. ctx is handed to every handler. */
struct svc_app *svc_app_new(const char *name, struct svc_config *cfg, void *ctx);
void svc_app_free(struct svc_app *app);

const char *svc_app_name(const struct svc_app *app);
const struct svc_dapr *svc_app_dapr(const struct svc_app *app);
const char *svc_app_pubsub(const struct svc_app *app);
/* True when the binary only prints its routes (--print-routes): start no
 * background work that could act (deliveries, relays). */
bool svc_app_print_only(const struct svc_app *app);

/* Routes, as svc_http_route. May be called before svc_app_run only. */
int svc_app_route(struct svc_app *app, const char *method, const char *pattern,
		  svc_handler fn, void *arg, int flags);

/* The service's filter before routing, as svc_http_set_filter. */
void svc_app_filter(struct svc_app *app, svc_filter_fn fn, void *arg);

/* A dependency /readyz checks; runs on a worker thread, must be bounded. */
typedef enum svc_result (*svc_ready_fn)(void *arg, struct svc_err *err);
void svc_app_ready_check(struct svc_app *app, const char *name, svc_ready_fn fn,
			 void *arg);

enum svc_delivery { SVC_DELIVERY_SUCCESS, SVC_DELIVERY_RETRY, SVC_DELIVERY_DROP };

/* Handles one delivered event, on a worker thread. Must be idempotent on
 * ev->id. request_id is for logging. */
typedef enum svc_delivery (*svc_event_fn)(void *arg, const struct svc_event *ev,
					  const char *request_id);

/* Subscribes to topic on the app's pubsub with dead-letter topic
 * "<topic>.dlq", delivered to POST /events/<topic>. */
int svc_app_subscribe(struct svc_app *app, const char *topic, svc_event_fn fn,
		      void *arg);

/* An input binding (e.g. cron) named name: Dapr POSTs to /<name>. */
typedef enum svc_result (*svc_binding_fn)(void *arg, const struct svc_req *req,
					  struct svc_err *err);
int svc_app_binding(struct svc_app *app, const char *name, svc_binding_fn fn,
		    void *arg);

/* Asks for the JWT signing key from the secret store in the background;
 * /readyz waits for it. */
void svc_app_use_jwt(struct svc_app *app);
/* Verifies "Authorization: Bearer <jwt>" of typ want_typ ("access" or
 * "service"; NULL accepts either). SVC_EAUTH with a reason otherwise;
 * SVC_EUNAVAIL while the key has not been loaded. */
enum svc_result svc_app_auth(struct svc_app *app, const struct svc_req *req,
			     const char *want_typ, struct svc_claims *out,
			     struct svc_err *err);
/* For handlers: verifies the access token as svc_app_auth into *who; on
 * failure answers resp with the error and returns false. */
bool svc_app_authed(struct svc_app *app, const struct svc_req *req, struct svc_resp *resp,
		    struct svc_claims *who);
/* The same for a token found elsewhere (NULL or empty: SVC_EAUTH). */
enum svc_result svc_app_auth_token(struct svc_app *app, const char *token,
				   const char *want_typ, struct svc_claims *out,
				   struct svc_err *err);
/* Signs a token with the loaded key; *out caller frees with free(). */
enum svc_result svc_app_sign(struct svc_app *app, const struct svc_claims *c,
			     char **out, struct svc_err *err);

/* Binds, serves until SIGTERM/SIGINT, drains in-flight requests (bounded
 * by SHUTDOWN_GRACE_MS), and returns the process exit code. */
int svc_app_run(struct svc_app *app);

#endif
