#include "edge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include <event2/event.h>

#include "auth_store.h"
#include "limits_redis.h"
#include "pat.h"
#include "sse.h"
#include "svc/log.h"
#include "svc/metrics.h"
#include "svc/pool.h"
#include "svc/util.h"

/* How long rate limits stay off after Redis failed: one failing call per
 * period rather than a timeout on every request. */
#define UNCHECKED_MS 2000

void gw_edge_init(struct gw_edge *e, struct svc_config *cfg)
{
	memset(e, 0, sizeof *e);
	e->limits.addr = svc_config_long(cfg, "RATE_LIMIT_ADDR_PER_MIN", "600", 0, 100000000);
	e->limits.auth = svc_config_long(cfg, "RATE_LIMIT_AUTH_PER_MIN", "20", 0, 100000000);
	e->limits.user = svc_config_long(cfg, "RATE_LIMIT_USER_PER_MIN", "300", 0, 100000000);
	char err[160];
	if (svc_nets_parse(svc_config_str(cfg, "TRUSTED_PROXIES", ""), &e->trusted, err,
			  sizeof err) != 0)
		svc_config_fail(cfg, "TRUSTED_PROXIES: %s", err);
	if (gw_cors_parse(svc_config_str(cfg, "CORS_ALLOWED_ORIGINS", ""), &e->cors, err,
			  sizeof err) != 0)
		svc_config_fail(cfg, "CORS_ALLOWED_ORIGINS: %s", err);
	gw_static_init(&e->web, cfg);
}

/* Windows the gateway keeps at most; past it new keys are counted in
 * Redis on each request's way. */
#define MAX_KEYS 16384
#define SWEEP_MS 10000

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct gw_edge *e = arg;
	long long now = svc_now_ms();
	if (svc_redis_async_ready(e->redis))
		gw_rl_flush(e->redis, e->table, now);
	if (now - e->swept_ms >= SWEEP_MS) {
		size_t n = gw_rl_table_sweep(e->table, now);
		svc_metrics_set("gateway_rate_limit_windows", "Rate-limit windows the gateway knows.",
				"", (double)n);
		e->swept_ms = now;
	}
}

int gw_edge_attach(struct gw_edge *e, struct svc_auth *auth, struct svc_redis_async *redis,
		   struct event_base *base)
{
	e->auth = auth;
	e->redis = redis;
	if (!redis || !base)
		return 0;
	e->table = gw_rl_table_new(MAX_KEYS);
	e->flush = e->table ? event_new(base, -1, EV_PERSIST, on_flush, e) : NULL;
	struct timeval tv = {0, GW_RL_FLUSH_MS * 1000};
	if (!e->flush || event_add(e->flush, &tv) != 0)
		return -1;
	e->swept_ms = svc_now_ms();
	return 0;
}

void gw_edge_cleanup(struct gw_edge *e)
{
	if (e->flush)
		event_free(e->flush);
	e->flush = NULL;
	gw_rl_table_free(e->table);
	e->table = NULL;
	svc_nets_cleanup(&e->trusted);
	gw_cors_cleanup(&e->cors);
	gw_static_cleanup(&e->web);
}

static bool is_api(const char *path)
{
	return strncmp(path, "/api", 4) == 0 && (path[4] == '\0' || path[4] == '/');
}

/* Answers a preflight, or adds the allow headers for the real answer.
 * Returns SVC_FILTER_DONE when it answered. */
static enum svc_filter_result cors(const struct gw_edge *e, const struct svc_req *req,
				   struct svc_resp *resp)
{
	const char *origin = svc_req_header(req, "Origin");
	char why[200];
	enum gw_preflight pf = gw_cors_preflight(
		&e->cors, req->method, origin, svc_req_header(req, "Access-Control-Request-Method"),
		svc_req_header(req, "Access-Control-Request-Headers"), why, sizeof why);
	if (gw_cors_enabled(&e->cors))
		svc_resp_header(resp, "Vary", "Origin");
	if (pf == GW_PREFLIGHT_REFUSED) {
		svc_resp_errf(resp, SVC_EFORBIDDEN, NULL, "CORS: %s", why);
		return SVC_FILTER_DONE;
	}
	if (!gw_cors_allowed(&e->cors, origin))
		return SVC_FILTER_NEXT;
	svc_resp_header(resp, "Access-Control-Allow-Origin", origin);
	if (pf == GW_PREFLIGHT_OK) {
		svc_resp_header(resp, "Access-Control-Allow-Methods", GW_CORS_ALLOW_METHODS);
		svc_resp_header(resp, "Access-Control-Allow-Headers", GW_CORS_ALLOW_HEADERS);
		svc_resp_header(resp, "Access-Control-Max-Age", GW_CORS_MAX_AGE);
		svc_resp_raw(resp, 204, NULL, NULL, 0);
		return SVC_FILTER_DONE;
	}
	svc_resp_header(resp, "Access-Control-Expose-Headers", GW_CORS_EXPOSE_HEADERS);
	return SVC_FILTER_NEXT;
}

