#include "svc/auth.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "svc/app.h"
#include "svc/dapr.h"
#include "svc/log.h"

struct key {
	size_t len;
	unsigned char bytes[];
};

/* Tokens verified already, by a keyed BLAKE2b digest of their text: a
 * token seen again (every request of a session carries the same one) costs
 * a digest and a lookup instead of libjwt's decoding and HMAC. Expiry and
 * type are checked on every hit; the key never changes while the process
 * runs, so a token verified once stays verified. Direct-mapped: a new
 * token takes its slot over. */
#define CACHE_SLOTS 1024

struct cached {
	unsigned char digest[crypto_generichash_BYTES];
	bool used;
	struct svc_claims claims;
};

struct svc_auth {
	struct svc_app *app;
	char secret_name[128];
	_Atomic(struct key *) key;

	unsigned char cache_key[crypto_generichash_KEYBYTES];
	pthread_mutex_t cache_lock;
	struct cached *cache;

	pthread_mutex_t lock; /* stop and cond */
	pthread_cond_t cond;
	bool stop;
	bool running;
	pthread_t thread;
};

static void *loader(void *arg)
{
	struct svc_auth *a = arg;
	const struct svc_dapr *d = svc_app_dapr(a->app);
	const char *store = svc_app_secret_store(a->app);
	int attempt = 0;
	for (;;) {
		char *value = NULL;
		struct svc_err err = {0};
		enum svc_result r = svc_dapr_secret(d, store, a->secret_name, a->secret_name,
						    &value, &err);
		if (r == SVC_OK && strlen(value) < 32) {
			svc_error(NULL, "secret %s is shorter than 32 bytes; refusing it",
				  a->secret_name);
		} else if (r == SVC_OK) {
			size_t n = strlen(value);
			struct key *k = malloc(sizeof *k + n);
			if (k) {
				k->len = n;
				memcpy(k->bytes, value, n);
				atomic_store(&a->key, k);
				svc_info(NULL, "loaded JWT signing key from secret store %s", store);
			}
		} else if (++attempt % 20 == 1) {
			svc_warn(NULL, "waiting for JWT key: %s", err.message);
		}
		free(value);
		if (atomic_load(&a->key))
			return NULL;
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 500 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&a->lock);
		while (!a->stop &&
		       pthread_cond_timedwait(&a->cond, &a->lock, &until) != ETIMEDOUT)
			;
		bool stop = a->stop;
		pthread_mutex_unlock(&a->lock);
		if (stop)
			return NULL;
	}
}

static void on_start(void *arg)
{
	struct svc_auth *a = arg;
	if (pthread_create(&a->thread, NULL, loader, a) == 0)
		a->running = true;
	else
		svc_error(NULL, "cannot start the JWT key loader");
}

static void on_stop(void *arg)
{
	struct svc_auth *a = arg;
	if (!a->running)
		return;
	pthread_mutex_lock(&a->lock);
	a->stop = true;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
	pthread_join(a->thread, NULL);
	a->running = false;
}

static enum svc_result ready_check(void *arg, struct svc_err *err)
{
	if (svc_auth_ready(arg))
		return SVC_OK;
	return svc_err_set(err, SVC_EUNAVAIL, NULL, "not loaded yet");
}

struct svc_auth *svc_auth_new(struct svc_app *app, struct svc_config *cfg)
{
	struct svc_auth *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	a->app = app;
	atomic_init(&a->key, NULL);
	snprintf(a->secret_name, sizeof a->secret_name, "%s",
		 svc_config_str(cfg, "JWT_SECRET_NAME", "jwt-signing-key"));
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->cond, NULL);
	pthread_mutex_init(&a->cache_lock, NULL);
	randombytes_buf(a->cache_key, sizeof a->cache_key);
	a->cache = calloc(CACHE_SLOTS, sizeof *a->cache);
	if (!a->cache) {
		svc_auth_free(a);
		return NULL;
	}
	if (svc_app_on_start(app, on_start, a) != 0 || svc_app_on_stop(app, on_stop, a) != 0) {
		svc_auth_free(a);
		return NULL;
	}
	svc_app_ready_check(app, "jwt_key", ready_check, a);
	return a;
}

void svc_auth_free(struct svc_auth *a)
{
	if (!a)
		return;
	on_stop(a);
	free(atomic_load(&a->key));
	free(a->cache);
	pthread_mutex_destroy(&a->cache_lock);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->cond);
	free(a);
}

