/* cursor.c: the opaque cursor a client sends back to page through a list
 * (task-service and notifier read it into fixed buffers). */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "svc/cursor.h"

#define FP "00112233445566ff"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = svc_fuzz_str(data, size);
	if (!s)
		return 0;
	char key[64], id[37];
	struct svc_err err = {0};
	if (svc_cursor_read(s, FP, key, sizeof key, id, sizeof id, &err) == SVC_OK) {
		SVC_FUZZ_CHECK(strlen(key) < sizeof key && strlen(id) < sizeof id);
		/* The cursor we would make for that position reads back to it. */
		char *c = svc_cursor_make(FP, key, id);
		char key2[64], id2[37];
		SVC_FUZZ_CHECK(c && svc_cursor_read(c, FP, key2, sizeof key2, id2, sizeof id2,
						    &err) == SVC_OK);
		SVC_FUZZ_CHECK(strcmp(key, key2) == 0 && strcmp(id, id2) == 0);
		free(c);
	} else {
		SVC_FUZZ_CHECK(err.code == SVC_EINVAL && strcmp(err.field, "cursor") == 0);
		svc_fuzz_check_err(&err);
	}
	/* A cursor without an id, as notifier reads them, into a small key. */
	char small[24];
	svc_cursor_read(s, FP, small, sizeof small, NULL, 0, &err);
	free(s);
	return 0;
}
