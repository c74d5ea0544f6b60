#include "svc/dapr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/json.h"
#include "svc/metrics.h"

#define MAX_RESP ((size_t)4 << 20)
#define MAX_HEADERS 16

enum svc_result svc_dapr_init(struct svc_dapr *d, const char *base, long timeout_ms,
			      const char *api_token, struct svc_err *err)
{
	memset(d, 0, sizeof *d);
	if (strncmp(base, "http://", 7) != 0 || strlen(base) >= sizeof d->base)
		return svc_err_set(err, SVC_EINVAL, NULL, "not an http://host:port URL: %.100s",
				   base);
	snprintf(d->base, sizeof d->base, "%s", base);
	size_t n = strlen(d->base);
	while (n > 0 && d->base[n - 1] == '/')
		d->base[--n] = '\0';
	d->timeout_ms = timeout_ms;
	if (api_token && strlen(api_token) >= sizeof d->api_token)
		return svc_err_set(err, SVC_EINVAL, NULL, "the API token is too long");
	if (api_token)
		snprintf(d->api_token, sizeof d->api_token, "%s", api_token);
	return SVC_OK;
}

/* Headers to the sidecar: the token first, then extra (n of them). Fills
 * out (MAX_HEADERS) and returns how many. */
static size_t sidecar_headers(const struct svc_dapr *d, const struct svc_kv *extra, size_t n,
			      struct svc_kv *out)
{
	size_t k = 0;
	if (d->api_token[0])
		out[k++] = (struct svc_kv){"dapr-api-token", (char *)d->api_token};
	for (size_t i = 0; i < n && k < MAX_HEADERS; i++)
		out[k++] = extra[i];
	return k;
}

/* One call to the sidecar's own API. */
static enum svc_result call(const struct svc_dapr *d, const char *method, const char *path,
			    const struct svc_kv *extra, size_t nextra, const char *body,
			    size_t len, struct svc_up_resp *out, struct svc_err *err)
{
	struct svc_kv h[MAX_HEADERS];
	size_t nh = sidecar_headers(d, extra, nextra, h);
	return svc_upstream_call(d->base, method, path, h, nh, body, len, d->timeout_ms,
				 MAX_RESP, out, err);
}

/* Maps a non-2xx answer of the sidecar's own API to a result. */
static enum svc_result status_error(const struct svc_up_resp *r, const char *what,
				    struct svc_err *err)
{
	enum svc_result code = SVC_EUPSTREAM;
	if (r->status == 404)
		code = SVC_ENOTFOUND;
	else if (r->status == 409 || r->status == 412)
		code = SVC_ECONFLICT;
	else if (r->status == 401 || r->status == 403)
		code = SVC_EFORBIDDEN; /* our token, refused: a deployment fault */
	else if (r->status == 503 || r->status == 500)
		code = SVC_EUNAVAIL;
	return svc_err_set(err, code, NULL, "%s: sidecar answered %ld: %.160s", what,
			   r->status, r->body ? r->body : "");
}

static bool ok_status(long s)
{
	return s >= 200 && s <= 299;
}

/* ---- invocation ---------------------------------------------------------- */

enum svc_result svc_peer_init(struct svc_peer *p, const struct svc_dapr *d, const char *app_id,
			      const char *direct_url, struct svc_err *err)
{
	memset(p, 0, sizeof *p);
	p->dapr = d;
	size_t n = strlen(app_id);
	if (n == 0 || n >= sizeof p->app_id || strspn(app_id, "abcdefghijklmnopqrstuvwxyz"
						       "0123456789-") != n)
		return svc_err_set(err, SVC_EINVAL, NULL, "bad app id \"%.64s\"", app_id);
	memcpy(p->app_id, app_id, n + 1);
	if (direct_url && *direct_url) {
		if (strncmp(direct_url, "http://", 7) != 0 ||
		    strlen(direct_url) >= sizeof p->direct)
			return svc_err_set(err, SVC_EINVAL, NULL,
					   "not an http://host:port URL: %.100s", direct_url);
		snprintf(p->direct, sizeof p->direct, "%s", direct_url);
		size_t m = strlen(p->direct);
		while (m > 0 && p->direct[m - 1] == '/')
			p->direct[--m] = '\0';
	}
	return SVC_OK;
}

