/* JSON Schema, the subset proto/agent-tools.json uses, no I/O: checks a
 * value against a schema and names the first field that is wrong.
 *
 * Keywords: type (a name or a list of names, "integer" being a number
 * with no fraction), enum, required, properties, additionalProperties
 * (false, or a schema for the others), minLength and maxLength (in code
 * points), minimum and maximum, items, minItems and maxItems, format
 * "date-time" (RFC 3339 with an offset) and "uuid". description, title,
 * default and examples are notes. Any other keyword is refused by
 * agt_schema_check, so that a catalogue edit cannot weaken validation by
 * using a keyword nobody enforces. */
#ifndef AGT_SCHEMA_H
#define AGT_SCHEMA_H

#include <cjson/cJSON.h>

#include "svc/result.h"

/* Checks that value matches schema. On a mismatch returns SVC_EINVAL with
 * err->field the path of the wrong value below root ("priority",
 * "changes.due_at", "tags[2]"; root itself when value is wrong as a whole)
 * and err->message a sentence that starts with that path, e.g.
 * "priority must be one of \"high\", \"medium\", \"low\"". root may be ""
 * or NULL. schema must have passed agt_schema_check. Neither argument is
 * changed. */
enum svc_result agt_schema_validate(const cJSON *schema, const cJSON *value, const char *root,
				    struct svc_err *err);

/* Checks that schema is one this validator enforces completely: only the
 * keywords above, each with a value of the right kind, and no "$ref" left.
 * SVC_EINVAL naming the schema path otherwise. */
enum svc_result agt_schema_check(const cJSON *schema, struct svc_err *err);

#endif
