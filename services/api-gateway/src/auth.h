/* Account rules, no I/O: the password policy, password hashing (Argon2id,
 * bounded concurrency), refresh-token text and its stored hash, and the
 * JSON the account routes answer with. Emails: svc_email_normalize. */
#ifndef GW_AUTH_H
#define GW_AUTH_H

#include <semaphore.h>
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "svc/config.h"
#include "svc/result.h"
#include "svc/text.h"

#define GW_PASSWORD_MIN 8 /* code points */
#define GW_PASSWORD_MAX 128

/* Access-token lifetime in seconds: ACCESS_TOKEN_TTL_S, 15 minutes by
 * default; tests set it short to see clients refresh. */
#define GW_ACCESS_TTL_DEFAULT "900"
#define GW_ACCESS_TTL_MAX 86400
#define GW_REFRESH_TTL 604800  /* seconds: 7 days */
#define GW_REFRESH_BYTES 32
/* base64url of 32 bytes without padding. */
#define GW_REFRESH_LEN 43
/* Lowercase hex of the SHA-256 of a refresh token, and its NUL. */
#define GW_TOKEN_HASH_HEX 65

/* Password hash strings ("$argon2id$..."), libsodium's size. */
#define GW_PWHASH_BUF 128

/* An account as the API shows it. */
struct gw_user {
	char id[37];
	char email[SVC_EMAIL_BUF];
	char created_at[40]; /* RFC 3339 UTC */
};

/* The policy for a new password: 8..128 code points, not only white
 * space, not the account's (normalized) email in any letter case.
 * SVC_EUNPROCESSABLE with field "password" and the rule in the message.
 * password must be valid UTF-8. */
enum svc_result gw_password_check(const char *password, const char *email,
				  struct svc_err *err);

/* Reads a register or login body, {"email","password"} and no other key:
 * normalizes the email into email (svc_email_normalize) and points
 * *password into body (borrowed). SVC_EINVAL naming the field otherwise;
 * the password's policy is gw_password_check's. */
enum svc_result gw_credentials_read(const cJSON *body, char email[SVC_EMAIL_BUF],
				    const char **password, struct svc_err *err);

/* Reads a refresh or logout body, {"refresh_token"} and no other key;
 * *token is borrowed from body. SVC_EINVAL naming the field otherwise. */
enum svc_result gw_refresh_body_read(const cJSON *body, const char **token,
				     struct svc_err *err);

/* True when token has the shape of one we hand out: GW_REFRESH_LEN
 * base64url characters. */
bool gw_refresh_token_wellformed(const char *token);

/* A fresh refresh token (GW_REFRESH_BYTES random bytes, base64url) into
 * token, and the hash we store for it into hash. Returns 0 or -1. */
int gw_refresh_token_new(char token[GW_REFRESH_LEN + 1], char hash[GW_TOKEN_HASH_HEX]);

/* The stored form of a refresh token: lowercase hex SHA-256 of its text. */
void gw_token_hash(const char *token, char hash[GW_TOKEN_HASH_HEX]);

/* {"id","email","created_at"}. Caller frees with cJSON_Delete; NULL on OOM. */
cJSON *gw_user_json(const struct gw_user *u);

/* The register/login/refresh answer: {"user", "access_token",
 * "token_type": "Bearer", "expires_in" (access_ttl, seconds),
 * "refresh_token", "refresh_expires_in"}. Caller frees with cJSON_Delete;
 * NULL on OOM. */
cJSON *gw_token_response(const struct gw_user *u, const char *access_token,
			 long access_ttl, const char *refresh_token);

/* ACCESS_TOKEN_TTL_S: seconds, 1..GW_ACCESS_TTL_MAX, default 900; a bad
 * value is recorded in cfg. */
long gw_access_ttl(struct svc_config *cfg);

/* Argon2id password hashing (libsodium, INTERACTIVE limits). Each hash
 * takes 64 MiB, so at most `slots` run at once; a caller waits for a slot
 * up to wait_ms, then gets SVC_EUNAVAIL. Caller-owned: gw_pwhash_init,
 * then gw_pwhash_cleanup. */
struct gw_pwhash {
	sem_t slots;
	long wait_ms;
	/* The hash of a random password, verified against when an email is
	 * unknown so that the answer takes as long as for a wrong password. */
	char dummy[GW_PWHASH_BUF];
};

/* Initializes libsodium (safe to call more than once) and h, computing the
 * dummy hash. SVC_EINTERNAL/SVC_ENOMEM with a message on failure. */
enum svc_result gw_pwhash_init(struct gw_pwhash *h, unsigned slots, long wait_ms,
			       struct svc_err *err);
void gw_pwhash_cleanup(struct gw_pwhash *h);

/* Hashes password into out. */
enum svc_result gw_pwhash_hash(struct gw_pwhash *h, const char *password,
			       char out[GW_PWHASH_BUF], struct svc_err *err);

/* Checks password against stored, or against the dummy hash when stored is
 * NULL (and then always fails). SVC_OK on a match, with *rehash telling
 * whether stored was made with other parameters; SVC_EAUTH on a mismatch;
 * SVC_EUNAVAIL when no slot came free in time. */
enum svc_result gw_pwhash_verify(struct gw_pwhash *h, const char *stored,
				 const char *password, bool *rehash, struct svc_err *err);

#endif