/* The sidecar's path prefix for invoking p ("" when p is direct). */
static void invoke_prefix(const struct svc_peer *p, char *out, size_t n)
{
	if (p->direct[0])
		snprintf(out, n, "%s", "");
	else
		snprintf(out, n, "/v1.0/invoke/%s/method", p->app_id);
}

enum svc_result svc_dapr_invoke(const struct svc_peer *p, const char *method,
				const char *path, const struct svc_kv *headers,
				size_t nheaders, const char *body, size_t len, long timeout_ms,
				struct svc_up_resp *out, struct svc_err *err)
{
	memset(out, 0, sizeof *out);
	char full[2048], prefix[128];
	invoke_prefix(p, prefix, sizeof prefix);
	if ((size_t)snprintf(full, sizeof full, "%s%s", prefix, path) >= sizeof full)
		return svc_err_set(err, SVC_EINVAL, NULL, "path too long");
	long t = timeout_ms > 0 ? timeout_ms : p->dapr->timeout_ms;
	if (p->direct[0])
		return svc_upstream_call(p->direct, method, full, headers, nheaders, body, len, t,
					 MAX_RESP, out, err);
	struct svc_kv h[MAX_HEADERS];
	size_t nh = sidecar_headers(p->dapr, headers, nheaders, h);
	return svc_upstream_call(p->dapr->base, method, full, h, nh, body, len, t, MAX_RESP, out,
				 err);
}

struct svc_upstream *svc_peer_upstream(const struct svc_peer *p, struct event_base *base,
				       const struct svc_upstream_opts *o, struct svc_err *err)
{
	struct svc_upstream_opts opts = {0};
	if (o)
		opts = *o;
	char prefix[128];
	invoke_prefix(p, prefix, sizeof prefix);
	opts.prefix = prefix;
	struct svc_kv token = {"dapr-api-token", (char *)p->dapr->api_token};
	opts.headers = NULL;
	opts.nheaders = 0;
	if (!p->direct[0] && p->dapr->api_token[0]) {
		opts.headers = &token;
		opts.nheaders = 1;
	}
	return svc_upstream_new(base, p->direct[0] ? p->direct : p->dapr->base, &opts, err);
}

enum svc_result svc_dapr_answer(long status, const char *body, size_t len, const char *what,
				struct svc_err *err)
{
	if (ok_status(status))
		return SVC_OK;
	static const struct {
		long status;
		enum svc_result code;
	} map[] = {
		{400, SVC_EINVAL},   {401, SVC_EAUTH},   {403, SVC_EFORBIDDEN},
		{404, SVC_ENOTFOUND}, {409, SVC_ECONFLICT}, {412, SVC_EPRECOND},
		{413, SVC_ETOOBIG},  {415, SVC_EMEDIA},  {422, SVC_EUNPROCESSABLE},
		{429, SVC_ELIMIT},   {503, SVC_EUNAVAIL}, {504, SVC_ETIMEOUT},
	};
	enum svc_result code = SVC_EUPSTREAM;
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (map[i].status == status)
			code = map[i].code;
	struct svc_err theirs = {0};
	if (svc_err_parse(body, len, &theirs))
		return svc_err_set(err, code, theirs.field[0] ? theirs.field : NULL, "%s",
				   theirs.message);
	/* Every service answers errors in our shape: anything else is the
	 * sidecar's own (the peer down, a token or a policy refused). */
	return svc_err_set(err, SVC_EUPSTREAM, NULL, "%s: the sidecar answered %ld: %.120s", what,
			   status, body ? body : "");
}

/* ---- building blocks ----------------------------------------------------- */

enum svc_result svc_dapr_publish(const struct svc_dapr *d, const char *pubsub,
				 const char *topic, const char *cloudevent, size_t len,
				 const char *partition_key, struct svc_err *err)
{
	char *key = partition_key ? svc_url_escape(partition_key) : NULL;
	char path[512];
	enum svc_result r;
	if (partition_key && !key) {
		r = svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
		goto out;
	}
	snprintf(path, sizeof path, "/v1.0/publish/%s/%s%s%s", pubsub, topic,
		 key ? "?metadata.partitionKey=" : "", key ? key : "");
	static const struct svc_kv hdr[] = {{"Content-Type", "application/cloudevents+json"}};
	struct svc_up_resp resp;
	r = call(d, "POST", path, hdr, 1, cloudevent, len, &resp, err);
	if (r == SVC_OK && !ok_status(resp.status))
		r = status_error(&resp, "publish", err);
	/* The sidecar answers 404 when the pubsub component is not loaded yet:
	 * that is unavailability, not a missing resource. */
	if (r == SVC_ENOTFOUND) {
		r = SVC_EUNAVAIL;
		if (err)
			err->code = r;
	}
	svc_up_resp_cleanup(&resp);
out:
	free(key);
	char labels[192];
	snprintf(labels, sizeof labels, "topic=\"%s\",result=\"%s\"", topic,
		 r == SVC_OK ? "ok" : "error");
	svc_metrics_inc("events_out_total", "Events published through the sidecar.", labels, 1);
	return r;
}

