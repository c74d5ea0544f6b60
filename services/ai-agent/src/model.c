#include "model.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "llm.h"
#include "svc/httpc.h"
#include "svc/log.h"

/* The longest answer read from a provider. */
#define MAX_ANSWER ((size_t)4 << 20)

struct agt_model {
	char url[512];
	const struct svc_dapr *dapr;
	char store[128];
	char secret[128];
	pthread_mutex_t lock; /* header */
	char *header;         /* "Authorization: Bearer <key>", once loaded */
	bool loaded;
};

struct agt_model *agt_model_new(const char *base_url, const struct svc_dapr *d,
				 const char *store, const char *secret_name)
{
	struct agt_model *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	size_t n = strlen(base_url);
	while (n && base_url[n - 1] == '/')
		n--;
	snprintf(m->url, sizeof m->url, "%.*s/chat/completions", (int)n, base_url);
	m->dapr = d;
	snprintf(m->store, sizeof m->store, "%s", store);
	snprintf(m->secret, sizeof m->secret, "%s", secret_name ? secret_name : "");
	m->loaded = m->secret[0] == '\0';
	pthread_mutex_init(&m->lock, NULL);
	return m;
}

void agt_model_free(struct agt_model *m)
{
	if (!m)
		return;
	if (m->header) {
		sodium_memzero(m->header, strlen(m->header));
		free(m->header);
	}
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/* Loads the key once; under m->lock. */
static enum svc_result load(struct agt_model *m, struct svc_err *err)
{
	if (m->loaded)
		return SVC_OK;
	char *key = NULL;
	enum svc_result r = svc_dapr_secret(m->dapr, m->store, m->secret, m->secret, &key, err);
	if (r != SVC_OK)
		return r;
	size_t n = strlen(key);
	while (n && (key[n - 1] == '\n' || key[n - 1] == '\r' || key[n - 1] == ' '))
		n--;
	size_t len = n + 32;
	m->header = malloc(len);
	if (m->header)
		snprintf(m->header, len, "Authorization: Bearer %.*s", (int)n, key);
	sodium_memzero(key, strlen(key));
	free(key);
	if (!m->header)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	m->loaded = true;
	svc_info(NULL, "loaded the model's API key from secret %s", m->secret);
	return SVC_OK;
}

enum svc_result agt_model_ready(void *arg, struct svc_err *err)
{
	struct agt_model *m = arg;
	pthread_mutex_lock(&m->lock);
	enum svc_result r = load(m, err);
	pthread_mutex_unlock(&m->lock);
	return r;
}

static enum svc_result post(void *ctx, const char *body, size_t len, long timeout_ms,
			    struct agt_http_answer *ans)
{
	struct agt_model *m = ctx;
	struct svc_err err = {0};
	pthread_mutex_lock(&m->lock);
	enum svc_result r = load(m, &err);
	/* The header is written once, before loaded turns true, and never
	 * again while the model lives: reading it unlocked after is safe. */
	const char *auth = m->header;
	pthread_mutex_unlock(&m->lock);
	if (r != SVC_OK) {
		svc_warn(NULL, "the model's API key cannot be read: %s", err.message);
		ans->status = 0;
		ans->error = SVC_EUNAVAIL;
		return r == SVC_ENOMEM ? SVC_ENOMEM : SVC_OK;
	}
	const char *headers[] = {"Content-Type: application/json", "Accept: application/json",
				 auth, NULL};
	struct svc_httpc_resp resp;
	r = svc_httpc_request("POST", m->url, headers, body, len, timeout_ms, MAX_ANSWER, &resp,
			      &err);
	if (r != SVC_OK) {
		svc_warn(NULL, "model request failed: %s", svc_result_name(r));
		ans->status = 0;
		ans->error = r == SVC_ETIMEOUT ? SVC_ETIMEOUT : SVC_EUNAVAIL;
		svc_httpc_resp_cleanup(&resp);
		return SVC_OK;
	}
	ans->status = (int)resp.status;
	ans->body = resp.body;
	ans->len = resp.body_len;
	resp.body = NULL;
	ans->retry_after_ms =
		agt_retry_after_ms(resp.retry_after[0] ? resp.retry_after : NULL, (long long)time(NULL));
	if (resp.status != 200)
		svc_warn(NULL, "model answered %ld", resp.status);
	svc_httpc_resp_cleanup(&resp);
	return SVC_OK;
}

struct agt_transport agt_model_transport(struct agt_model *m)
{
	return (struct agt_transport){post, m};
}
