#include "auth.h"

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "svc/json.h"
#include "svc/text.h"
#include "svc/util.h"

/* ---- password ---------------------------------------------------------- */

enum svc_result gw_password_check(const char *password, const char *email,
				  struct svc_err *err)
{
	if (!svc_utf8_valid(password, strlen(password)))
		return svc_err_set(err, SVC_EINVAL, "password", "password must be valid UTF-8");
	size_t n = svc_utf8_len(password);
	if (n < GW_PASSWORD_MIN || n > GW_PASSWORD_MAX)
		return svc_err_set(err, SVC_EUNPROCESSABLE, "password",
				   "password must be %d to %d characters long", GW_PASSWORD_MIN,
				   GW_PASSWORD_MAX);
	size_t b, e;
	svc_utf8_trim_span(password, &b, &e);
	if (b == e)
		return svc_err_set(err, SVC_EUNPROCESSABLE, "password",
				   "password must not be only white space");
	if (email && e - b == strlen(email) && strncasecmp(password + b, email, e - b) == 0)
		return svc_err_set(err, SVC_EUNPROCESSABLE, "password",
				   "password must not be the same as the email");
	return SVC_OK;
}

/* ---- request bodies --------------------------------------------------- */

/* Input strings are bounded by the body limit already; this only keeps the
 * readers from judging lengths that the rules judge with better words. */
#define ANY_LEN 65536

static const char *const credential_keys[] = {"email", "password", NULL};
static const char *const refresh_keys[] = {"refresh_token", NULL};

enum svc_result gw_credentials_read(const cJSON *body, char email[SVC_EMAIL_BUF],
				    const char **password, struct svc_err *err)
{
	const char *email_in = NULL;
	enum svc_result r;
	email[0] = '\0';
	*password = NULL;
	if ((r = svc_json_only_keys(body, credential_keys, err)) != SVC_OK ||
	    (r = svc_json_string(body, "email", true, 0, ANY_LEN, &email_in, err)) != SVC_OK ||
	    (r = svc_json_string(body, "password", true, 0, ANY_LEN, password, err)) != SVC_OK)
		return r;
	return svc_email_normalize(email_in, email, err);
}

enum svc_result gw_refresh_body_read(const cJSON *body, const char **token,
				     struct svc_err *err)
{
	enum svc_result r = svc_json_only_keys(body, refresh_keys, err);
	*token = NULL;
	if (r != SVC_OK)
		return r;
	return svc_json_string(body, "refresh_token", true, 0, ANY_LEN, token, err);
}

/* ---- tokens ----------------------------------------------------------- */

bool gw_refresh_token_wellformed(const char *token)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	return strlen(token) == GW_REFRESH_LEN && strspn(token, alphabet) == GW_REFRESH_LEN;
}

void gw_token_hash(const char *token, char hash[GW_TOKEN_HASH_HEX])
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(digest, (const unsigned char *)token, strlen(token));
	svc_hex(digest, sizeof digest, hash);
}

int gw_refresh_token_new(char token[GW_REFRESH_LEN + 1], char hash[GW_TOKEN_HASH_HEX])
{
	unsigned char raw[GW_REFRESH_BYTES];
	int rc = -1;
	char *text = svc_random_bytes(raw, sizeof raw) == 0 ? svc_b64url_encode(raw, sizeof raw)
							       : NULL;
	if (text && strlen(text) == GW_REFRESH_LEN) {
		memcpy(token, text, GW_REFRESH_LEN + 1);
		gw_token_hash(token, hash);
		rc = 0;
	}
	if (text)
		sodium_memzero(text, strlen(text));
	free(text);
	sodium_memzero(raw, sizeof raw);
	return rc;
}

/* ---- JSON ------------------------------------------------------------- */

