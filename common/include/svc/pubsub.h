/* Dapr pub/sub and input bindings on the app side: programmatic
 * subscriptions (GET /dapr/subscribe), the delivery routes
 * (POST /events/<topic>) with each topic's dead-letter topic, binding
 * routes (POST /<name>), and the check that those routes take calls from
 * the app's own sidecar only (APP_API_TOKEN). Handlers run on the app's
 * default pool. */
#ifndef SVC_PUBSUB_H
#define SVC_PUBSUB_H

#include <stdbool.h>

#include "svc/event.h"
#include "svc/result.h"
#include "svc/server.h"

struct svc_app;
struct svc_pubsub;

enum svc_delivery { SVC_DELIVERY_SUCCESS, SVC_DELIVERY_RETRY, SVC_DELIVERY_DROP };

/* Handles one delivered event, on a worker thread. Must be idempotent on
 * ev->id. request_id is for logging. */
typedef enum svc_delivery (*svc_event_fn)(void *arg, const struct svc_event *ev,
					  const char *request_id);

/* An input binding's trigger (e.g. cron), on a worker thread. */
typedef enum svc_result (*svc_binding_fn)(void *arg, const struct svc_req *req,
					  struct svc_err *err);

/* Registers GET /dapr/subscribe on app (before svc_app_run). Borrows app;
 * free with svc_pubsub_free after the app stopped. NULL on OOM. */
struct svc_pubsub *svc_pubsub_new(struct svc_app *app);
void svc_pubsub_free(struct svc_pubsub *ps);

/* Subscribes to topic on the app's pubsub with dead-letter topic
 * "<topic>.dlq", delivered to POST /events/<topic>. Returns 0 or -1. */
int svc_pubsub_subscribe(struct svc_pubsub *ps, const char *topic, svc_event_fn fn,
			 void *arg);

/* An input binding named name: Dapr POSTs to /<name>. Returns 0 or -1. */
int svc_pubsub_binding(struct svc_pubsub *ps, const char *name, svc_binding_fn fn,
		       void *arg);

/* Event and binding routes act on the word of whoever calls them, so with
 * APP_API_TOKEN set they take calls only with the dapr-api-token the
 * sidecar sends. True when req carries it (or no token is set); otherwise
 * answers 401 in resp and returns false. */
bool svc_pubsub_from_sidecar(const struct svc_app *app, const struct svc_req *req,
			     struct svc_resp *resp);

#endif
