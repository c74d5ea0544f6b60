#include "edge.h"

#include <stdio.h>
#include <string.h>

#include "limits_redis.h"
#include "sse.h"
#include "svc/log.h"
#include "svc/metrics.h"
#include "svc/util.h"

/* How long rate limits stay off after Redis failed: one failing call per
 * period rather than a timeout on every request. */
#define UNCHECKED_MS 2000

void gw_edge_init(struct gw_edge *e, struct svc_config *cfg, struct svc_app *app,
		  const struct svc_redis_addr *redis)
{
	memset(e, 0, sizeof *e);
	atomic_init(&e->unchecked_until, 0);
	e->app = app;
	e->redis = redis;
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

void gw_edge_cleanup(struct gw_edge *e)
{
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

static enum svc_filter_result unchecked(void)
{
	svc_metrics_inc("gateway_rate_limit_unchecked_total",
			"Requests let through without rate limits because Redis failed.", "", 1);
	return SVC_FILTER_NEXT;
}

static enum svc_filter_result rate_limit(struct gw_edge *e, const struct svc_req *req,
					 struct svc_resp *resp)
{
	char client[64];
	gw_client_addr(&e->trusted, req->peer, svc_req_header(req, "X-Forwarded-For"), client,
		       sizeof client);
	/* Only a valid token names a user; a bad one is the handler's 401. */
	struct svc_claims who;
	struct svc_err err = {0};
	const char *user = NULL;
	const char *token = gw_request_token(req);
	if (e->limits.user > 0 && token &&
	    svc_app_auth_token(e->app, token, "access", &who, &err) == SVC_OK)
		user = who.sub;
	struct gw_rl_check checks[GW_RL_MAX_CHECKS];
	size_t n = gw_rl_checks(&e->limits, req->path, client, user, checks);
	if (n == 0)
		return SVC_FILTER_NEXT;

	long long now = svc_now_ms();
	if (now < atomic_load(&e->unchecked_until))
		return unchecked();
	long long counts[GW_RL_MAX_CHECKS], pttl[GW_RL_MAX_CHECKS];
	if (gw_rl_count(e->redis, checks, n, counts, pttl, &err) != SVC_OK) {
		atomic_store(&e->unchecked_until, now + UNCHECKED_MS);
		svc_warn(req->request_id, "rate limits off for %d ms (failing open): %s",
			 UNCHECKED_MS, err.message);
		return unchecked();
	}
	long retry = 0;
	const char *hit = NULL;
	for (size_t i = 0; i < n; i++) {
		long wait = gw_rl_retry_after(pttl[i]);
		if (counts[i] > checks[i].limit && wait > retry) {
			retry = wait;
			hit = checks[i].name;
		}
	}
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

enum svc_filter_result gw_edge_filter(void *arg, struct svc_req *req, struct svc_resp *resp)
{
	struct gw_edge *e = arg;
	if (!is_api(req->path))
		return gw_static_answer(&e->web, req, resp) ? SVC_FILTER_DONE : SVC_FILTER_NEXT;
	if (cors(e, req, resp) == SVC_FILTER_DONE)
		return SVC_FILTER_DONE;
	return rate_limit(e, req, resp);
}
