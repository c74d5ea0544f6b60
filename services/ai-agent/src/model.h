/* The model's transport: OpenAI-compatible Chat Completions over HTTPS
 * (libcurl, common's blocking client), for the turn's state machine. The
 * base URL and model are settings; the API key comes from the Dapr secret
 * store (a secret name is the setting, never the key), is held only here,
 * goes out only as the Authorization header to the base URL, and is never
 * logged or echoed: errors name the provider's status, never its body.
 *
 * Who touches what: the key is loaded once (by the readiness probe or the
 * first turn, whichever comes first) under the model's lock; transports
 * are used by any number of chat workers at once, each with its own curl
 * handle. */
#ifndef AGT_MODEL_H
#define AGT_MODEL_H

#include "svc/dapr.h"
#include "turn.h"

struct agt_model;

/* A model at base_url (e.g. https://api.openai.com/v1; the request goes to
 * base_url + "/chat/completions"). secret_name: the secret holding the key
 * in store (key and secret named alike, as the local file store has them),
 * or NULL/"" for a provider that needs no key (a local Ollama). d is
 * borrowed for the model's life. NULL on OOM. */
struct agt_model *agt_model_new(const char *base_url, const struct svc_dapr *d,
				 const char *store, const char *secret_name);
void agt_model_free(struct agt_model *m);

/* A /readyz check (arg: the model): loads the key when it is not loaded
 * yet. SVC_OK once it is (or none is needed). */
enum svc_result agt_model_ready(void *arg, struct svc_err *err);

/* The transport for agt_turn_run; m borrowed. */
struct agt_transport agt_model_transport(struct agt_model *m);

#endif
