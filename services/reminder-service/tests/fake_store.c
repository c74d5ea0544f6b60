#include "fake_store.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

struct fake_store fake;

void fake_reset(void)
{
	free(fake.json);
	memset(&fake, 0, sizeof fake);
}

void fake_store_state(const struct rem_state *s)
{
	free(fake.json);
	fake.json = rem_state_encode(s);
	assert_non_null(fake.json);
	fake.etag++;
}

void fake_stored(struct rem_state *out)
{
	struct svc_err err = {0};
	assert_non_null(fake.json);
	assert_int_equal(rem_state_decode(fake.json, strlen(fake.json), out, &err), SVC_OK);
}

enum svc_result rem_store_get(const struct rem_store *st, const char *task_id,
			      struct rem_state *out, char etag[128], struct svc_err *err)
{
	(void)st;
	(void)task_id;
	memset(out, 0, sizeof *out);
	fake.gets++;
	if (fake.get_fails)
		return svc_err_set(err, fake.get_fails, NULL, "get fails");
	if (!fake.json)
		return svc_err_set(err, SVC_ENOTFOUND, NULL, "none");
	fake_stored(out);
	snprintf(etag, 128, "%d", fake.etag);
	return SVC_OK;
}

enum svc_result rem_store_put(const struct rem_store *st, const struct rem_state *s,
			      const char *etag, struct svc_err *err)
{
	(void)st;
	if (fake.before_put) {
		void (*hook)(void) = fake.before_put;
		fake.before_put = NULL;
		hook();
	}
	if (fake.put_fails)
		return svc_err_set(err, fake.put_fails, NULL, "put fails");
	if (etag ? !fake.json || atoi(etag) != fake.etag : fake.json != NULL)
		return svc_err_set(err, SVC_ECONFLICT, NULL, "etag mismatch");
	fake.puts++;
	fake_store_state(s);
	return SVC_OK;
}

enum svc_result rem_store_index(const struct rem_store *st, const char *task_id, long version,
				long long at_ms, struct svc_err *err)
{
	(void)st;
	(void)task_id;
	fake.index_calls++;
	if (fake.index_fails)
		return svc_err_set(err, fake.index_fails, NULL, "index fails");
	fake.index_version = version;
	fake.index_at = at_ms;
	return SVC_OK;
}

enum svc_result rem_store_claim(const struct rem_store *st, long long now_ms,
				long long horizon_ms, long lease_ms, size_t limit,
				struct rem_claim **out, size_t *n, struct svc_err *err)
{
	(void)st;
	(void)now_ms;
	(void)horizon_ms;
	(void)lease_ms;
	(void)err;
	fake.claim_calls++;
	*n = fake.nclaims < limit ? fake.nclaims : limit;
	*out = NULL;
	if (*n) {
		*out = calloc(*n, sizeof **out);
		assert_non_null(*out);
		memcpy(*out, fake.claims, *n * sizeof **out);
		memmove(fake.claims, fake.claims + *n, (fake.nclaims - *n) * sizeof **out);
		fake.nclaims -= *n;
	}
	return SVC_OK;
}

enum svc_result rem_store_done(const struct rem_store *st, const struct rem_claim *c,
			       struct svc_err *err)
{
	(void)st;
	(void)c;
	(void)err;
	fake.done++;
	return SVC_OK;
}

enum svc_result rem_store_retry(const struct rem_store *st, const struct rem_claim *c,
				long long retry_at_ms, struct svc_err *err)
{
	(void)st;
	(void)c;
	(void)retry_at_ms;
	(void)err;
	fake.retried++;
	return SVC_OK;
}

enum svc_result rem_store_release(const struct rem_store *st, const struct rem_claim *c,
				  struct svc_err *err)
{
	(void)st;
	(void)c;
	(void)err;
	fake.released++;
	return SVC_OK;
}