void gw_edge_tokens(struct gw_edge *e, struct svc_pool *pool, struct svc_pg_pool *const *db,
		    long wait_ms, struct gw_pat_cache *pats)
{
	e->lookup_pool = pool;
	e->db = db;
	e->db_wait_ms = wait_ms;
	e->pats = pats;
}

static void who_free(void *arg)
{
	struct gw_who *w = arg;
	if (w->upstream) {
		sodium_memzero(w->upstream, strlen(w->upstream));
		free(w->upstream);
	}
	free(w);
}

bool gw_caller_personal(const struct svc_req *req)
{
	const struct gw_who *w = req->local;
	return w && w->personal;
}

const char *gw_upstream_token(const struct svc_req *req)
{
	const struct gw_who *w = req->local;
	if (w && w->upstream)
		return w->upstream;
	return gw_request_token(req);
}

/* Checks the request's token once, into req->local. */
static struct gw_who *check_token(const struct gw_edge *e, struct svc_req *req)
{
	struct gw_who *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	req->local = w;
	req->local_free = who_free;
	const char *token = gw_request_token(req);
	w->present = token != NULL;
	w->personal = gw_pat_wellformed(token);
	if (w->personal) {
		/* Refused until the lookup says otherwise. */
		w->result = svc_err_set(&w->err, SVC_EAUTH, NULL, "API token not checked");
		return w;
	}
	if (!token)
		w->result = svc_err_set(&w->err, SVC_EAUTH, NULL, "missing bearer token");
	else if (!e->auth)
		w->result = svc_err_set(&w->err, SVC_EUNAVAIL, NULL, "tokens cannot be checked");
	else
		w->result = svc_auth_token(e->auth, token, "access", &w->claims, &w->err);
	return w;
}

bool gw_caller(struct svc_auth *auth, struct svc_req *req, struct svc_resp *resp,
	       struct svc_claims *out)
{
	const struct gw_who *w = req->local;
	struct svc_err err = {0};
	enum svc_result r;
	if (w) {
		r = w->result;
		err = w->err;
		*out = w->claims;
	} else {
		r = svc_auth_token(auth, gw_request_token(req), "access", out, &err);
	}
	if (r == SVC_OK)
		return true;
	svc_resp_err(resp, &err);
	return false;
}

static enum svc_filter_result unchecked(void)
{
	svc_metrics_inc("gateway_rate_limit_unchecked_total",
			"Requests let through without rate limits because Redis failed.", "", 1);
	return SVC_FILTER_NEXT;
}

/* A request waiting for its counts. */
struct waiting {
	struct gw_edge *e;
	struct svc_req *req;
	struct svc_resp *resp;
	struct gw_rl_check checks[GW_RL_MAX_CHECKS];
	size_t n;
};

/* The verdict once the counts are known. */
static enum svc_filter_result judge(struct gw_edge *e, const struct gw_rl_check *checks,
				    size_t n, const long long *counts, const long long *pttl,
				    struct svc_resp *resp)
{
	long retry = 0;
	const char *hit = NULL;
	for (size_t i = 0; i < n; i++) {
		long wait = gw_rl_retry_after(pttl[i]);
		if (counts[i] > checks[i].limit && wait > retry) {
			retry = wait;
			hit = checks[i].name;
		}
	}
	(void)e;
	if (!hit)
		return SVC_FILTER_NEXT;
	char labels[64], value[24];
	snprintf(labels, sizeof labels, "limit=\"%s\"", hit);
	svc_metrics_inc("gateway_rate_limited_total", "Requests refused with 429.", labels, 1);
	snprintf(value, sizeof value, "%ld", retry);
	svc_resp_header(resp, "Retry-After", value);
	svc_resp_errf(resp, SVC_ELIMIT, NULL, "too many requests (%s limit); retry in %ld s", hit,
		      retry);
	return SVC_FILTER_DONE;
}