cJSON *gw_user_json(const struct gw_user *u)
{
	cJSON *o = cJSON_CreateObject();
	if (!o || !cJSON_AddStringToObject(o, "id", u->id) ||
	    !cJSON_AddStringToObject(o, "email", u->email) ||
	    !cJSON_AddStringToObject(o, "created_at", u->created_at)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

cJSON *gw_token_response(const struct gw_user *u, const char *access_token,
			 long access_ttl, const char *refresh_token)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *user = gw_user_json(u);
	if (!o || !user) {
		cJSON_Delete(o);
		cJSON_Delete(user);
		return NULL;
	}
	/* o owns user from here on. */
	cJSON_AddItemToObject(o, "user", user);
	if (!cJSON_AddStringToObject(o, "access_token", access_token) ||
	    !cJSON_AddStringToObject(o, "token_type", "Bearer") ||
	    !cJSON_AddNumberToObject(o, "expires_in", (double)access_ttl) ||
	    !cJSON_AddStringToObject(o, "refresh_token", refresh_token) ||
	    !cJSON_AddNumberToObject(o, "refresh_expires_in", GW_REFRESH_TTL)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

long gw_access_ttl(struct svc_config *cfg)
{
	return svc_config_long(cfg, "ACCESS_TOKEN_TTL_S", GW_ACCESS_TTL_DEFAULT, 1,
			       GW_ACCESS_TTL_MAX);
}

/* ---- password hashing ------------------------------------------------- */

#define PW_OPS crypto_pwhash_OPSLIMIT_INTERACTIVE
#define PW_MEM crypto_pwhash_MEMLIMIT_INTERACTIVE

_Static_assert(GW_PWHASH_BUF >= crypto_pwhash_STRBYTES, "hash buffer too small");

static enum svc_result take_slot(struct gw_pwhash *h, struct svc_err *err)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += h->wait_ms / 1000;
	until.tv_nsec += (h->wait_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (sem_timedwait(&h->slots, &until) != 0)
		if (errno != EINTR)
			return svc_err_set(err, SVC_EUNAVAIL, NULL,
					   "too many sign-ins at once, try again shortly");
	return SVC_OK;
}

static void give_slot(struct gw_pwhash *h)
{
	sem_post(&h->slots);
}

enum svc_result gw_pwhash_init(struct gw_pwhash *h, unsigned slots, long wait_ms,
			       struct svc_err *err)
{
	memset(h, 0, sizeof *h);
	if (sodium_init() < 0)
		return svc_err_set(err, SVC_EINTERNAL, NULL, "libsodium failed to initialize");
	if (sem_init(&h->slots, 0, slots ? slots : 1) != 0)
		return svc_err_set(err, SVC_EINTERNAL, NULL, "sem_init: %s", strerror(errno));
	h->wait_ms = wait_ms;
	char pw[GW_REFRESH_LEN + 1], unused[GW_TOKEN_HASH_HEX];
	if (gw_refresh_token_new(pw, unused) != 0) {
		sem_destroy(&h->slots);
		return svc_err_set(err, SVC_EINTERNAL, NULL, "no random bytes");
	}
	enum svc_result r = gw_pwhash_hash(h, pw, h->dummy, err);
	sodium_memzero(pw, sizeof pw);
	if (r != SVC_OK)
		sem_destroy(&h->slots);
	return r;
}

void gw_pwhash_cleanup(struct gw_pwhash *h)
{
	sem_destroy(&h->slots);
}

enum svc_result gw_pwhash_hash(struct gw_pwhash *h, const char *password,
			       char out[GW_PWHASH_BUF], struct svc_err *err)
{
	enum svc_result r = take_slot(h, err);
	if (r != SVC_OK)
		return r;
	/* crypto_pwhash_str makes Argon2id ("$argon2id$...") strings. */
	int rc = crypto_pwhash_str(out, password, strlen(password), PW_OPS, PW_MEM);
	give_slot(h);
	if (rc != 0)
		return svc_err_set(err, SVC_ENOMEM, NULL, "cannot hash password (out of memory)");
	return SVC_OK;
}

enum svc_result gw_pwhash_verify(struct gw_pwhash *h, const char *stored,
				 const char *password, bool *rehash, struct svc_err *err)
{
	*rehash = false;
	enum svc_result r = take_slot(h, err);
	if (r != SVC_OK)
		return r;
	int rc = crypto_pwhash_str_verify(stored ? stored : h->dummy, password,
					  strlen(password));
	give_slot(h);
	if (rc != 0 || !stored)
		return svc_err_set(err, SVC_EAUTH, NULL, "invalid email or password");
	*rehash = crypto_pwhash_str_needs_rehash(stored, PW_OPS, PW_MEM) != 0;
	return SVC_OK;
}
