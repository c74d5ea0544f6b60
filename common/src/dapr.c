#include "svc/dapr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/json.h"

#define MAX_RESP (4u << 20)

void svc_dapr_init(struct svc_dapr *d, const char *base, long timeout_ms,
		   const char *api_token)
{
	memset(d, 0, sizeof *d);
	snprintf(d->base, sizeof d->base, "%s", base);
	size_t n = strlen(d->base);
	while (n > 0 && d->base[n - 1] == '/')
		d->base[--n] = '\0';
	d->timeout_ms = timeout_ms;
	if (api_token)
		snprintf(d->api_token, sizeof d->api_token, "%s", api_token);
}

/* Sends one request to the sidecar. extra: NULL-terminated header list. */
static enum svc_result call(const struct svc_dapr *d, const char *method,
			    const char *path, const char *const *extra,
			    const char *body, size_t len,
			    struct svc_httpc_resp *out, struct svc_err *err)
{
	char url[1024];
	if ((size_t)snprintf(url, sizeof url, "%s%s", d->base, path) >= sizeof url)
		return svc_err_set(err, SVC_EINVAL, NULL, "URL too long");
	const char *headers[16];
	size_t n = 0;
	char tok[300];
	if (d->api_token[0]) {
		snprintf(tok, sizeof tok, "dapr-api-token: %s", d->api_token);
		headers[n++] = tok;
	}
	for (const char *const *h = extra; h && *h && n < 15; h++)
		headers[n++] = *h;
	headers[n] = NULL;
	return svc_httpc_request(method, url, headers, body, len, d->timeout_ms,
				 MAX_RESP, out, err);
}

/* Maps a non-2xx answer from the sidecar to a result with its message. */
static enum svc_result status_error(const struct svc_httpc_resp *r, const char *what,
				    struct svc_err *err)
{
	enum svc_result code = SVC_EUPSTREAM;
	if (r->status == 404)
		code = SVC_ENOTFOUND;
	else if (r->status == 409 || r->status == 412)
		code = SVC_ECONFLICT;
	else if (r->status == 503 || r->status == 500)
		code = SVC_EUNAVAIL;
	return svc_err_set(err, code, NULL, "%s: sidecar answered %ld: %.160s", what,
			   r->status, r->body ? r->body : "");
}

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
	static const char *const hdr[] = {"Content-Type: application/cloudevents+json", NULL};
	struct svc_httpc_resp resp;
	r = call(d, "POST", path, hdr, cloudevent, len, &resp, err);
	if (r == SVC_OK && (resp.status < 200 || resp.status > 299))
		r = status_error(&resp, "publish", err);
	/* The sidecar answers 404 when the pubsub component is not loaded yet:
	 * that is unavailability, not a missing resource. */
	if (r == SVC_ENOTFOUND) {
		r = SVC_EUNAVAIL;
		if (err)
			err->code = r;
	}
	svc_httpc_resp_cleanup(&resp);
out:
	free(key);
	return r;
}

enum svc_result svc_dapr_invoke(const struct svc_dapr *d, const char *app_id,
				const char *method, const char *path,
				const char *const *headers, const char *body,
				size_t body_len, struct svc_httpc_resp *out,
				struct svc_err *err)
{
	char p[1024];
	if ((size_t)snprintf(p, sizeof p, "/v1.0/invoke/%s/method%s", app_id, path) >= sizeof p)
		return svc_err_set(err, SVC_EINVAL, NULL, "path too long");
	return call(d, method, p, headers, body, body_len, out, err);
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
	struct svc_httpc_resp resp;
	enum svc_result r = call(d, "GET", path, NULL, NULL, 0, &resp, err);
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
	svc_httpc_resp_cleanup(&resp);
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
	static const char *const hdr[] = {"Content-Type: application/json", NULL};
	struct svc_httpc_resp resp;
	enum svc_result r = call(d, "POST", path, hdr, s, strlen(s), &resp, err);
	free(s);
	if (r == SVC_OK && (resp.status < 200 || resp.status > 299))
		r = status_error(&resp, what, err);
	svc_httpc_resp_cleanup(&resp);
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
	char path[768], ifm[200];
	/* concurrency is a query parameter of its own, not metadata. */
	snprintf(path, sizeof path, "/v1.0/state/%s/%s%s", store, k,
		 etag ? "?concurrency=first-write&consistency=strong" : "");
	free(k);
	const char *hdr[] = {NULL, NULL};
	if (etag) {
		snprintf(ifm, sizeof ifm, "If-Match: %s", etag);
		hdr[0] = ifm;
	}
	struct svc_httpc_resp resp;
	enum svc_result r = call(d, "DELETE", path, hdr, NULL, 0, &resp, err);
	if (r == SVC_OK && (resp.status < 200 || resp.status > 299))
		r = status_error(&resp, "state delete", err);
	svc_httpc_resp_cleanup(&resp);
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
	struct svc_httpc_resp resp;
	enum svc_result r = call(d, "GET", path, NULL, NULL, 0, &resp, err);
	if (r != SVC_OK)
		return r;
	if (resp.status != 200) {
		r = status_error(&resp, "secret", err);
		svc_httpc_resp_cleanup(&resp);
		return r;
	}
	cJSON *obj = NULL;
	r = svc_json_parse_object(resp.body, resp.body_len, &obj, err);
	svc_httpc_resp_cleanup(&resp);
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
				 const cJSON *metadata, struct svc_httpc_resp *out,
				 struct svc_err *err)
{
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
	static const char *const hdr[] = {"Content-Type: application/json", NULL};
	enum svc_result r = call(d, "POST", path, hdr, s, strlen(s), out, err);
	free(s);
	if (r == SVC_OK && (out->status < 200 || out->status > 299))
		r = status_error(out, "binding", err);
	return r;
}

bool svc_dapr_ready(const struct svc_dapr *d)
{
	struct svc_httpc_resp resp;
	struct svc_err err;
	if (call(d, "GET", "/v1.0/healthz/outbound", NULL, NULL, 0, &resp, &err) != SVC_OK)
		return false;
	bool ok = resp.status >= 200 && resp.status < 300;
	svc_httpc_resp_cleanup(&resp);
	return ok;
}