bool svc_auth_ready(const struct svc_auth *a)
{
	return atomic_load(&((struct svc_auth *)a)->key) != NULL;
}

enum svc_result svc_auth_token(const struct svc_auth *a, const char *token,
			       const char *want_typ, struct svc_claims *out,
			       struct svc_err *err)
{
	if (!token || !*token)
		return svc_err_set(err, SVC_EAUTH, NULL, "missing token");
	struct svc_auth *au = (struct svc_auth *)a;
	const struct key *k = atomic_load(&au->key);
	if (!k)
		return svc_err_set(err, SVC_EUNAVAIL, NULL, "signing key not loaded yet");
	time_t now = time(NULL);
	unsigned char d[crypto_generichash_BYTES];
	crypto_generichash(d, sizeof d, (const unsigned char *)token, strlen(token),
			   au->cache_key, sizeof au->cache_key);
	size_t slot;
	memcpy(&slot, d, sizeof slot);
	struct cached *c = &au->cache[slot % CACHE_SLOTS];
	pthread_mutex_lock(&au->cache_lock);
	bool hit = c->used && sodium_memcmp(c->digest, d, sizeof d) == 0;
	struct svc_claims claims = c->claims;
	pthread_mutex_unlock(&au->cache_lock);
	if (hit && claims.exp > now) {
		if (want_typ && strcmp(claims.typ, want_typ) != 0)
			return svc_err_set(err, SVC_EAUTH, NULL, "wrong kind of token");
		*out = claims;
		return SVC_OK;
	}
	enum svc_result r = svc_jwt_verify(k->bytes, k->len, token, now, want_typ, out, err);
	if (r == SVC_OK) {
		pthread_mutex_lock(&au->cache_lock);
		memcpy(c->digest, d, sizeof d);
		c->claims = *out;
		c->used = true;
		pthread_mutex_unlock(&au->cache_lock);
	}
	return r;
}

enum svc_result svc_auth_check(const struct svc_auth *a, const struct svc_req *req,
			       const char *want_typ, struct svc_claims *out,
			       struct svc_err *err)
{
	const char *tok = svc_req_bearer(req);
	if (!tok)
		return svc_err_set(err, SVC_EAUTH, NULL, "missing bearer token");
	return svc_auth_token(a, tok, want_typ, out, err);
}

bool svc_auth_req(const struct svc_auth *a, const struct svc_req *req, struct svc_resp *resp,
		  struct svc_claims *who)
{
	struct svc_err err = {0};
	if (svc_auth_check(a, req, "access", who, &err) != SVC_OK) {
		svc_resp_err(resp, &err);
		return false;
	}
	return true;
}

enum svc_result svc_auth_sign(const struct svc_auth *a, const struct svc_claims *c,
			      char **out, struct svc_err *err)
{
	const struct key *k = atomic_load(&((struct svc_auth *)a)->key);
	if (!k)
		return svc_err_set(err, SVC_EUNAVAIL, NULL, "signing key not loaded yet");
	enum svc_result r = svc_jwt_sign(k->bytes, k->len, c, out);
	if (r != SVC_OK)
		svc_err_set(err, r, NULL, "cannot sign token");
	return r;
}

enum svc_result svc_auth_derive(const struct svc_auth *a, const char *purpose,
				unsigned char *out, size_t n, struct svc_err *err)
{
	if (n < crypto_generichash_BYTES_MIN || n > crypto_generichash_BYTES_MAX)
		return svc_err_set(err, SVC_EINVAL, NULL, "derived keys are 16..64 bytes");
	const struct key *k = atomic_load(&((struct svc_auth *)a)->key);
	if (!k)
		return svc_err_set(err, SVC_EUNAVAIL, NULL, "signing key not loaded yet");
	/* BLAKE2b takes a key of at most 64 bytes: a longer signing key is
	 * hashed down first. */
	unsigned char kk[crypto_generichash_KEYBYTES_MAX];
	size_t kn = k->len;
	if (kn > sizeof kk) {
		crypto_generichash(kk, sizeof kk, k->bytes, k->len, NULL, 0);
		kn = sizeof kk;
	} else {
		memcpy(kk, k->bytes, kn);
	}
	int rc = crypto_generichash(out, n, (const unsigned char *)purpose, strlen(purpose), kk,
				    kn);
	sodium_memzero(kk, sizeof kk);
	return rc == 0 ? SVC_OK : svc_err_set(err, SVC_EINTERNAL, NULL, "cannot derive a key");
}
