/* GET /api/notifications: the query string (unread, limit, after_id,
 * cursor) as ntf_query_parse reads it. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "notify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = svc_fuzz_str(data, size);
	struct svc_kv *params = NULL;
	size_t n = 0;
	if (!s || svc_query_parse(s, &params, &n) != 0) {
		free(s);
		return 0;
	}
	struct ntf_query q, again;
	struct svc_err err = {0};
	if (ntf_query_parse(params, n, &q, &err) == SVC_OK) {
		SVC_FUZZ_CHECK(q.limit >= 1 && q.limit <= NTF_LIMIT_MAX);
		SVC_FUZZ_CHECK(!q.after || q.pos >= 0);
		/* The next page's cursor continues the same filter and order. */
		char *cursor = ntf_cursor_make(&q, 41);
		SVC_FUZZ_CHECK(cursor != NULL);
		struct svc_kv next[2];
		size_t m = 0;
		if (q.unread)
			next[m++] = (struct svc_kv){.name = "unread", .value = "true"};
		next[m++] = (struct svc_kv){.name = "cursor", .value = cursor};
		SVC_FUZZ_CHECK(ntf_query_parse(next, m, &again, &err) == SVC_OK);
		SVC_FUZZ_CHECK(again.unread == q.unread && again.ascending == q.ascending &&
			       again.after && again.pos == 41);
		free(cursor);
	} else {
		SVC_FUZZ_CHECK(err.code == SVC_EINVAL);
		svc_fuzz_check_err(&err);
	}
	svc_kv_free_all(params, n);
	free(s);
	return 0;
}
