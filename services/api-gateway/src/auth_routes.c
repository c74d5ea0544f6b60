/* decode -> validate -> call -> encode, for the account routes */
#include "auth_routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "auth.h"
#include "auth_store.h"
#include "pat.h"
#include "edge.h"
#include "svc/app.h"
#include "svc/auth.h"
#include "svc/log.h"
#include "svc/pg.h"
#include "svc/util.h"

/* Argon2id at INTERACTIVE limits takes 64 MiB a hash: two at once bound the
 * memory; a request waits at most this long for its turn. */
#define HASH_SLOTS 2
#define HASH_WAIT_MS 10000

/* One per process: set up before the server starts, read-only after. */
static struct gw_pwhash pwhash;

/* A database handle for one step of a handler (given back with
 * svc_pg_release before the handler waits on anything else: a hash slot
 * is not worth a connection). NULL with err set ("database busy", 503)
 * when none comes free in time. */
static struct svc_pg *db_acquire(struct gw_ctx *ctx, struct svc_err *err)
{
	return svc_pg_acquire(ctx->db, ctx->pg.wait_ms, err);
}

/* Answers err; failures of ours or of a dependency are logged. */
static void fail(struct svc_req *req, struct svc_resp *resp, const struct svc_err *err)
{
	if (svc_result_http_status(err->code) >= 500)
		svc_error(req->request_id, "%s %s: %s", req->method, req->path, err->message);
	svc_resp_err(resp, err);
}

/* The generic refusal of a refresh token; the reason goes to the log only. */
static void refuse_refresh(struct svc_req *req, struct svc_resp *resp, const char *reason)
{
	/* A reused token means that a copy of it is out there: a warning. */
	svc_log(strstr(reason, "reused") ? SVC_LOG_WARN : SVC_LOG_INFO, req->request_id,
		"refresh refused: %s", reason);
	svc_resp_errf(resp, SVC_EAUTH, NULL, "invalid or expired refresh token");
}

/* Reads a register or login body (gw_credentials_read). On bad input
 * answers it and returns false. */
static bool credentials_of(struct svc_req *req, struct svc_resp *resp,
			   char email[SVC_EMAIL_BUF], const char **password)
{
	struct svc_err err = {0};
	if (gw_credentials_read(req->json, email, password, &err) != SVC_OK) {
		svc_resp_err(resp, &err);
		return false;
	}
	return true;
}

/* Reads a refresh or logout body (gw_refresh_body_read). On bad input
 * answers it and returns NULL; otherwise the token, borrowed from the
 * request body. */
static const char *refresh_token_of(struct svc_req *req, struct svc_resp *resp)
{
	struct svc_err err = {0};
	const char *token = NULL;
	if (gw_refresh_body_read(req->json, &token, &err) != SVC_OK) {
		svc_resp_err(resp, &err);
		return NULL;
	}
	return token;
}

/* A token pair on its way to the client. */
struct pair {
	char *access; /* signed JWT; pair_cleanup frees it */
	char refresh[GW_REFRESH_LEN + 1];
	char hash[GW_TOKEN_HASH_HEX]; /* what the store keeps of refresh */
};

static void pair_cleanup(struct pair *p)
{
	free(p->access);
	p->access = NULL;
}

/* A fresh refresh token and its hash into p. */
static enum svc_result pair_refresh(struct pair *p, struct svc_err *err)
{
	if (gw_refresh_token_new(p->refresh, p->hash) != 0)
		return svc_err_set(err, SVC_EINTERNAL, NULL, "no random bytes for a refresh token");
	return SVC_OK;
}

/* The access token for user_id into p. */
static enum svc_result pair_sign(struct gw_ctx *ctx, const char *user_id, struct pair *p,
				 struct svc_err *err)
{
	struct svc_claims c = {0};
	snprintf(c.sub, sizeof c.sub, "%s", user_id);
	snprintf(c.typ, sizeof c.typ, "access");
	c.iat = time(NULL);
	c.exp = c.iat + ctx->access_ttl_s;
	return svc_auth_sign(ctx->auth, &c, &p->access, err);
}

/* Ends a handler that issues a pair: the token response with status when
 * err holds no error, else the error. Cleans up p. */
static void answer(struct svc_req *req, struct svc_resp *resp, const struct svc_err *err,
		   int status, const struct gw_user *u, struct pair *p)
{
	if (err->code != SVC_OK) {
		fail(req, resp, err);
	} else {
		const struct gw_ctx *ctx = req->ctx;
		cJSON *body = gw_token_response(u, p->access, ctx->access_ttl_s, p->refresh);
		if (body) {
			svc_resp_header(resp, "Cache-Control", "no-store");
			svc_resp_json(resp, status, body);
		} else {
			svc_resp_errf(resp, SVC_ENOMEM, NULL, "out of memory");
		}
	}
	pair_cleanup(p);
}

