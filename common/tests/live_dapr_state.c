/* The Dapr state API (svc_dapr_state_*) against a real sidecar and its
 * state.redis store. Not a unit test: tests/system/test_dapr_state.py runs
 * it with DAPR_HTTP_ENDPOINT pointing at a sidecar of the stack (and
 * STATE_STORE, default "statestore"). Keys are random, so runs never meet. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "svc/dapr.h"
#include "svc/util.h"

static struct svc_dapr dapr;
static const char *store;

static void key(char *out, size_t n, const char *name)
{
	char id[37];
	svc_uuid_v4(id);
	snprintf(out, n, "selftest:%s:%s", name, id);
}

/* The sidecar decodes the value into a Go map and encodes it again, so
 * object members may come back in another order: compare as JSON. */
static void assert_json_equal(const char *got, const char *want)
{
	cJSON *g = cJSON_Parse(got), *w = cJSON_Parse(want);
	if (!cJSON_Compare(g, w, 1))
		fail_msg("got %s, want %s", got, want);
	cJSON_Delete(g);
	cJSON_Delete(w);
}

/* Reads key; returns its value (caller frees) or NULL when missing. */
static char *get(const char *k, char etag[128])
{
	char *v = NULL;
	struct svc_err e = {0};
	enum svc_result r = svc_dapr_state_get(&dapr, store, k, &v, etag, &e);
	if (r == SVC_ENOTFOUND)
		return NULL;
	assert_int_equal(r, SVC_OK);
	return v;
}

static void missing_key_is_not_found(void **state)
{
	(void)state;
	char k[96], etag[128];
	key(k, sizeof k, "missing");
	char *v = (char *)1;
	struct svc_err e = {0};
	assert_int_equal(svc_dapr_state_get(&dapr, store, k, &v, etag, &e), SVC_ENOTFOUND);
	assert_null(v);
}

static void save_get_roundtrip_with_etag(void **state)
{
	(void)state;
	char k[96], etag[128] = "";
	key(k, sizeof k, "rt");
	struct svc_err e = {0};
	assert_int_equal(svc_dapr_state_save(&dapr, store, k, "{\"a\":1,\"s\":\"x y\"}", NULL, &e),
			 SVC_OK);
	char *v = get(k, etag);
	assert_non_null(v);
	assert_json_equal(v, "{\"a\":1,\"s\":\"x y\"}");
	assert_true(etag[0] != '\0');
	free(v);
	/* Keys with characters that need escaping in the URL. */
	char odd[128];
	snprintf(odd, sizeof odd, "%s|a b:%%", k);
	assert_int_equal(svc_dapr_state_save(&dapr, store, odd, "[1]", NULL, &e), SVC_OK);
	v = get(odd, etag);
	assert_non_null(v);
	assert_json_equal(v, "[1]");
	free(v);
	assert_int_equal(svc_dapr_state_delete(&dapr, store, odd, NULL, &e), SVC_OK);
	assert_null(get(odd, etag));
	assert_int_equal(svc_dapr_state_delete(&dapr, store, k, NULL, &e), SVC_OK);
}

static void etag_writes_are_first_write_wins(void **state)
{
	(void)state;
	char k[96], etag[128] = "", old[128];
	key(k, sizeof k, "etag");
	struct svc_err e = {0};
	/* "0": only while the key does not exist. */
	assert_int_equal(svc_dapr_state_save(&dapr, store, k, "{\"v\":1}", "0", &e), SVC_OK);
	assert_int_equal(svc_dapr_state_save(&dapr, store, k, "{\"v\":9}", "0", &e),
			 SVC_ECONFLICT);
	char *v = get(k, etag);
	assert_json_equal(v, "{\"v\":1}");
	free(v);
	snprintf(old, sizeof old, "%s", etag);
	assert_int_equal(svc_dapr_state_save(&dapr, store, k, "{\"v\":2}", etag, &e), SVC_OK);
	/* The same (now stale) ETag again loses. */
	assert_int_equal(svc_dapr_state_save(&dapr, store, k, "{\"v\":3}", old, &e), SVC_ECONFLICT);
	v = get(k, etag);
	assert_json_equal(v, "{\"v\":2}");
	free(v);
	assert_string_not_equal(etag, old);
	/* Delete with a stale ETag is refused, with the current one done. */
	assert_int_equal(svc_dapr_state_delete(&dapr, store, k, old, &e), SVC_ECONFLICT);
	assert_int_equal(svc_dapr_state_delete(&dapr, store, k, etag, &e), SVC_OK);
	assert_null(get(k, etag));
	/* Deleting what is not there is fine. */
	assert_int_equal(svc_dapr_state_delete(&dapr, store, k, NULL, &e), SVC_OK);
}

