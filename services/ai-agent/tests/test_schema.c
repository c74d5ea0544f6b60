#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agt_test.h"

#include "schema.h"
#include "svc/json.h"

static cJSON *parse(const char *s)
{
	return agt_test_json(s);
}

/* Validates value against schema; want_field NULL means it must pass,
 * otherwise it must fail naming that field with a message containing
 * want_msg. */
static void expect(const char *schema, const char *value, const char *want_field,
		   const char *want_msg)
{
	cJSON *s = parse(schema), *v = parse(value);
	struct svc_err e = {0};
	if (agt_schema_check(s, &e) != SVC_OK)
		fail_msg("schema %s refused: %s", schema, e.message);
	enum svc_result r = agt_schema_validate(s, v, NULL, &e);
	if (!want_field) {
		if (r != SVC_OK)
			fail_msg("%s against %s: %s", value, schema, e.message);
	} else {
		if (r != SVC_EINVAL)
			fail_msg("%s against %s passed, want an error on %s", value, schema,
				 want_field);
		if (strcmp(e.field, want_field) != 0)
			fail_msg("%s: field %s, want %s (%s)", value, e.field, want_field,
				 e.message);
		if (!strstr(e.message, want_msg))
			fail_msg("%s: message \"%s\" lacks \"%s\"", value, e.message, want_msg);
	}
	cJSON_Delete(s);
	cJSON_Delete(v);
}

#define TASKISH                                                                                    \
	"{\"type\":\"object\",\"required\":[\"title\"],\"additionalProperties\":false,"            \
	"\"properties\":{\"title\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":5},"         \
	"\"priority\":{\"type\":\"string\",\"enum\":[\"high\",\"medium\",\"low\"]},"               \
	"\"due_at\":{\"type\":[\"string\",\"null\"],\"format\":\"date-time\"},"                    \
	"\"id\":{\"type\":\"string\",\"format\":\"uuid\"},"                                        \
	"\"mins\":{\"type\":[\"integer\",\"null\"],\"minimum\":0,\"maximum\":60},"                 \
	"\"done\":{\"type\":\"boolean\"},"                                                         \
	"\"tags\":{\"type\":\"array\",\"maxItems\":2,\"items\":{\"type\":\"string\","              \
	"\"minLength\":1}},"                                                                       \
	"\"from\":{\"type\":[\"string\",\"null\"],\"enum\":[\"due\",\"completion\",null]},"        \
	"\"changes\":{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{"         \
	"\"when\":{\"type\":\"string\",\"format\":\"date-time\"}}}}}"

static void accepts(void **state)
{
	(void)state;
	expect(TASKISH, "{\"title\":\"abc\"}", NULL, NULL);
	expect(TASKISH,
	       "{\"title\":\"ab\",\"priority\":\"low\",\"due_at\":null,\"mins\":60,\"done\":true,"
	       "\"tags\":[\"x\",\"y\"],\"from\":null,\"id\":\"0b7c6f5e-2d1a-4c3b-9a8f-"
	       "1e2d3c4b5a69\"}",
	       NULL, NULL);
	expect(TASKISH, "{\"title\":\"a\",\"due_at\":\"2026-03-10T10:00:00-04:00\",\"mins\":0}",
	       NULL, NULL);
	/* Five code points, ten bytes. */
	expect(TASKISH, "{\"title\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}", NULL, NULL);
	expect(TASKISH, "{\"title\":\"a\",\"from\":\"completion\"}", NULL, NULL);
	/* 5.0 is an integer in JSON Schema. */
	expect(TASKISH, "{\"title\":\"a\",\"mins\":5.0}", NULL, NULL);
}

