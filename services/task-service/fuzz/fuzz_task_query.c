/* GET /api/tasks: the query string (q, status, priority, tags, due range,
 * overdue, sort, limit, cursor) as tsk_query_parse reads it, and an
 * If-Match header. Input: the query string, a newline, If-Match. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "svc/util.h"
#include "task.h"

/* A sort key of the query's sort, as the store would put in a cursor. */
static const char *key_for(enum tsk_sort s)
{
	switch (s) {
	case TSK_SORT_PRIORITY: return "2";
	case TSK_SORT_TITLE: return "Water the plants";
	default: return "2026-01-02T03:04:05.678Z";
	}
}

/* The cursor made for a page of q continues q: parsed again with it in
 * place of any cursor given, the query is the same, now after that row. */
static void cursor_round_trip(const struct svc_kv *params, size_t n, const struct tsk_query *q)
{
	static const char id[] = "6f1c2b7a-8d2e-4f10-b3a4-5c6d7e8f9a0b";
	char *cursor = tsk_cursor_make(q, key_for(q->sort), id);
	SVC_FUZZ_CHECK(cursor != NULL);
	struct svc_kv *with = calloc(n + 1, sizeof *with);
	SVC_FUZZ_CHECK(with != NULL);
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(params[i].name, "cursor") != 0)
			with[m++] = params[i];
	with[m++] = (struct svc_kv){.name = "cursor", .value = cursor};
	struct tsk_query *again = malloc(sizeof *again);
	struct svc_err err = {0};
	SVC_FUZZ_CHECK(again && tsk_query_parse(with, m, again, &err) == SVC_OK);
	SVC_FUZZ_CHECK(again->after && strcmp(again->after_key, key_for(q->sort)) == 0 &&
		       strcmp(again->after_id, id) == 0);
	SVC_FUZZ_CHECK(again->sort == q->sort && again->desc == q->desc &&
		       again->ntags == q->ntags && strcmp(again->q, q->q) == 0);
	free(again);
	free(with);
	free(cursor);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *f[2];
	char *s = svc_fuzz_split(data, size, f, 2);
	if (!s)
		return 0;
	struct svc_kv *params = NULL;
	size_t n = 0;
	/* struct tsk_query is large: on the heap, as ASan checks it best. */
	struct tsk_query *q = malloc(sizeof *q);
	struct svc_err err = {0};
	if (q && svc_query_parse(f[0], &params, &n) == 0) {
		if (tsk_query_parse(params, n, q, &err) == SVC_OK) {
			SVC_FUZZ_CHECK(q->limit >= 1 && q->limit <= TSK_LIMIT_MAX &&
				       q->ntags <= TSK_TAGS_MAX);
			cursor_round_trip(params, n, q);
		} else {
			SVC_FUZZ_CHECK(err.code == SVC_EINVAL);
			svc_fuzz_check_err(&err);
		}
		svc_kv_free_all(params, n);
	}
	tsk_if_match(f[1], 5);
	free(q);
	free(s);
	return 0;
}
