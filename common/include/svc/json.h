/* Strict JSON input: valid UTF-8, no NUL (raw or \u0000), no raw control
 * character in a string, no trailing bytes, no duplicate
 * keys, bounded depth, no number beyond a double's range; plus field
 * readers that record what is wrong. */
#ifndef SVC_JSON_H
#define SVC_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "svc/result.h"

#define SVC_JSON_MAX_DEPTH 32

/* Parses buf[0..len) as one JSON value. On success *out holds the value
 * (caller frees with cJSON_Delete). On failure returns SVC_EINVAL with a
 * message in err and leaves *out NULL. */
enum svc_result svc_json_parse(const char *buf, size_t len, cJSON **out,
			       struct svc_err *err);
/* As svc_json_parse, and the value must be an object. */
enum svc_result svc_json_parse_object(const char *buf, size_t len, cJSON **out,
				      struct svc_err *err);

bool svc_utf8_valid(const char *s, size_t len);
/* Number of code points in a valid UTF-8 string. */
size_t svc_utf8_len(const char *s);

/* Fails with SVC_EINVAL naming the first key of obj not in allowed
 * (a NULL-terminated list). */
enum svc_result svc_json_only_keys(const cJSON *obj, const char *const *allowed,
				   struct svc_err *err);

/* Reads a string member. Absent or null: *out = NULL, and an error only if
 * required. A non-string, or a length in code points outside [min,max], is
 * an error. *out is borrowed from obj. */
enum svc_result svc_json_string(const cJSON *obj, const char *name, bool required,
				size_t min, size_t max, const char **out,
				struct svc_err *err);

/* Reads an integer member in [min,max]; *present tells whether it was
 * there (null counts as absent). */
enum svc_result svc_json_int(const cJSON *obj, const char *name, bool required,
			     long min, long max, long *out, bool *present,
			     struct svc_err *err);

#endif
