#include "svc/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool svc_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	while (p < end) {
		unsigned char c = *p;
		size_t n;
		unsigned int cp;
		if (c == 0)
			return false;
		if (c < 0x80) {
			p++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if ((size_t)(end - p) <= n)
			return false;
		for (size_t i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		/* Overlong forms, surrogates, beyond U+10FFFF. */
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		p += n + 1;
	}
	return true;
}

size_t svc_utf8_len(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xc0) != 0x80)
			n++;
	return n;
}

/* Rejects over-deep nesting (-1), duplicate keys (-2; the key through *dup,
 * borrowed) and numbers too large for a double (-3: cJSON reads them as
 * infinity and would write them back as null). */
static int check_tree(const cJSON *v, int depth, const char **dup)
{
	if (depth > SVC_JSON_MAX_DEPTH)
		return -1;
	if (cJSON_IsNumber(v) && !isfinite(v->valuedouble))
		return -3;
	if (cJSON_IsObject(v)) {
		for (const cJSON *a = v->child; a; a = a->next) {
			for (const cJSON *b = a->next; b; b = b->next) {
				if (strcmp(a->string, b->string) == 0) {
					*dup = a->string;
					return -2;
				}
			}
		}
	}
	if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
		for (const cJSON *c = v->child; c; c = c->next) {
			int rc = check_tree(c, depth + 1, dup);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* What scan_text finds wrong before cJSON reads the text. */
enum scan_fault { SCAN_OK, SCAN_DEEP, SCAN_CONTROL, SCAN_NUL };

struct scan {
	enum scan_fault fault;
	size_t at;      /* byte offset of the fault */
	char field[64]; /* the innermost member name around it, raw; "" at top */
};

/* A fault in the string that opens at str_start names that string when it
 * is itself a member name, else the member it is the value of (outer). */
static void name_fault(const char *buf, size_t len, size_t str_start, const char *outer,
		       struct scan *sc)
{
	size_t end = str_start + 1;
	while (end < len && buf[end] != '"')
		end += buf[end] == '\\' ? 2 : 1;
	size_t j = end + 1;
	while (j < len && (buf[j] == ' ' || buf[j] == '\t' || buf[j] == '\r' || buf[j] == '\n'))
		j++;
	if (end < len && j < len && buf[j] == ':') {
		size_t n = end - str_start - 1;
		if (n >= sizeof sc->field)
			n = sizeof sc->field - 1;
		memcpy(sc->field, buf + str_start + 1, n);
		sc->field[n] = '\0';
	} else {
		snprintf(sc->field, sizeof sc->field, "%s", outer);
	}
}

/* One pass over the raw text, before cJSON sees it:
 * - nesting deeper than SVC_JSON_MAX_DEPTH (cJSON recurses up to its own
 *   limit of 1000; refuse deep input first so the stack stays small);
 * - a raw control character (U+0000..U+001F) inside a string, which JSON
 *   forbids and cJSON lets through;
 * - the escape \u0000, which cJSON decodes into a C string that then ends
 *   there: "a\u0000b" would silently become "a".
 * It follows member names (a string followed by ':') so a fault can name
 * the field it is in. */
static void scan_text(const char *buf, size_t len, struct scan *sc)
{
	/* The member name open at each depth (raw text, possibly cut). */
	char keys[SVC_JSON_MAX_DEPTH + 1][sizeof sc->field];
	int depth = 0;
	size_t str_start = 0;
	bool in_str = false;
	memset(sc, 0, sizeof *sc);
	keys[0][0] = '\0';
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (in_str) {
			if (c < 0x20) {
				sc->fault = SCAN_CONTROL;
			} else if (c == '\\') {
				if (i + 5 < len && buf[i + 1] == 'u' && memcmp(buf + i + 2, "0000", 4) == 0)
					sc->fault = SCAN_NUL;
				i++;
			} else if (c == '"') {
				in_str = false;
				/* A member name when ':' comes next. */
				size_t j = i + 1;
				while (j < len && (buf[j] == ' ' || buf[j] == '\t' || buf[j] == '\r' ||
						   buf[j] == '\n'))
					j++;
				if (j < len && buf[j] == ':' && depth > 0) {
					size_t n = i - str_start - 1;
					if (n >= sizeof keys[0])
						n = sizeof keys[0] - 1;
					memcpy(keys[depth], buf + str_start + 1, n);
					keys[depth][n] = '\0';
				}
			}
			if (sc->fault) {
				sc->at = i;
				name_fault(buf, len, str_start, depth > 0 ? keys[depth] : "", sc);
				return;
			}
		} else if (c == '"') {
			in_str = true;
			str_start = i;
		} else if (c == '{' || c == '[') {
			if (++depth > SVC_JSON_MAX_DEPTH) {
				sc->fault = SCAN_DEEP;
				sc->at = i;
				return;
			}
			/* An array inherits the name it is the value of; an object
			 * starts without one until its first member name. */
			snprintf(keys[depth], sizeof keys[depth], "%s",
				 c == '[' ? keys[depth - 1] : "");
		} else if (c == '}' || c == ']') {
			if (depth > 0)
				depth--;
		}
	}
}

enum svc_result svc_json_parse(const char *buf, size_t len, cJSON **out,
			       struct svc_err *err)
{
	*out = NULL;
	if (!buf || len == 0)
		return svc_err_set(err, SVC_EINVAL, NULL, "request body is empty");
	if (!svc_utf8_valid(buf, len))
		return svc_err_set(err, SVC_EINVAL, NULL,
				   "request body is not valid UTF-8 text");
	struct scan sc;
	scan_text(buf, len, &sc);
	const char *field = sc.field[0] ? sc.field : NULL;
	switch (sc.fault) {
	case SCAN_OK:
		break;
	case SCAN_DEEP:
		return svc_err_set(err, SVC_EINVAL, NULL, "JSON nested deeper than %d levels",
				   SVC_JSON_MAX_DEPTH);
	case SCAN_CONTROL:
		return svc_err_set(err, SVC_EINVAL, field,
				   "%s%scontrol character inside a JSON string at byte %zu (escape it)",
				   field ? field : "", field ? ": " : "", sc.at);
	case SCAN_NUL:
		return svc_err_set(err, SVC_EINVAL, field,
				   "%s%sa string may not contain NUL (\\u0000) at byte %zu",
				   field ? field : "", field ? ": " : "", sc.at);
	}
	const char *end = NULL;
	cJSON *v = cJSON_ParseWithLengthOpts(buf, len, &end, false);
	if (!v) {
		size_t at = end ? (size_t)(end - buf) : 0;
		return svc_err_set(err, SVC_EINVAL, NULL, "malformed JSON at byte %zu", at);
	}
	/* Only whitespace may follow the value. */
	for (const char *p = end; p < buf + len; p++) {
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
			cJSON_Delete(v);
			return svc_err_set(err, SVC_EINVAL, NULL,
					   "unexpected data after JSON value at byte %zu",
					   (size_t)(p - buf));
		}
	}
	const char *dup = NULL;
	int rc = check_tree(v, 1, &dup);
	if (rc == -2) {
		svc_err_set(err, SVC_EINVAL, dup, "duplicate key \"%s\"", dup);
		cJSON_Delete(v);
		return SVC_EINVAL;
	}
	if (rc == -3) {
		cJSON_Delete(v);
		return svc_err_set(err, SVC_EINVAL, NULL, "JSON number out of range");
	}
	if (rc) {
		cJSON_Delete(v);
		return svc_err_set(err, SVC_EINVAL, NULL, "JSON nested deeper than %d levels",
				   SVC_JSON_MAX_DEPTH);
	}
	*out = v;
	return SVC_OK;
}