static void fail_open(struct gw_edge *e, const char *request_id, const struct svc_err *err)
{
	e->unchecked_until = svc_now_ms() + UNCHECKED_MS;
	svc_warn(request_id, "rate limits off for %d ms (failing open): %s", UNCHECKED_MS,
		 err ? err->message : "redis failed");
}

static void on_counts(void *arg, enum svc_result r, const long long *counts,
		      const long long *pttl, const struct svc_err *err)
{
	struct waiting *w = arg;
	enum svc_filter_result v;
	if (r != SVC_OK) {
		fail_open(w->e, w->req->request_id, err);
		v = unchecked();
	} else {
		v = judge(w->e, w->checks, w->n, counts, pttl, w->resp);
	}
	struct svc_req *req = w->req;
	free(w);
	svc_filter_resume(req, v);
}

static enum svc_filter_result rate_limit(struct gw_edge *e, struct svc_req *req,
					 struct svc_resp *resp, const struct gw_who *who)
{
	char client[64];
	gw_client_addr(&e->trusted, req->peer, svc_req_header(req, "X-Forwarded-For"), client,
		       sizeof client);
	/* Only a valid token names a user; a bad one is the handler's 401. */
	const char *user = who && who->result == SVC_OK ? who->claims.sub : NULL;
	struct waiting *w = malloc(sizeof *w);
	if (!w)
		return unchecked();
	w->n = gw_rl_checks(&e->limits, req->path, client, user, w->checks);
	if (w->n == 0) {
		free(w);
		return SVC_FILTER_NEXT;
	}
	long long now = svc_now_ms();
	/* Every window known here: decided at once, the counts go out with the
	 * next flush. */
	bool known = e->table != NULL;
	for (size_t i = 0; known && i < w->n; i++)
		known = gw_rl_table_known(e->table, w->checks[i].key, now);
	if (known) {
		long long counts[GW_RL_MAX_CHECKS], left[GW_RL_MAX_CHECKS];
		for (size_t i = 0; i < w->n; i++)
			gw_rl_table_count(e->table, w->checks[i].key, now, &counts[i], &left[i]);
		enum svc_filter_result v = judge(e, w->checks, w->n, counts, left, resp);
		free(w);
		return v;
	}
	if (!e->redis || now < e->unchecked_until) {
		free(w);
		return unchecked();
	}
	w->e = e;
	w->req = req;
	w->resp = resp;
	struct svc_err err = {0};
	if (gw_rl_count(e->redis, e->table, w->checks, w->n, on_counts, w, &err) != 0) {
		free(w);
		fail_open(e, req->request_id, &err);
		return unchecked();
	}
	return SVC_FILTER_PENDING;
}

/* ---- personal API tokens ------------------------------------------------ */

/* Settles a personal token from what the store said (entry), on the loop
 * thread: refused (401), outside its scopes (403), or swapped for a
 * short-lived access JWT that goes upstream. Returns DONE when it
 * answered. */
static enum svc_filter_result settle(struct gw_edge *e, struct svc_req *req,
				     struct svc_resp *resp, struct gw_who *w,
				     struct gw_pat_entry *entry, const char *hash)
{
	time_t now = time(NULL);
	if (!entry->valid || entry->expires_at <= now) {
		w->result = svc_err_set(&w->err, SVC_EAUTH, NULL,
					"invalid, revoked or expired API token");
		return SVC_FILTER_NEXT; /* the handler's 401, as for a bad JWT */
	}
	const char *scope = gw_pat_scope_for(req->method, req->path);
	struct svc_claims c;
	gw_pat_claims(entry, now, &c);
	if (!scope || (scope[0] && !svc_claims_allow(&c, scope))) {
		svc_resp_errf(resp, SVC_EFORBIDDEN, NULL,
			      scope ? "this API token lacks the scope %s"
				    : "API tokens cannot be used here%s",
			      scope ? scope : "");
		return SVC_FILTER_DONE;
	}
	/* A signed token is reused while it has a minute left. */
	if (!entry->jwt[0] || entry->jwt_exp - now < 60) {
		char *jwt = NULL;
		w->result = svc_auth_sign(e->auth, &c, &jwt, &w->err);
		if (w->result != SVC_OK)
			return SVC_FILTER_NEXT;
		snprintf(entry->jwt, sizeof entry->jwt, "%s", jwt);
		entry->jwt_exp = c.exp;
		sodium_memzero(jwt, strlen(jwt));
		free(jwt);
		gw_pat_cache_put(e->pats, hash, entry, svc_now_ms());
	} else {
		c.exp = entry->jwt_exp;
	}
	w->upstream = strdup(entry->jwt);
	if (!w->upstream) {
		w->result = svc_err_set(&w->err, SVC_ENOMEM, NULL, "out of memory");
		return SVC_FILTER_NEXT;
	}
	w->claims = c;
	w->result = SVC_OK;
	return SVC_FILTER_NEXT;
}

