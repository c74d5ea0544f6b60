/* The one Dapr client: every call from an app to its sidecar (publish,
 * state, secrets, bindings, readiness) and every service invocation goes
 * through here, so that `dapr-api-token` (DAPR_API_TOKEN) is sent on each
 * and no sidecar URL is built anywhere else.
 *
 * Two forms share it: blocking calls for worker threads (svc_upstream_call:
 * the calling thread's own loop and connections, each call bounded by the
 * client's timeout), and, for invocation, an asynchronous upstream on the
 * app's loop (svc_peer_upstream) for a path that must not hold a thread.
 *
 * A peer (the app to invoke) is reached through the sidecar by its app id,
 * or straight at a base URL when one is set: a setting, so a hot path can
 * be pointed at the peer and the two measured. The token goes to the
 * sidecar only, never to a peer. */
#ifndef SVC_DAPR_H
#define SVC_DAPR_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "svc/result.h"
#include "svc/router.h"
#include "svc/upstream.h"

struct event_base;

struct svc_dapr {
	char base[256];      /* the sidecar's URL, http://host:port */
	long timeout_ms;     /* each blocking call */
	char api_token[257]; /* sent as dapr-api-token when set */
};

/* Fills d. base must be an http://host:port URL; api_token may be NULL or
 * empty. SVC_EINVAL with a message otherwise. */
enum svc_result svc_dapr_init(struct svc_dapr *d, const char *base, long timeout_ms,
			      const char *api_token, struct svc_err *err);

/* ---- service invocation -------------------------------------------------- */

struct svc_peer {
	const struct svc_dapr *dapr; /* borrowed */
	char app_id[64];
	char direct[256]; /* a base URL straight at the app; "" through the sidecar */
};

/* A peer by app_id, through d's sidecar unless direct_url (may be NULL or
 * empty) is set. d is borrowed for the peer's life. SVC_EINVAL when the
 * app id or URL is not usable. */
enum svc_result svc_peer_init(struct svc_peer *p, const struct svc_dapr *d, const char *app_id,
			      const char *direct_url, struct svc_err *err);

/* Invokes path (starting with '/', query included, already encoded) on
 * the peer with method, headers and body, blocking for at most timeout_ms
 * (0: the client's). Any HTTP status is SVC_OK with *out filled (free with
 * svc_up_resp_cleanup); see svc_dapr_answer for what it means. */
enum svc_result svc_dapr_invoke(const struct svc_peer *p, const char *method,
				const char *path, const struct svc_kv *headers,
				size_t nheaders, const char *body, size_t len, long timeout_ms,
				struct svc_up_resp *out, struct svc_err *err);

/* An upstream on base for asynchronous calls to the peer: paths given to
 * svc_upstream_start/fetch are the peer's own (the sidecar's invoke prefix
 * and token are added here). o may be NULL for the defaults; its prefix
 * and headers are ignored. Free with svc_upstream_free. */
struct svc_upstream *svc_peer_upstream(const struct svc_peer *p, struct event_base *base,
				       const struct svc_upstream_opts *o, struct svc_err *err);

/* What a peer's answer means to the caller, the one mapping for every
 * invocation: 2xx is SVC_OK; otherwise the code its status stands for
 * (400 EINVAL, 401 EAUTH, 403 EFORBIDDEN, 404 ENOTFOUND, 409 ECONFLICT,
 * 412 EPRECOND, 413 ETOOBIG, 415 EMEDIA, 422 EUNPROCESSABLE, 429 ELIMIT,
 * 503 EUNAVAIL, 504 ETIMEOUT, any other EUPSTREAM), with the peer's own
 * message and field when it answered our error shape. An error in any
 * other shape is the sidecar's own (the peer is down, or the sidecar
 * refused a token or a policy): SVC_EUPSTREAM, its words in the message
 * (for the log, not for a client). */
enum svc_result svc_dapr_answer(long status, const char *body, size_t len, const char *what,
				struct svc_err *err);

/* ---- building blocks (blocking) ------------------------------------------ */

/* Publishes a CloudEvent we built ourselves (JSON text, so its id
 * survives) with Content-Type application/cloudevents+json. partition_key
 * (may be NULL) keeps one entity's events in order on one Kafka partition.
 * Counts events_out_total{topic,result}. */
enum svc_result svc_dapr_publish(const struct svc_dapr *d, const char *pubsub,
				 const char *topic, const char *cloudevent, size_t len,
				 const char *partition_key, struct svc_err *err);

/* Gets a key. Missing: SVC_ENOTFOUND. *value (caller frees with free())
 * holds the stored JSON, as the sidecar encodes it again (object members
 * may come back in another order); etag (may be NULL) receives the ETag. */
enum svc_result svc_dapr_state_get(const struct svc_dapr *d, const char *store,
				   const char *key, char **value, char etag[128],
				   struct svc_err *err);
/* Saves value (JSON text). With etag non-NULL the write is first-write-wins:
 * SVC_ECONFLICT when the stored ETag differs. With state.redis (the suite's
 * store, which numbers versions from 1) the etag "0" writes only when the
 * key does not exist yet (SVC_ECONFLICT otherwise). A key once written with
 * an etag refuses later writes without one (the sidecar answers 500,
 * SVC_EUNAVAIL): keep writing it with etags. */
enum svc_result svc_dapr_state_save(const struct svc_dapr *d, const char *store,
				    const char *key, const char *value,
				    const char *etag, struct svc_err *err);
/* As svc_dapr_state_save; ttl_s > 0 makes the store drop the key after that
 * many seconds (metadata ttlInSeconds). */
enum svc_result svc_dapr_state_save_ttl(const struct svc_dapr *d, const char *store,
					const char *key, const char *value,
					const char *etag, long ttl_s, struct svc_err *err);
/* Deletes key; with etag non-NULL only while the stored ETag is etag
 * (SVC_ECONFLICT otherwise). A missing key is not an error. */
enum svc_result svc_dapr_state_delete(const struct svc_dapr *d, const char *store,
				      const char *key, const char *etag,
				      struct svc_err *err);
/* operations: a JSON array of {"operation":"upsert"|"delete","request":{...}}.
 * Borrowed. An ETag that does not match fails the call (SVC_EUNAVAIL: the
 * sidecar answers 500), and state.redis does not roll back: the operations
 * before and after the failing one are applied. Use ETags in a transaction
 * only where that is acceptable. */
enum svc_result svc_dapr_state_transaction(const struct svc_dapr *d,
					   const char *store,
					   const cJSON *operations,
					   struct svc_err *err);

/* Reads one secret's value (key within the secret). Caller frees *value. */
enum svc_result svc_dapr_secret(const struct svc_dapr *d, const char *store,
				const char *name, const char *key, char **value,
				struct svc_err *err);

/* Invokes an output binding with data (borrowed; may be NULL) and metadata
 * (borrowed; may be NULL). *out as for svc_dapr_invoke. */
enum svc_result svc_dapr_binding(const struct svc_dapr *d, const char *name,
				 const char *operation, const cJSON *data,
				 const cJSON *metadata, struct svc_up_resp *out,
				 struct svc_err *err);

/* True when the sidecar has loaded its components and its own outbound
 * dependencies answer (/v1.0/healthz/outbound). */
bool svc_dapr_ready(const struct svc_dapr *d);

#endif
