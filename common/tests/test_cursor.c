#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "svc/cursor.h"

static void round_trip_and_refusals(void **state)
{
	(void)state;
	char fp[17], other[17];
	const char *parts[] = {"unread", "1"};
	svc_fingerprint(parts, 2, fp);
	const char *parts2[] = {"unread1"};
	svc_fingerprint(parts2, 1, other);
	assert_string_not_equal(fp, other); /* parts are kept apart */

	char *c = svc_cursor_make(fp, "42", NULL);
	assert_non_null(c);
	char key[24], id[40];
	struct svc_err e = {0};
	assert_int_equal(svc_cursor_read(c, fp, key, sizeof key, NULL, 0, &e), SVC_OK);
	assert_string_equal(key, "42");
	/* A cursor without an id does not serve a query that needs one. */
	assert_int_equal(svc_cursor_read(c, fp, key, sizeof key, id, sizeof id, &e), SVC_EINVAL);
	assert_int_equal(svc_cursor_read(c, other, key, sizeof key, NULL, 0, &e), SVC_EINVAL);
	assert_string_equal(e.field, "cursor");
	assert_non_null(strstr(e.message, "another sort or other filters"));
	/* A key that does not fit the caller's buffer. */
	assert_int_equal(svc_cursor_read(c, fp, key, 2, NULL, 0, &e), SVC_EINVAL);
	free(c);

	c = svc_cursor_make(fp, "2026-01-01T00:00:00Z", "id-1");
	assert_int_equal(svc_cursor_read(c, fp, key, sizeof key, id, sizeof id, &e), SVC_OK);
	assert_string_equal(key, "2026-01-01T00:00:00Z");
	assert_string_equal(id, "id-1");
	free(c);

	const char *junk[] = {"", "!!", "e30", "eyJrIjoxfQ", "bm90IGpzb24"};
	for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
		e.message[0] = '\0';
		assert_int_equal(svc_cursor_read(junk[i], fp, key, sizeof key, NULL, 0, &e),
				 SVC_EINVAL);
		assert_string_equal(e.message, "cursor is not valid");
	}
}

static void pages_and_known_parameters(void **state)
{
	(void)state;
	struct svc_page p;
	svc_page_init(&p, 2);
	assert_true(svc_page_add(&p, "{\"id\":1}"));
	assert_true(svc_page_add(&p, "{\"id\":2}"));
	assert_false(svc_page_add(&p, "{\"id\":3}"));
	char *out = svc_page_finish(&p, "abc");
	assert_string_equal(out, "{\"items\":[{\"id\":1},{\"id\":2}],\"next_cursor\":\"abc\"}");
	free(out);
	svc_page_init(&p, 5);
	out = svc_page_finish(&p, NULL);
	assert_string_equal(out, "{\"items\":[],\"next_cursor\":null}");
	free(out);
	svc_page_init(&p, 0);
	assert_false(svc_page_add(&p, "{}"));
	assert_null(svc_page_finish(&p, NULL)); /* more follow, but no cursor */

	static const char *const names[] = {"a", "tag", NULL};
	struct svc_kv ok[] = {{"tag", "x"}, {"a", "1"}, {"tag", "y"}};
	struct svc_err e = {0};
	assert_int_equal(svc_query_known(ok, 3, names, "tag", &e), SVC_OK);
	assert_int_equal(svc_query_known(ok, 3, names, NULL, &e), SVC_EINVAL);
	assert_string_equal(e.field, "tag");
	struct svc_kv unknown[] = {{"a", "1"}, {"b", "2"}};
	assert_int_equal(svc_query_known(unknown, 2, names, NULL, &e), SVC_EINVAL);
	assert_string_equal(e.field, "b");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip_and_refusals),
		cmocka_unit_test(pages_and_known_parameters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
