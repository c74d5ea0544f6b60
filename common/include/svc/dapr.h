/* The Dapr sidecar's HTTP API, for worker threads (blocking, with a
 * timeout). base is the sidecar's URL, e.g. http://127.0.0.1:3500. */
#ifndef SVC_DAPR_H
#define SVC_DAPR_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "svc/httpc.h"
#include "svc/result.h"

struct svc_dapr {
	char base[256];
	long timeout_ms;
	char api_token[256]; /* sent as dapr-api-token when set */
};

void svc_dapr_init(struct svc_dapr *d, const char *base, long timeout_ms,
		   const char *api_token);

/* Publishes a CloudEvent we built ourselves (JSON text, so its id
 * survives) with Content-Type application/cloudevents+json. partition_key
 * (may be NULL) keeps one entity's events in order on one Kafka partition. */
enum svc_result svc_dapr_publish(const struct svc_dapr *d, const char *pubsub,
				 const char *topic, const char *cloudevent, size_t len,
				 const char *partition_key, struct svc_err *err);

/* Invokes app_id's method (path starts with '/') through the sidecar.
 * headers as for svc_httpc_request. out is filled for any HTTP status. */
enum svc_result svc_dapr_invoke(const struct svc_dapr *d, const char *app_id,
				const char *method, const char *path,
				const char *const *headers, const char *body,
				size_t body_len, struct svc_httpc_resp *out,
				struct svc_err *err);

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
 * (borrowed; may be NULL). */
enum svc_result svc_dapr_binding(const struct svc_dapr *d, const char *name,
				 const char *operation, const cJSON *data,
				 const cJSON *metadata, struct svc_httpc_resp *out,
				 struct svc_err *err);

/* True when the sidecar has loaded its components. */
bool svc_dapr_ready(const struct svc_dapr *d);

#endif