static void h_register(struct svc_req *req, struct svc_resp *resp)
{
	struct gw_ctx *ctx = req->ctx;
	struct svc_err err = {0};
	const char *password = NULL;
	char email[SVC_EMAIL_BUF];
	if (!credentials_of(req, resp, email, &password))
		return;
	if (gw_password_check(password, email, &err) != SVC_OK) {
		svc_resp_err(resp, &err);
		return;
	}
	char id[37], hash[GW_PWHASH_BUF];
	struct pair pair = {0};
	struct gw_user u = {.id = ""};
	struct svc_pg *pg = NULL;
	/* Everything that can fail without touching the database goes first, so
	 * a failure leaves no account behind. */
	if (svc_uuid_v4(id) != 0)
		svc_err_set(&err, SVC_EINTERNAL, NULL, "no random bytes for an id");
	else if (pair_sign(ctx, id, &pair, &err) == SVC_OK &&
		 pair_refresh(&pair, &err) == SVC_OK &&
		 gw_pwhash_hash(&pwhash, password, hash, &err) == SVC_OK &&
		 (pg = db_acquire(ctx, &err)) &&
		 gw_store_register(pg, id, email, hash, pair.hash, &u, &err) == SVC_OK)
		svc_info(req->request_id, "registered user %s", u.id);
	svc_pg_release(ctx->db, pg);
	answer(req, resp, &err, 201, &u, &pair);
}

static void h_login(struct svc_req *req, struct svc_resp *resp)
{
	struct gw_ctx *ctx = req->ctx;
	struct svc_err err = {0};
	const char *password = NULL;
	char email[SVC_EMAIL_BUF];
	if (!credentials_of(req, resp, email, &password))
		return;
	struct gw_user u;
	struct pair pair = {0};
	char stored[GW_PWHASH_BUF];
	bool rehash = false;
	/* The handle is given back while the password is checked (a hash slot
	 * may take a while) and taken again for the writes. */
	struct svc_pg *pg = db_acquire(ctx, &err);
	enum svc_result r = pg ? gw_store_find_by_email(pg, email, &u, stored, &err) : err.code;
	svc_pg_release(ctx->db, pg);
	pg = NULL;
	if (r == SVC_OK || r == SVC_ENOTFOUND) {
		svc_err_clear(&err);
		/* An unknown email is checked against the dummy hash: the same
		 * work and the same answer as a wrong password. */
		r = gw_pwhash_verify(&pwhash, r == SVC_OK ? stored : NULL, password, &rehash,
				     &err);
	}
	char fresh[GW_PWHASH_BUF] = "";
	struct svc_err herr = {0};
	if (r == SVC_OK && rehash && gw_pwhash_hash(&pwhash, password, fresh, &herr) != SVC_OK)
		svc_warn(req->request_id, "rehash for user %s: %s", u.id, herr.message);
	if (r == SVC_OK && pair_sign(ctx, u.id, &pair, &err) == SVC_OK &&
	    pair_refresh(&pair, &err) == SVC_OK && (pg = db_acquire(ctx, &err))) {
		if (fresh[0] &&
		    gw_store_set_password_hash(pg, u.id, stored, fresh, &herr) != SVC_OK)
			svc_warn(req->request_id, "rehash for user %s: %s", u.id, herr.message);
		gw_store_open_family(pg, u.id, pair.hash, &err);
	}
	svc_pg_release(ctx->db, pg);
	answer(req, resp, &err, 200, &u, &pair);
}

/* What a refresh hands to the rotation: the context in, the access token
 * out. */
struct issue {
	struct gw_ctx *ctx;
	struct pair *pair;
};

/* gw_issue_fn: signs the access token for the token's owner. */
static enum svc_result issue_access(void *arg, const struct gw_user *u, struct svc_err *err)
{
	struct issue *is = arg;
	return pair_sign(is->ctx, u->id, is->pair, err);
}

static void h_refresh(struct svc_req *req, struct svc_resp *resp)
{
	struct gw_ctx *ctx = req->ctx;
	struct svc_err err = {0};
	const char *token = refresh_token_of(req, resp);
	if (!token)
		return;
	if (!gw_refresh_token_wellformed(token)) {
		refuse_refresh(req, resp, "not a refresh token of ours");
		return;
	}
	char old[GW_TOKEN_HASH_HEX];
	gw_token_hash(token, old);
	struct pair pair = {0};
	struct issue is = {ctx, &pair};
	struct gw_user u = {.id = ""};
	struct svc_pg *pg = NULL;
	enum svc_result r = pair_refresh(&pair, &err);
	if (r == SVC_OK && (pg = db_acquire(ctx, &err)))
		r = gw_store_rotate(pg, old, pair.hash, issue_access, &is, &u, &err);
	svc_pg_release(ctx->db, pg);
	if (r == SVC_EAUTH) {
		refuse_refresh(req, resp, err.message);
		pair_cleanup(&pair);
		return;
	}
	answer(req, resp, &err, 200, &u, &pair);
}

