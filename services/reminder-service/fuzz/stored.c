#include "stored.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

void rem_fuzz_check_stored(const struct rem_state *s)
{
	char *text = rem_state_encode(s);
	SVC_FUZZ_CHECK(text != NULL);
	struct rem_state back;
	struct svc_err err = {0};
	SVC_FUZZ_CHECK(rem_state_decode(text, strlen(text), &back, &err) == SVC_OK);
	char *again = rem_state_encode(&back);
	SVC_FUZZ_CHECK(again && strcmp(text, again) == 0);
	free(again);
	rem_state_cleanup(&back);
	free(text);
}