/* A lookup on its way through the pool. */
struct lookup {
	struct gw_edge *e;
	struct svc_req *req;
	struct svc_resp *resp;
	char hash[GW_TOKEN_HASH_HEX];
	enum svc_result r;
	struct svc_err err;
	struct gw_pat_entry entry;
};

/* On a pool thread: the store's word on the token. */
static void lookup_work(void *arg)
{
	struct lookup *l = arg;
	struct svc_pg *pg = svc_pg_acquire(*l->e->db, l->e->db_wait_ms, &l->err);
	l->r = pg ? gw_store_pat_lookup(pg, l->hash, &l->entry, &l->err) : l->err.code;
	svc_pg_release(*l->e->db, pg);
}

/* On the loop thread: settle, then the rate limits, then resume. */
static void lookup_done(void *arg)
{
	struct lookup *l = arg;
	struct svc_req *req = l->req;
	struct gw_who *w = req->local;
	enum svc_filter_result v;
	if (l->r != SVC_OK) {
		svc_error(req->request_id, "API token lookup: %s", l->err.message);
		svc_resp_busy(l->resp, 1, "API tokens cannot be checked right now");
		v = SVC_FILTER_DONE;
	} else {
		gw_pat_cache_put(l->e->pats, l->hash, &l->entry, svc_now_ms());
		v = settle(l->e, req, l->resp, w, &l->entry, l->hash);
		if (v == SVC_FILTER_NEXT)
			v = rate_limit(l->e, req, l->resp, w);
	}
	free(l);
	if (v != SVC_FILTER_PENDING)
		svc_filter_resume(req, v);
}

/* A personal token: settled from the cache at once, else looked up on the
 * pool (PENDING). */
static enum svc_filter_result personal(struct gw_edge *e, struct svc_req *req,
				       struct svc_resp *resp, struct gw_who *w)
{
	char hash[GW_TOKEN_HASH_HEX];
	gw_token_hash(gw_request_token(req), hash);
	struct gw_pat_entry entry;
	if (gw_pat_cache_get(e->pats, hash, svc_now_ms(), &entry)) {
		enum svc_filter_result v = settle(e, req, resp, w, &entry, hash);
		return v == SVC_FILTER_NEXT ? rate_limit(e, req, resp, w) : v;
	}
	struct lookup *l = calloc(1, sizeof *l);
	if (!e->lookup_pool || !e->db || !*e->db || !e->auth) {
		free(l);
		w->result = svc_err_set(&w->err, SVC_EUNAVAIL, NULL, "API tokens cannot be checked");
		return rate_limit(e, req, resp, w);
	}
	if (!l) {
		svc_resp_errf(resp, SVC_ENOMEM, NULL, "out of memory");
		return SVC_FILTER_DONE;
	}
	*l = (struct lookup){.e = e, .req = req, .resp = resp};
	memcpy(l->hash, hash, sizeof hash);
	if (svc_pool_submit(e->lookup_pool, lookup_work, lookup_done, l) != 0) {
		free(l);
		svc_resp_busy(resp, 1, "the gateway is busy");
		return SVC_FILTER_DONE;
	}
	return SVC_FILTER_PENDING;
}

enum svc_filter_result gw_edge_filter(void *arg, struct svc_req *req, struct svc_resp *resp)
{
	struct gw_edge *e = arg;
	if (!is_api(req->path))
		return gw_static_answer(&e->web, req, resp) ? SVC_FILTER_DONE : SVC_FILTER_NEXT;
	if (cors(e, req, resp) == SVC_FILTER_DONE)
		return SVC_FILTER_DONE;
	struct gw_who *who = check_token(e, req);
	if (who && who->personal)
		return personal(e, req, resp, who);
	return rate_limit(e, req, resp, who);
}