static void h_logout(struct svc_req *req, struct svc_resp *resp)
{
	struct gw_ctx *ctx = req->ctx;
	struct svc_err err = {0};
	const char *token = refresh_token_of(req, resp);
	if (!token)
		return;
	/* A token we never issued has nothing to revoke: done all the same. */
	if (gw_refresh_token_wellformed(token)) {
		char hash[GW_TOKEN_HASH_HEX];
		gw_token_hash(token, hash);
		struct svc_pg *pg = db_acquire(ctx, &err);
		enum svc_result r = pg ? gw_store_revoke_family(pg, hash, &err) : err.code;
		svc_pg_release(ctx->db, pg);
		if (r != SVC_OK) {
			fail(req, resp, &err);
			return;
		}
	}
	svc_resp_raw(resp, 204, NULL, NULL, 0);
}

static void h_me(struct svc_req *req, struct svc_resp *resp)
{
	struct gw_ctx *ctx = req->ctx;
	struct svc_err err = {0};
	struct svc_claims who;
	if (!gw_caller(ctx->auth, req, resp, &who))
		return;
	struct gw_user u;
	struct svc_pg *pg = db_acquire(ctx, &err);
	enum svc_result r = pg ? gw_store_user(pg, who.sub, &u, &err) : err.code;
	svc_pg_release(ctx->db, pg);
	if (r == SVC_ENOTFOUND) {
		svc_resp_errf(resp, SVC_EAUTH, NULL, "the account of this token does not exist");
		return;
	}
	if (r != SVC_OK) {
		fail(req, resp, &err);
		return;
	}
	cJSON *body = gw_user_json(&u);
	if (!body) {
		svc_resp_errf(resp, SVC_ENOMEM, NULL, "out of memory");
		return;
	}
	svc_resp_json(resp, 200, body);
}

/* ---- personal API tokens ----------------------------------------------- */

/* The caller of a token route: a login's access token only, so that a
 * leaked personal token cannot make more of itself or revoke the others.
 * Answers resp and returns false otherwise. */
static bool token_manager(struct gw_ctx *ctx, struct svc_req *req, struct svc_resp *resp,
			  struct svc_claims *who)
{
	if (!gw_caller(ctx->auth, req, resp, who))
		return false;
	if (gw_caller_personal(req)) {
		svc_resp_errf(resp, SVC_EFORBIDDEN, NULL,
			      "personal API tokens cannot manage tokens; sign in");
		return false;
	}
	return true;
}

static void h_token_create(struct svc_req *req, struct svc_resp *resp)
{
	struct gw_ctx *ctx = req->ctx;
	struct svc_claims who;
	if (!token_manager(ctx, req, resp, &who))
		return;
	struct svc_err err = {0};
	const char *name = NULL;
	char scopes[sizeof GW_PAT_SCOPES];
	long days = 0;
	if (gw_pat_body_read(req->json, &name, scopes, &days, &err) != SVC_OK) {
		svc_resp_err(resp, &err);
		return;
	}
	char token[GW_PAT_LEN + 1], hash[GW_TOKEN_HASH_HEX];
	if (gw_pat_new(token, hash) != 0) {
		svc_resp_errf(resp, SVC_EINTERNAL, NULL, "no random bytes for a token");
		return;
	}
	struct gw_user u;
	char *json = NULL;
	struct svc_pg *pg = db_acquire(ctx, &err);
	enum svc_result r = pg ? gw_store_user(pg, who.sub, &u, &err) : err.code;
	if (r == SVC_ENOTFOUND) {
		svc_pg_release(ctx->db, pg);
		svc_resp_errf(resp, SVC_EAUTH, NULL, "the account of this token does not exist");
		return;
	}
	if (r == SVC_OK)
		r = gw_store_pat_create(pg, u.id, name, hash, scopes, days, &json, &err);
	svc_pg_release(ctx->db, pg);
	cJSON *body = NULL;
	if (r == SVC_OK && (!(body = cJSON_Parse(json)) ||
			    !cJSON_AddStringToObject(body, "token", token)))
		r = svc_err_set(&err, SVC_ENOMEM, NULL, "out of memory");
	free(json);
	sodium_memzero(token, sizeof token);
	if (r != SVC_OK) {
		cJSON_Delete(body);
		fail(req, resp, &err);
		return;
	}
	svc_info(req->request_id, "user %s made personal API token %s (%s)", u.id,
		 cJSON_GetObjectItemCaseSensitive(body, "id")->valuestring, scopes);
	svc_resp_header(resp, "Cache-Control", "no-store");
	svc_resp_json(resp, 201, body);
}

