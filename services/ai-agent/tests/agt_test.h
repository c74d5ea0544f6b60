/* Helpers shared by ai-agent's unit tests (include after cmocka.h). */
#ifndef AGT_TEST_H
#define AGT_TEST_H

#include <string.h>

#include "svc/json.h"

/* Parses test JSON that must be valid; caller frees with cJSON_Delete. */
static inline cJSON *agt_test_json(const char *s)
{
	cJSON *v = NULL;
	struct svc_err e = {0};
	if (svc_json_parse(s, strlen(s), &v, &e) != SVC_OK)
		fail_msg("bad test JSON %s: %s", s, e.message);
	return v;
}

#endif
