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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip_and_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