static void h_token_list(struct svc_req *req, struct svc_resp *resp)
{
	struct gw_ctx *ctx = req->ctx;
	struct svc_claims who;
	if (!token_manager(ctx, req, resp, &who))
		return;
	struct svc_err err = {0};
	char *json = NULL;
	enum svc_result r;
	if (!svc_uuid_valid(who.sub)) {
		/* No account of ours has such an id: it has no tokens. */
		json = strdup("{\"items\":[]}");
		r = json ? SVC_OK : svc_err_set(&err, SVC_ENOMEM, NULL, "out of memory");
	} else {
		struct svc_pg *pg = db_acquire(ctx, &err);
		r = pg ? gw_store_pat_list(pg, who.sub, &json, &err) : err.code;
		svc_pg_release(ctx->db, pg);
	}
	if (r != SVC_OK) {
		fail(req, resp, &err);
		return;
	}
	svc_resp_header(resp, "Cache-Control", "no-store");
	svc_resp_raw(resp, 200, "application/json", json, strlen(json));
}

static void h_token_revoke(struct svc_req *req, struct svc_resp *resp)
{
	struct gw_ctx *ctx = req->ctx;
	struct svc_claims who;
	if (!token_manager(ctx, req, resp, &who))
		return;
	struct svc_err err = {0};
	char hash[GW_TOKEN_HASH_HEX];
	enum svc_result r;
	const char *id = svc_req_param(req, "id");
	if (!svc_uuid_valid(who.sub) || !svc_uuid_valid(id)) {
		r = svc_err_set(&err, SVC_ENOTFOUND, NULL, "no such token");
	} else {
		struct svc_pg *pg = db_acquire(ctx, &err);
		r = pg ? gw_store_pat_revoke(pg, who.sub, id, hash, &err) : err.code;
		svc_pg_release(ctx->db, pg);
	}
	if (r != SVC_OK) {
		fail(req, resp, &err);
		return;
	}
	/* Refused on this gateway from now on; other replicas forget their
	 * copy within API_TOKEN_CACHE_MS. */
	gw_pat_cache_forget(ctx->pats, hash);
	svc_info(req->request_id, "user %s revoked personal API token %s", who.sub, id);
	svc_resp_raw(resp, 204, NULL, NULL, 0);
}

int gw_auth_routes_register(struct svc_app *app, struct gw_ctx *ctx)
{
	struct svc_err err = {0};
	if (gw_pwhash_init(&pwhash, HASH_SLOTS, HASH_WAIT_MS, &err) != SVC_OK) {
		svc_error(NULL, "password hashing: %s", err.message);
		return -1;
	}
	if (gw_store_migrate(ctx->pg.conninfo, &err) != SVC_OK) {
		svc_error(NULL, "auth migrations failed: %s", err.message);
		return -1;
	}
	if (!(ctx->db = svc_pg_pool_new(ctx->pg.conninfo, ctx->pg.pool_size))) {
		svc_error(NULL, "out of memory for the postgres pool");
		return -1;
	}
	svc_app_ready_check(app, "postgres", svc_pg_ready_check, ctx->db);
	int rc = 0;
	/* Argon2 takes 64 MiB and tens of milliseconds a hash: these run on a
	 * bounded pool of their own, so that no other request waits for them. */
	rc |= svc_app_route_on(app, ctx->hash_pool, "POST", "/api/auth/register", h_register, NULL,
			       SVC_ROUTE_JSON);
	rc |= svc_app_route_on(app, ctx->hash_pool, "POST", "/api/auth/login", h_login, NULL,
			       SVC_ROUTE_JSON);
	rc |= svc_app_route(app, "POST", "/api/auth/refresh", h_refresh, NULL, SVC_ROUTE_JSON);
	rc |= svc_app_route(app, "POST", "/api/auth/logout", h_logout, NULL, SVC_ROUTE_JSON);
	rc |= svc_app_route(app, "GET", "/api/auth/me", h_me, NULL, 0);
	rc |= svc_app_route(app, "POST", "/api/auth/tokens", h_token_create, NULL, SVC_ROUTE_JSON);
	rc |= svc_app_route(app, "GET", "/api/auth/tokens", h_token_list, NULL, 0);
	rc |= svc_app_route(app, "DELETE", "/api/auth/tokens/{id}", h_token_revoke, NULL, 0);
	return rc;
}
