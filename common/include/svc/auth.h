/* Tokens as a service checks them: the JWT signing key, loaded from the
 * app's Dapr secret store in the background (/readyz waits for it), and
 * the checks and signing every handler uses (jwt.h does the JWT itself).
 *
 * Environment: JWT_SECRET_NAME (jwt-signing-key), the secret (and key
 * within it) holding the HS256 key of at least 32 bytes.
 *
 * Who touches what: the key is written once, by the loader thread, and
 * read by any thread after (an atomic pointer, no lock on the hot path). */
#ifndef SVC_AUTH_H
#define SVC_AUTH_H

#include <stdbool.h>

#include "svc/config.h"
#include "svc/jwt.h"
#include "svc/result.h"
#include "svc/server.h"

struct svc_app;
struct svc_auth;

/* Reads JWT_SECRET_NAME (problems recorded in cfg), adds the "jwt_key"
 * ready check, and loads the key from the moment the app starts. Borrows
 * app for its life. NULL on OOM. */
struct svc_auth *svc_auth_new(struct svc_app *app, struct svc_config *cfg);
/* Frees a, after svc_app_free (whose stop hooks stop the loader). NULL is
 * a no-op. */
void svc_auth_free(struct svc_auth *a);

/* True once the key is loaded. */
bool svc_auth_ready(const struct svc_auth *a);

/* Verifies token, a JWT of typ want_typ ("access" or "service"; NULL
 * accepts either), into *out. SVC_EAUTH with a reason otherwise (NULL or
 * empty token included); SVC_EUNAVAIL while the key is not loaded yet. */
enum svc_result svc_auth_token(const struct svc_auth *a, const char *token,
			       const char *want_typ, struct svc_claims *out,
			       struct svc_err *err);
/* The same for "Authorization: Bearer <jwt>". */
enum svc_result svc_auth_check(const struct svc_auth *a, const struct svc_req *req,
			       const char *want_typ, struct svc_claims *out,
			       struct svc_err *err);
/* For handlers: verifies the access token into *who; on failure answers
 * resp with the error and returns false. */
bool svc_auth_req(const struct svc_auth *a, const struct svc_req *req, struct svc_resp *resp,
		  struct svc_claims *who);
/* Signs c with the loaded key; *out caller frees with free(). */
enum svc_result svc_auth_sign(const struct svc_auth *a, const struct svc_claims *c,
			      char **out, struct svc_err *err);

/* A key of n bytes (16..64) for purpose, derived from the signing key
 * (keyed BLAKE2b of the label), so that a service needing a secret of its
 * own that every replica shares (MCP session ids) needs no second secret,
 * and holds nothing that could sign a token. SVC_EUNAVAIL while the key is
 * not loaded yet; SVC_EINVAL for a bad n. */
enum svc_result svc_auth_derive(const struct svc_auth *a, const char *purpose,
				unsigned char *out, size_t n, struct svc_err *err);

#endif
