/* Personal API tokens, the rules (no I/O): their text and stored hash, the
 * scopes they carry and which routes each scope opens, the create body,
 * and the gateway's short cache of what the store said about a token.
 *
 * A personal token is "tdp_" and 43 base64url characters (32 random
 * bytes). Only its SHA-256 is stored. At the edge it is swapped for a
 * short-lived access JWT carrying the token's scopes, so every service
 * keeps verifying JWTs only. */
#ifndef GW_PAT_H
#define GW_PAT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "auth.h"
#include "svc/jwt.h"
#include "svc/result.h"

#define GW_PAT_PREFIX "tdp_"
#define GW_PAT_LEN (4 + GW_REFRESH_LEN)
#define GW_PAT_NAME_MAX 100    /* code points */
#define GW_PAT_DAYS_DEFAULT 90
#define GW_PAT_DAYS_MAX 365
#define GW_PAT_PER_USER 100
/* The swapped access token lives at most this long (and never past the
 * personal token's own expiry). */
#define GW_PAT_JWT_TTL 300

/* The scopes, space-separated: the default when a token names none. */
#define GW_PAT_SCOPES "tasks:read tasks:write chat mcp notifications"

/* True for text shaped like a personal token (it may still be unknown). */
bool gw_pat_wellformed(const char *token);

/* A fresh token into token and its stored hash into hash. Returns 0 or -1. */
int gw_pat_new(char token[GW_PAT_LEN + 1], char hash[GW_TOKEN_HASH_HEX]);

/* A POST /api/auth/tokens body: {"name", "scopes"?: [...], "expires_in_days"?}.
 * *name is borrowed from body; scopes (GW_PAT_SCOPES' size) gets the
 * scopes asked for, space-separated, in GW_PAT_SCOPES' order (all when
 * absent). SVC_EINVAL naming the field for anything else. */
enum svc_result gw_pat_body_read(const cJSON *body, const char **name,
				 char scopes[sizeof GW_PAT_SCOPES], long *days,
				 struct svc_err *err);

/* The scope a personal token needs for method + path: "tasks:read",
 * "tasks:write", "chat", "mcp", "notifications"; "" for routes any token
 * may call (the caller's own account); NULL for routes a personal token
 * may never call (managing tokens: a leaked token cannot mint more). */
const char *gw_pat_scope_for(const char *method, const char *path);

/* What the store said about a token, as the edge caches it. */
struct gw_pat_entry {
	bool valid;             /* false: unknown, revoked or expired */
	char user_id[64];
	char scope[160];
	time_t expires_at;      /* the personal token's own expiry */
	char jwt[768];          /* the swapped access token, "" until signed */
	time_t jwt_exp;
};

/* A direct-mapped cache of entries by token hash, each kept for ttl_ms.
 * Any thread; its lock is held only to copy an entry. */
struct gw_pat_cache;
struct gw_pat_cache *gw_pat_cache_new(long ttl_ms);
void gw_pat_cache_free(struct gw_pat_cache *c);
/* A fresh entry for hash into *out: true; false when none (or stale). */
bool gw_pat_cache_get(struct gw_pat_cache *c, const char *hash, long long now_ms,
		      struct gw_pat_entry *out);
void gw_pat_cache_put(struct gw_pat_cache *c, const char *hash, const struct gw_pat_entry *e,
		      long long now_ms);
/* Drops hash (a token revoked on this gateway: refused at once). */
void gw_pat_cache_forget(struct gw_pat_cache *c, const char *hash);

/* The claims of the access token a valid entry swaps for, at now. */
void gw_pat_claims(const struct gw_pat_entry *e, time_t now, struct svc_claims *out);

#endif