enum svc_result svc_json_parse_object(const char *buf, size_t len, cJSON **out,
				      struct svc_err *err)
{
	enum svc_result r = svc_json_parse(buf, len, out, err);
	if (r != SVC_OK)
		return r;
	if (!cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		return svc_err_set(err, SVC_EINVAL, NULL, "request body must be a JSON object");
	}
	return SVC_OK;
}

enum svc_result svc_json_only_keys(const cJSON *obj, const char *const *allowed,
				   struct svc_err *err)
{
	for (const cJSON *c = obj->child; c; c = c->next) {
		bool ok = false;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = strcmp(*a, c->string) == 0;
		if (!ok)
			return svc_err_set(err, SVC_EINVAL, c->string, "unknown field \"%s\"",
					   c->string);
	}
	return SVC_OK;
}

enum svc_result svc_json_string(const cJSON *obj, const char *name, bool required,
				size_t min, size_t max, const char **out,
				struct svc_err *err)
{
	*out = NULL;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	if (!v || cJSON_IsNull(v)) {
		if (required)
			return svc_err_set(err, SVC_EINVAL, name, "%s is required", name);
		return SVC_OK;
	}
	if (!cJSON_IsString(v))
		return svc_err_set(err, SVC_EINVAL, name, "%s must be a string", name);
	size_t n = svc_utf8_len(v->valuestring);
	if (n < min || n > max)
		return svc_err_set(err, SVC_EINVAL, name,
				   "%s must be %zu to %zu characters long", name, min, max);
	*out = v->valuestring;
	return SVC_OK;
}

enum svc_result svc_json_int(const cJSON *obj, const char *name, bool required,
			     long min, long max, long *out, bool *present,
			     struct svc_err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	if (present)
		*present = false;
	if (!v || cJSON_IsNull(v)) {
		if (required)
			return svc_err_set(err, SVC_EINVAL, name, "%s is required", name);
		return SVC_OK;
	}
	/* Whole and inside a long before it is converted, then compared as a
	 * long: (double)LONG_MAX rounds up to 2^63, which no long holds. */
	double d = v->valuedouble;
	if (!cJSON_IsNumber(v) || d != floor(d) || d < -0x1p63 || d >= 0x1p63 || (long)d < min ||
	    (long)d > max)
		return svc_err_set(err, SVC_EINVAL, name,
				   "%s must be an integer from %ld to %ld", name, min, max);
	*out = (long)d;
	if (present)
		*present = true;
	return SVC_OK;
}