static void refuses_naming_the_field(void **state)
{
	(void)state;
	expect(TASKISH, "{}", "title", "title is required");
	expect(TASKISH, "[]", "", "the value must be an object");
	expect(TASKISH, "{\"title\":\"\"}", "title", "title must not be empty");
	expect(TASKISH, "{\"title\":\"abcdef\"}", "title", "at most 5 characters");
	expect(TASKISH, "{\"title\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}", "title",
	       "at most 5 characters");
	expect(TASKISH, "{\"title\":7}", "title", "title must be a string");
	expect(TASKISH, "{\"title\":\"a\",\"color\":\"red\"}", "color", "not a known field");
	expect(TASKISH, "{\"title\":\"a\",\"priority\":\"urgent\"}", "priority",
	       "must be one of \"high\", \"medium\", \"low\"");
	expect(TASKISH, "{\"title\":\"a\",\"due_at\":\"tomorrow\"}", "due_at", "RFC 3339");
	expect(TASKISH, "{\"title\":\"a\",\"due_at\":\"2026-03-10T10:00:00\"}", "due_at",
	       "with an offset");
	expect(TASKISH, "{\"title\":\"a\",\"due_at\":5}", "due_at", "must be a string or null");
	expect(TASKISH, "{\"title\":\"a\",\"id\":\"42\"}", "id", "must be a UUID");
	expect(TASKISH, "{\"title\":\"a\",\"mins\":61}", "mins", "at most 60");
	expect(TASKISH, "{\"title\":\"a\",\"mins\":-1}", "mins", "at least 0");
	expect(TASKISH, "{\"title\":\"a\",\"mins\":1.5}", "mins", "an integer or null");
	expect(TASKISH, "{\"title\":\"a\",\"mins\":\"5\"}", "mins", "an integer or null");
	expect(TASKISH, "{\"title\":\"a\",\"done\":1}", "done", "must be a boolean");
	expect(TASKISH, "{\"title\":\"a\",\"tags\":[\"a\",\"b\",\"c\"]}", "tags",
	       "at most 2 items");
	expect(TASKISH, "{\"title\":\"a\",\"tags\":[\"a\",\"\"]}", "tags[1]",
	       "tags[1] must not be empty");
	expect(TASKISH, "{\"title\":\"a\",\"tags\":\"a\"}", "tags", "must be an array");
	expect(TASKISH, "{\"title\":\"a\",\"from\":\"soon\"}", "from",
	       "one of \"due\", \"completion\", null");
	expect(TASKISH, "{\"title\":\"a\",\"changes\":{\"when\":\"x\"}}", "changes.when",
	       "changes.when must be an RFC 3339");
	expect(TASKISH, "{\"title\":\"a\",\"changes\":{\"what\":1}}", "changes.what",
	       "changes.what is not a known field");
}

static void root_prefixes_the_path(void **state)
{
	(void)state;
	cJSON *s = parse(TASKISH), *v = parse("{\"title\":\"a\",\"mins\":99}");
	struct svc_err e = {0};
	assert_int_equal(agt_schema_validate(s, v, "arguments", &e), SVC_EINVAL);
	assert_string_equal(e.field, "arguments.mins");
	assert_string_equal(e.message, "arguments.mins must be at most 60");
	cJSON_Delete(s);
	cJSON_Delete(v);
}

static void additional_properties_schema(void **state)
{
	(void)state;
	const char *s = "{\"type\":\"object\",\"additionalProperties\":{\"type\":\"integer\"}}";
	expect(s, "{\"a\":1,\"b\":2}", NULL, NULL);
	expect(s, "{\"a\":1,\"b\":\"x\"}", "b", "b must be an integer");
	/* Absent: anything goes. */
	expect("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}}}",
	       "{\"a\":\"x\",\"z\":[1,{}]}", NULL, NULL);
}

static void check_refuses_what_it_cannot_enforce(void **state)
{
	(void)state;
	const char *bad[] = {
		"{\"type\":\"object\",\"oneOf\":[]}",
		"{\"type\":\"strin\"}",
		"{\"type\":[]}",
		"{\"properties\":{\"a\":{\"$ref\":\"#/definitions/X\"}}}",
		"{\"format\":\"email\"}",
		"{\"pattern\":\"^a$\"}",
		"{\"minLength\":-1}",
		"{\"maxItems\":1.5}",
		"{\"required\":[1]}",
		"{\"enum\":[]}",
		"{\"items\":true}",
		"[]",
		NULL,
	};
	for (size_t i = 0; bad[i]; i++) {
		cJSON *s = parse(bad[i]);
		struct svc_err e = {0};
		if (agt_schema_check(s, &e) != SVC_EINVAL)
			fail_msg("schema %s was accepted", bad[i]);
		cJSON_Delete(s);
	}
	cJSON *s = parse("{\"properties\":{\"a\":{\"oneOf\":[]}}}");
	struct svc_err e = {0};
	assert_int_equal(agt_schema_check(s, &e), SVC_EINVAL);
	assert_string_equal(e.field, "properties.a.oneOf");
	cJSON_Delete(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepts),
		cmocka_unit_test(refuses_naming_the_field),
		cmocka_unit_test(root_prefixes_the_path),
		cmocka_unit_test(additional_properties_schema),
		cmocka_unit_test(check_refuses_what_it_cannot_enforce),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