static void bad_value_is_refused_before_sending(void **state)
{
	(void)state;
	char k[96];
	key(k, sizeof k, "bad");
	struct svc_err e = {0};
	assert_int_equal(svc_dapr_state_save(&dapr, store, k, "{not json", NULL, &e), SVC_EINVAL);
}

static void ttl_expires_the_key(void **state)
{
	(void)state;
	char k[96], etag[128];
	key(k, sizeof k, "ttl");
	struct svc_err e = {0};
	assert_int_equal(svc_dapr_state_save_ttl(&dapr, store, k, "{\"t\":1}", "0", 1, &e), SVC_OK);
	char *v = get(k, etag);
	assert_non_null(v);
	free(v);
	for (int i = 0; i < 40 && (v = get(k, etag)) != NULL; i++) {
		free(v);
		usleep(100 * 1000);
	}
	assert_null(v);
}

static cJSON *op(const char *what, const char *k, const char *value, const char *etag)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "operation", what);
	cJSON *req = cJSON_AddObjectToObject(o, "request");
	cJSON_AddStringToObject(req, "key", k);
	if (value)
		cJSON_AddItemToObject(req, "value", cJSON_Parse(value));
	if (etag) {
		cJSON_AddStringToObject(req, "etag", etag);
		cJSON *opts = cJSON_AddObjectToObject(req, "options");
		cJSON_AddStringToObject(opts, "concurrency", "first-write");
	}
	return o;
}

static void transaction_applies_upserts_and_deletes(void **state)
{
	(void)state;
	char a[96], b[96], etag[128];
	key(a, sizeof a, "txa");
	key(b, sizeof b, "txb");
	struct svc_err e = {0};
	assert_int_equal(svc_dapr_state_save(&dapr, store, b, "{\"b\":1}", NULL, &e), SVC_OK);
	cJSON *ops = cJSON_CreateArray();
	cJSON_AddItemToArray(ops, op("upsert", a, "{\"a\":1}", NULL));
	cJSON_AddItemToArray(ops, op("delete", b, NULL, NULL));
	assert_int_equal(svc_dapr_state_transaction(&dapr, store, ops, &e), SVC_OK);
	cJSON_Delete(ops);
	char *v = get(a, etag);
	assert_json_equal(v, "{\"a\":1}");
	free(v);
	assert_null(get(b, etag));

	/* A stale ETag fails the call; state.redis does not roll back the
	 * others (what dapr.h warns of). */
	ops = cJSON_CreateArray();
	cJSON_AddItemToArray(ops, op("upsert", b, "{\"b\":2}", NULL));
	cJSON_AddItemToArray(ops, op("upsert", a, "{\"a\":2}", "999"));
	assert_int_equal(svc_dapr_state_transaction(&dapr, store, ops, &e), SVC_EUNAVAIL);
	cJSON_Delete(ops);
	v = get(a, etag);
	assert_json_equal(v, "{\"a\":1}");
	free(v);
	v = get(b, etag);
	assert_non_null(v);
	free(v);
	assert_int_equal(svc_dapr_state_delete(&dapr, store, a, NULL, &e), SVC_OK);
	assert_int_equal(svc_dapr_state_delete(&dapr, store, b, NULL, &e), SVC_OK);
}

int main(void)
{
	const char *base = getenv("DAPR_HTTP_ENDPOINT");
	if (!base || !*base) {
		fprintf(stderr, "live_dapr_state: set DAPR_HTTP_ENDPOINT to a running sidecar\n");
		return 2;
	}
	store = getenv("STATE_STORE");
	if (!store || !*store)
		store = "statestore";
	struct svc_err err = {0};
	if (svc_dapr_init(&dapr, base, 5000, getenv("DAPR_API_TOKEN"), &err) != SVC_OK) {
		fprintf(stderr, "live_dapr_state: %s\n", err.message);
		return 2;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(missing_key_is_not_found),
		cmocka_unit_test(save_get_roundtrip_with_etag),
		cmocka_unit_test(etag_writes_are_first_write_wins),
		cmocka_unit_test(bad_value_is_refused_before_sending),
		cmocka_unit_test(ttl_expires_the_key),
		cmocka_unit_test(transaction_applies_upserts_and_deletes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