enum svc_result svc_dapr_state_get(const struct svc_dapr *d, const char *store,
				   const char *key, char **value, char etag[128],
				   struct svc_err *err)
{
	*value = NULL;
	char *k = svc_url_escape(key);
	if (!k)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	char path[768];
	snprintf(path, sizeof path, "/v1.0/state/%s/%s", store, k);
	free(k);
	struct svc_up_resp resp;
	enum svc_result r = call(d, "GET", path, NULL, 0, NULL, 0, &resp, err);
	if (r != SVC_OK)
		return r;
	if (resp.status == 204 || (resp.status == 200 && resp.body_len == 0)) {
		r = svc_err_set(err, SVC_ENOTFOUND, NULL, "no state for key %s", key);
	} else if (resp.status != 200) {
		r = status_error(&resp, "state get", err);
	} else {
		*value = resp.body;
		resp.body = NULL;
		if (etag)
			snprintf(etag, 128, "%s", resp.etag);
	}
	svc_up_resp_cleanup(&resp);
	return r;
}

/* Fills one state request object {key, value, etag?, options?, metadata?}. */
static cJSON *state_item(const char *key, const char *value, const char *etag, long ttl_s,
			 struct svc_err *err)
{
	cJSON *item = cJSON_CreateObject();
	cJSON *v = NULL;
	if (value && svc_json_parse(value, strlen(value), &v, err) != SVC_OK) {
		cJSON_Delete(item);
		return NULL;
	}
	cJSON_AddStringToObject(item, "key", key);
	if (v)
		cJSON_AddItemToObject(item, "value", v); /* item owns v */
	if (etag) {
		cJSON_AddStringToObject(item, "etag", etag);
		cJSON *o = cJSON_AddObjectToObject(item, "options");
		cJSON_AddStringToObject(o, "concurrency", "first-write");
		cJSON_AddStringToObject(o, "consistency", "strong");
	}
	if (ttl_s > 0) {
		char ttl[24];
		snprintf(ttl, sizeof ttl, "%ld", ttl_s);
		cJSON *m = cJSON_AddObjectToObject(item, "metadata");
		cJSON_AddStringToObject(m, "ttlInSeconds", ttl);
	}
	return item;
}

static enum svc_result post_json(const struct svc_dapr *d, const char *path,
				 const cJSON *body, const char *what,
				 struct svc_err *err)
{
	char *s = cJSON_PrintUnformatted(body);
	if (!s)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	static const struct svc_kv hdr[] = {{"Content-Type", "application/json"}};
	struct svc_up_resp resp;
	enum svc_result r = call(d, "POST", path, hdr, 1, s, strlen(s), &resp, err);
	free(s);
	if (r == SVC_OK && !ok_status(resp.status))
		r = status_error(&resp, what, err);
	svc_up_resp_cleanup(&resp);
	return r;
}

enum svc_result svc_dapr_state_save(const struct svc_dapr *d, const char *store,
				    const char *key, const char *value,
				    const char *etag, struct svc_err *err)
{
	return svc_dapr_state_save_ttl(d, store, key, value, etag, 0, err);
}

enum svc_result svc_dapr_state_save_ttl(const struct svc_dapr *d, const char *store,
					const char *key, const char *value,
					const char *etag, long ttl_s, struct svc_err *err)
{
	cJSON *item = state_item(key, value, etag, ttl_s, err);
	if (!item)
		return err ? err->code : SVC_EINVAL;
	cJSON *arr = cJSON_CreateArray();
	cJSON_AddItemToArray(arr, item); /* arr owns item */
	char path[256];
	snprintf(path, sizeof path, "/v1.0/state/%s", store);
	enum svc_result r = post_json(d, path, arr, "state save", err);
	cJSON_Delete(arr);
	return r;
}

