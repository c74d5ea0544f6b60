#include "pat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "svc/json.h"

bool gw_pat_wellformed(const char *token)
{
	size_t n = sizeof GW_PAT_PREFIX - 1;
	return token && strncmp(token, GW_PAT_PREFIX, n) == 0 &&
	       gw_refresh_token_wellformed(token + n);
}

int gw_pat_new(char token[GW_PAT_LEN + 1], char hash[GW_TOKEN_HASH_HEX])
{
	char raw[GW_REFRESH_LEN + 1], unused[GW_TOKEN_HASH_HEX];
	if (gw_refresh_token_new(raw, unused) != 0)
		return -1;
	snprintf(token, GW_PAT_LEN + 1, GW_PAT_PREFIX "%s", raw);
	sodium_memzero(raw, sizeof raw);
	gw_token_hash(token, hash);
	return 0;
}

static const char *const all_scopes[] = {"tasks:read", "tasks:write", "chat", "mcp",
					  "notifications", NULL};

enum svc_result gw_pat_body_read(const cJSON *body, const char **name,
				 char scopes[sizeof GW_PAT_SCOPES], long *days,
				 struct svc_err *err)
{
	static const char *const keys[] = {"name", "scopes", "expires_in_days", NULL};
	enum svc_result r = svc_json_only_keys(body, keys, err);
	if (r != SVC_OK)
		return r;
	r = svc_json_string(body, "name", true, 1, GW_PAT_NAME_MAX, name, err);
	if (r != SVC_OK)
		return r;
	bool present = false;
	r = svc_json_int(body, "expires_in_days", false, 1, GW_PAT_DAYS_MAX, days, &present, err);
	if (r != SVC_OK)
		return r;
	if (!present)
		*days = GW_PAT_DAYS_DEFAULT;
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(body, "scopes");
	if (!list || cJSON_IsNull(list)) {
		snprintf(scopes, sizeof GW_PAT_SCOPES, "%s", GW_PAT_SCOPES);
		return SVC_OK;
	}
	if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) == 0)
		return svc_err_set(err, SVC_EINVAL, "scopes",
				   "scopes must be a non-empty list of: " GW_PAT_SCOPES);
	bool want[sizeof all_scopes / sizeof all_scopes[0]] = {false};
	const cJSON *s;
	cJSON_ArrayForEach(s, list)
	{
		size_t i = 0;
		while (all_scopes[i] && !(cJSON_IsString(s) && strcmp(s->valuestring, all_scopes[i]) == 0))
			i++;
		if (!all_scopes[i])
			return svc_err_set(err, SVC_EINVAL, "scopes",
					   "scopes may only hold: " GW_PAT_SCOPES);
		want[i] = true;
	}
	scopes[0] = '\0';
	for (size_t i = 0; all_scopes[i]; i++) {
		if (!want[i])
			continue;
		size_t n = strlen(scopes);
		snprintf(scopes + n, sizeof GW_PAT_SCOPES - n, "%s%s", n ? " " : "", all_scopes[i]);
	}
	return SVC_OK;
}

static bool under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);
	return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

const char *gw_pat_scope_for(const char *method, const char *path)
{
	if (under(path, "/api/tasks") || under(path, "/api/tags"))
		return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ? "tasks:read"
										 : "tasks:write";
	if (under(path, "/api/chat") || under(path, "/api/conversations"))
		return "chat";
	if (under(path, "/api/mcp"))
		return "mcp";
	if (under(path, "/api/notifications") || under(path, "/api/me/notification-settings"))
		return "notifications";
	if (strcmp(path, "/api/auth/me") == 0 || strcmp(path, "/api/openapi.yaml") == 0)
		return "";
	return NULL;
}

#define SLOTS 1024

struct slot {
	bool used;
	char hash[GW_TOKEN_HASH_HEX];
	long long at_ms;
	struct gw_pat_entry e;
};

struct gw_pat_cache {
	pthread_mutex_t lock;
	long ttl_ms;
	struct slot slots[SLOTS];
};

struct gw_pat_cache *gw_pat_cache_new(long ttl_ms)
{
	struct gw_pat_cache *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	pthread_mutex_init(&c->lock, NULL);
	c->ttl_ms = ttl_ms;
	return c;
}

void gw_pat_cache_free(struct gw_pat_cache *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	sodium_memzero(c, sizeof *c);
	free(c);
}

/* The slot of a hash: its first hex digits (a SHA-256 spreads them). */
static struct slot *slot_of(struct gw_pat_cache *c, const char *hash)
{
	unsigned long v = strtoul((char[9]){hash[0], hash[1], hash[2], hash[3], hash[4], hash[5],
					     hash[6], hash[7], '\0'},
				  NULL, 16);
	return &c->slots[v % SLOTS];
}

bool gw_pat_cache_get(struct gw_pat_cache *c, const char *hash, long long now_ms,
		      struct gw_pat_entry *out)
{
	if (!c || c->ttl_ms <= 0)
		return false;
	struct slot *s = slot_of(c, hash);
	pthread_mutex_lock(&c->lock);
	bool hit = s->used && strcmp(s->hash, hash) == 0 && now_ms - s->at_ms < c->ttl_ms;
	if (hit)
		*out = s->e;
	pthread_mutex_unlock(&c->lock);
	return hit;
}

void gw_pat_cache_put(struct gw_pat_cache *c, const char *hash, const struct gw_pat_entry *e,
		      long long now_ms)
{
	if (!c || c->ttl_ms <= 0)
		return;
	struct slot *s = slot_of(c, hash);
	pthread_mutex_lock(&c->lock);
	/* A signed token for an entry already cached keeps its time. */
	if (!(s->used && strcmp(s->hash, hash) == 0 && e->jwt[0]))
		s->at_ms = now_ms;
	s->used = true;
	snprintf(s->hash, sizeof s->hash, "%s", hash);
	s->e = *e;
	pthread_mutex_unlock(&c->lock);
}

void gw_pat_cache_forget(struct gw_pat_cache *c, const char *hash)
{
	if (!c)
		return;
	struct slot *s = slot_of(c, hash);
	pthread_mutex_lock(&c->lock);
	if (s->used && strcmp(s->hash, hash) == 0)
		memset(s, 0, sizeof *s);
	pthread_mutex_unlock(&c->lock);
}

void gw_pat_claims(const struct gw_pat_entry *e, time_t now, struct svc_claims *out)
{
	memset(out, 0, sizeof *out);
	snprintf(out->sub, sizeof out->sub, "%s", e->user_id);
	snprintf(out->typ, sizeof out->typ, "access");
	snprintf(out->scope, sizeof out->scope, "%s", e->scope);
	out->iat = now;
	out->exp = now + GW_PAT_JWT_TTL;
	if (e->expires_at < out->exp)
		out->exp = e->expires_at;
}
