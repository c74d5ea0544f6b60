/* The JSON Schema validator: any JSON value against every tool's argument
 * and result schema; and any JSON as a schema, which when accepted by
 * agt_schema_check validates any value without harm. Errors name a field
 * and render as JSON. */
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "fuzz.h"
#include "schema.h"
#include "svc/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *v = NULL;
	struct svc_err err = {0};
	if (svc_json_parse((const char *)data, size, &v, &err) != SVC_OK)
		return 0;
	const struct agt_catalogue *cat = agt_catalogue_builtin();
	for (size_t i = 0; i < agt_catalogue_count(cat); i++) {
		const struct agt_tool *t = agt_catalogue_tool(cat, i);
		svc_err_clear(&err);
		if (agt_tool_check_args(t, v, &err) == SVC_OK)
			/* Accepted arguments are an object that also passes the schema alone. */
			SVC_FUZZ_CHECK(agt_schema_validate(t->arguments, v, NULL, &err) == SVC_OK &&
				       cJSON_IsObject(v));
		else
			svc_fuzz_check_err(&err);
		svc_err_clear(&err);
		if (agt_tool_check_result(t, v, &err) != SVC_OK)
			svc_fuzz_check_err(&err);
	}
	svc_err_clear(&err);
	if (agt_schema_check(v, &err) == SVC_OK) {
		svc_err_clear(&err);
		if (agt_schema_validate(v, v, "x", &err) != SVC_OK) {
			SVC_FUZZ_CHECK(err.code == SVC_EINVAL && err.message[0]);
			svc_fuzz_check_err(&err);
		}
	}
	cJSON_Delete(v);
	return 0;
}