enum svc_result svc_dapr_state_delete(const struct svc_dapr *d, const char *store,
				      const char *key, const char *etag,
				      struct svc_err *err)
{
	char *k = svc_url_escape(key);
	if (!k)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	char path[768];
	/* concurrency is a query parameter of its own, not metadata. */
	snprintf(path, sizeof path, "/v1.0/state/%s/%s%s", store, k,
		 etag ? "?concurrency=first-write&consistency=strong" : "");
	free(k);
	struct svc_kv hdr[] = {{"If-Match", (char *)etag}};
	struct svc_up_resp resp;
	enum svc_result r = call(d, "DELETE", path, hdr, etag ? 1 : 0, NULL, 0, &resp, err);
	if (r == SVC_OK && !ok_status(resp.status))
		r = status_error(&resp, "state delete", err);
	svc_up_resp_cleanup(&resp);
	return r;
}

enum svc_result svc_dapr_state_transaction(const struct svc_dapr *d,
					   const char *store,
					   const cJSON *operations,
					   struct svc_err *err)
{
	cJSON *body = cJSON_CreateObject();
	cJSON *ops = cJSON_Duplicate(operations, 1);
	if (!body || !ops) {
		cJSON_Delete(body);
		cJSON_Delete(ops);
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	}
	cJSON_AddItemToObject(body, "operations", ops); /* body owns ops */
	char path[256];
	snprintf(path, sizeof path, "/v1.0/state/%s/transaction", store);
	enum svc_result r = post_json(d, path, body, "state transaction", err);
	cJSON_Delete(body);
	return r;
}

enum svc_result svc_dapr_secret(const struct svc_dapr *d, const char *store,
				const char *name, const char *key, char **value,
				struct svc_err *err)
{
	*value = NULL;
	char path[512];
	snprintf(path, sizeof path, "/v1.0/secrets/%s/%s", store, name);
	struct svc_up_resp resp;
	enum svc_result r = call(d, "GET", path, NULL, 0, NULL, 0, &resp, err);
	if (r != SVC_OK)
		return r;
	if (resp.status != 200) {
		r = status_error(&resp, "secret", err);
		svc_up_resp_cleanup(&resp);
		return r;
	}
	cJSON *obj = NULL;
	r = svc_json_parse_object(resp.body, resp.body_len, &obj, err);
	svc_up_resp_cleanup(&resp);
	if (r != SVC_OK)
		return svc_err_set(err, SVC_EUPSTREAM, NULL, "secret store answered non-JSON");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (cJSON_IsString(v) && v->valuestring[0]) {
		*value = strdup(v->valuestring);
		r = *value ? SVC_OK : svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	} else {
		r = svc_err_set(err, SVC_ENOTFOUND, NULL, "secret %s has no key %s", name, key);
	}
	cJSON_Delete(obj);
	return r;
}

enum svc_result svc_dapr_binding(const struct svc_dapr *d, const char *name,
				 const char *operation, const cJSON *data,
				 const cJSON *metadata, struct svc_up_resp *out,
				 struct svc_err *err)
{
	memset(out, 0, sizeof *out);
	cJSON *body = cJSON_CreateObject();
	if (!body)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	cJSON_AddStringToObject(body, "operation", operation);
	if (data)
		cJSON_AddItemToObject(body, "data", cJSON_Duplicate(data, 1));
	if (metadata)
		cJSON_AddItemToObject(body, "metadata", cJSON_Duplicate(metadata, 1));
	char *s = cJSON_PrintUnformatted(body);
	cJSON_Delete(body);
	if (!s)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	char path[256];
	snprintf(path, sizeof path, "/v1.0/bindings/%s", name);
	static const struct svc_kv hdr[] = {{"Content-Type", "application/json"}};
	enum svc_result r = call(d, "POST", path, hdr, 1, s, strlen(s), out, err);
	free(s);
	if (r == SVC_OK && !ok_status(out->status))
		r = status_error(out, "binding", err);
	return r;
}

bool svc_dapr_ready(const struct svc_dapr *d)
{
	struct svc_up_resp resp;
	struct svc_err err;
	if (call(d, "GET", "/v1.0/healthz/outbound", NULL, 0, NULL, 0, &resp, &err) != SVC_OK)
		return false;
	bool ok = ok_status(resp.status);
	svc_up_resp_cleanup(&resp);
	return ok;
}
