/* The auth schema: users and their refresh tokens. Refresh tokens are kept
 * only as the SHA-256 of their text (gw_token_hash); tokens issued from one
 * login form a family that rotation extends and logout or reuse revokes.
 * Every function runs on the caller's handle pg, outside any transaction
 * of the caller's; one that writes several rows begins and finishes its
 * own transaction before it returns. */
#ifndef GW_AUTH_STORE_H
#define GW_AUTH_STORE_H

#include "auth.h"
#include "pat.h"
#include "svc/pg.h"
#include "svc/result.h"

/* Applies the schema's migrations (at start-up; waits up to a minute for
 * Postgres). */
enum svc_result gw_store_migrate(const char *conninfo, struct svc_err *err);

/* Creates the user (id, normalized email, password hash) and the first
 * refresh token of a new family, in one transaction. Fills *out.
 * SVC_ECONFLICT with field "email" when the email is taken; nothing is
 * written then. */
enum svc_result gw_store_register(struct svc_pg *pg, const char *user_id,
				  const char *email, const char *password_hash,
				  const char *refresh_hash, struct gw_user *out,
				  struct svc_err *err);

/* The user with this normalized email and its password hash (into hash,
 * GW_PWHASH_BUF bytes). SVC_ENOTFOUND when there is none. */
enum svc_result gw_store_find_by_email(struct svc_pg *pg, const char *email,
				       struct gw_user *out, char hash[GW_PWHASH_BUF],
				       struct svc_err *err);

/* The user with this id; SVC_ENOTFOUND when there is none (or id is not a
 * UUID). */
enum svc_result gw_store_user(struct svc_pg *pg, const char *user_id,
			      struct gw_user *out, struct svc_err *err);

/* Replaces the user's password hash if it is still old_hash (a login that
 * found the hash made with older parameters). */
enum svc_result gw_store_set_password_hash(struct svc_pg *pg, const char *user_id,
					   const char *old_hash, const char *new_hash,
					   struct svc_err *err);

/* Stores the first refresh token of a new family for the user (a login),
 * and drops the user's expired tokens. */
enum svc_result gw_store_open_family(struct svc_pg *pg, const char *user_id,
				     const char *refresh_hash, struct svc_err *err);

/* Called by gw_store_rotate inside its transaction, once the token is found
 * good, with its owner: whatever must succeed for the new pair to reach
 * the client (signing the access token) happens here, so that a failure
 * rolls the rotation back and leaves the presented token usable. The row
 * lock is held meanwhile: no network I/O here. */
typedef enum svc_result (*gw_issue_fn)(void *arg, const struct gw_user *u,
				       struct svc_err *err);

/* Rotation: in one transaction, with the presented token's row locked,
 * marks the token with hash old_hash used and stores new_hash in its family
 * in its place, calling issue before the commit; fills *out with the
 * owner. SVC_EAUTH (the reason in the message, for the log) when the token
 * is unknown, expired or revoked, or was used already; the last also
 * revokes the whole family, so whoever holds the newest token of it is
 * logged out too. Of two concurrent calls with the same token, one wins
 * and the other counts as reuse. */
enum svc_result gw_store_rotate(struct svc_pg *pg, const char *old_hash,
				const char *new_hash, gw_issue_fn issue, void *arg,
				struct gw_user *out, struct svc_err *err);

/* Logout: revokes every token in the family of the token with this hash.
 * An unknown or already revoked token is SVC_OK as well. */
enum svc_result gw_store_revoke_family(struct svc_pg *pg, const char *hash,
				       struct svc_err *err);

/* ---- personal API tokens (stored as the SHA-256 of their text) ---------- */

/* A token for the user named name with scopes (space-separated) living
 * days; *json (caller frees with free()) is its listing
 * {"id","name","scopes","created_at","expires_at","last_used_at"}.
 * SVC_EUNPROCESSABLE when the user has GW_PAT_PER_USER already. */
enum svc_result gw_store_pat_create(struct svc_pg *pg, const char *user_id, const char *name,
				    const char *hash, const char *scopes, long days, char **json,
				    struct svc_err *err);

/* {"items": [...]}: the user's tokens, newest first, expired ones too. */
enum svc_result gw_store_pat_list(struct svc_pg *pg, const char *user_id, char **json,
				  struct svc_err *err);

/* Deletes the user's token id; hash gets its stored hash (to drop it from
 * the edge's cache). SVC_ENOTFOUND for another user's or none. */
enum svc_result gw_store_pat_revoke(struct svc_pg *pg, const char *user_id, const char *id,
				    char hash[GW_TOKEN_HASH_HEX], struct svc_err *err);

/* The live token with this hash into *out (out->valid false when there is
 * none: unknown, revoked or expired), noting its use. */
enum svc_result gw_store_pat_lookup(struct svc_pg *pg, const char *hash, struct gw_pat_entry *out,
				    struct svc_err *err);

#endif
