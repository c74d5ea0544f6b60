#include "schema.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/json.h"
#include "svc/util.h"

/* Where in the value (or schema) we are, as "changes.tags[2]". Cut, never
 * overrun: the path only names things in messages. */
struct path {
	char s[192];
	size_t len;
};

static void path_init(struct path *p, const char *root)
{
	p->len = 0;
	p->s[0] = '\0';
	if (root && *root) {
		snprintf(p->s, sizeof p->s, "%s", root);
		p->len = strlen(p->s);
	}
}

static size_t path_key(struct path *p, const char *key)
{
	size_t mark = p->len;
	int n = snprintf(p->s + p->len, sizeof p->s - p->len, "%s%s", p->len ? "." : "", key);
	if (n > 0)
		p->len = p->len + (size_t)n < sizeof p->s ? p->len + (size_t)n : sizeof p->s - 1;
	return mark;
}

static size_t path_index(struct path *p, int i)
{
	size_t mark = p->len;
	int n = snprintf(p->s + p->len, sizeof p->s - p->len, "[%d]", i);
	if (n > 0)
		p->len = p->len + (size_t)n < sizeof p->s ? p->len + (size_t)n : sizeof p->s - 1;
	return mark;
}

static void path_back(struct path *p, size_t mark)
{
	p->len = mark;
	p->s[mark] = '\0';
}

static const char *path_name(const struct path *p)
{
	return p->len ? p->s : "the value";
}

static enum svc_result fail(struct svc_err *err, const struct path *p, const char *what)
{
	return svc_err_set(err, SVC_EINVAL, p->len ? p->s : NULL, "%s %s", path_name(p), what);
}

static bool is_integer(const cJSON *v)
{
	if (!cJSON_IsNumber(v))
		return false;
	double d = v->valuedouble;
	return isfinite(d) && floor(d) == d && fabs(d) <= 9007199254740992.0; /* 2^53 */
}

static bool type_is(const cJSON *v, const char *type)
{
	if (strcmp(type, "string") == 0)
		return cJSON_IsString(v);
	if (strcmp(type, "integer") == 0)
		return is_integer(v);
	if (strcmp(type, "number") == 0)
		return cJSON_IsNumber(v);
	if (strcmp(type, "boolean") == 0)
		return cJSON_IsBool(v);
	if (strcmp(type, "object") == 0)
		return cJSON_IsObject(v);
	if (strcmp(type, "array") == 0)
		return cJSON_IsArray(v);
	if (strcmp(type, "null") == 0)
		return cJSON_IsNull(v);
	return false;
}

static const char *type_article(const char *type)
{
	if (strcmp(type, "integer") == 0 || strcmp(type, "object") == 0 ||
	    strcmp(type, "array") == 0)
		return "an ";
	if (strcmp(type, "null") == 0)
		return "";
	return "a ";
}

static enum svc_result check_type(const cJSON *type, const cJSON *v, const struct path *p,
				  struct svc_err *err)
{
	if (cJSON_IsString(type)) {
		if (type_is(v, type->valuestring))
			return SVC_OK;
		char what[64];
		snprintf(what, sizeof what, "must be %s%s", type_article(type->valuestring),
			 type->valuestring);
		return fail(err, p, what);
	}
	char what[160] = "must be ";
	size_t n = strlen(what);
	int i = 0, count = cJSON_GetArraySize(type);
	const cJSON *t;
	cJSON_ArrayForEach(t, type)
	{
		if (type_is(v, t->valuestring))
			return SVC_OK;
		int w = snprintf(what + n, sizeof what - n, "%s%s%s",
				 i == 0 ? "" : (i == count - 1 ? " or " : ", "),
				 type_article(t->valuestring), t->valuestring);
		if (w > 0 && n + (size_t)w < sizeof what)
			n += (size_t)w;
		i++;
	}
	return fail(err, p, what);
}

static enum svc_result check_enum(const cJSON *values, const cJSON *v, const struct path *p,
				  struct svc_err *err)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, values)
	{
		if (cJSON_Compare(e, v, true))
			return SVC_OK;
	}
	char what[200] = "must be one of ";
	size_t n = strlen(what);
	bool first = true;
	cJSON_ArrayForEach(e, values)
	{
		char *s = cJSON_PrintUnformatted(e);
		if (!s)
			return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
		int w = snprintf(what + n, sizeof what - n, "%s%s", first ? "" : ", ", s);
		free(s);
		if (w > 0 && n + (size_t)w < sizeof what)
			n += (size_t)w;
		first = false;
	}
	return fail(err, p, what);
}

static enum svc_result check_string(const cJSON *schema, const cJSON *v, const struct path *p,
				    struct svc_err *err)
{
	const char *s = v->valuestring;
	if (!svc_utf8_valid(s, strlen(s)))
		return fail(err, p, "must be valid UTF-8");
	size_t len = svc_utf8_len(s);
	char what[96];
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(schema, "minLength");
	if (k && len < (size_t)k->valuedouble) {
		if (k->valuedouble == 1)
			return fail(err, p, "must not be empty");
		snprintf(what, sizeof what, "must be at least %.0f characters", k->valuedouble);
		return fail(err, p, what);
	}
	k = cJSON_GetObjectItemCaseSensitive(schema, "maxLength");
	if (k && len > (size_t)k->valuedouble) {
		snprintf(what, sizeof what, "must be at most %.0f characters", k->valuedouble);
		return fail(err, p, what);
	}
	k = cJSON_GetObjectItemCaseSensitive(schema, "format");
	if (k && strcmp(k->valuestring, "date-time") == 0 && svc_time_parse_rfc3339(s, NULL) != 0)
		return fail(err, p,
			    "must be an RFC 3339 date-time with an offset, e.g. "
			    "2026-03-10T10:00:00-04:00");
	if (k && strcmp(k->valuestring, "uuid") == 0 && !svc_uuid_valid(s))
		return fail(err, p, "must be a UUID");
	return SVC_OK;
}

static enum svc_result check_number(const cJSON *schema, const cJSON *v, const struct path *p,
				    struct svc_err *err)
{
	char what[96];
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(schema, "minimum");
	if (k && v->valuedouble < k->valuedouble) {
		snprintf(what, sizeof what, "must be at least %.15g", k->valuedouble);
		return fail(err, p, what);
	}
	k = cJSON_GetObjectItemCaseSensitive(schema, "maximum");
	if (k && v->valuedouble > k->valuedouble) {
		snprintf(what, sizeof what, "must be at most %.15g", k->valuedouble);
		return fail(err, p, what);
	}
	return SVC_OK;
}

static enum svc_result validate(const cJSON *schema, const cJSON *v, struct path *p,
				struct svc_err *err);

static enum svc_result check_object(const cJSON *schema, const cJSON *v, struct path *p,
				    struct svc_err *err)
{
	const cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
	const cJSON *req = cJSON_GetObjectItemCaseSensitive(schema, "required");
	const cJSON *extra = cJSON_GetObjectItemCaseSensitive(schema, "additionalProperties");
	const cJSON *r;
	cJSON_ArrayForEach(r, req)
	{
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(v, r->valuestring);
		if (!m) {
			size_t mark = path_key(p, r->valuestring);
			enum svc_result rc = fail(err, p, "is required");
			path_back(p, mark);
			return rc;
		}
	}
	const cJSON *m;
	cJSON_ArrayForEach(m, v)
	{
		const cJSON *sub =
			props ? cJSON_GetObjectItemCaseSensitive(props, m->string) : NULL;
		if (!sub && cJSON_IsFalse(extra)) {
			size_t mark = path_key(p, m->string);
			enum svc_result rc = fail(err, p, "is not a known field");
			path_back(p, mark);
			return rc;
		}
		if (!sub && cJSON_IsObject(extra))
			sub = extra;
		if (!sub)
			continue;
		size_t mark = path_key(p, m->string);
		enum svc_result rc = validate(sub, m, p, err);
		path_back(p, mark);
		if (rc != SVC_OK)
			return rc;
	}
	return SVC_OK;
}

static enum svc_result check_array(const cJSON *schema, const cJSON *v, struct path *p,
				   struct svc_err *err)
{
	int n = cJSON_GetArraySize(v);
	char what[96];
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(schema, "minItems");
	if (k && n < k->valuedouble) {
		snprintf(what, sizeof what, "must have at least %.0f items", k->valuedouble);
		return fail(err, p, what);
	}
	k = cJSON_GetObjectItemCaseSensitive(schema, "maxItems");
	if (k && n > k->valuedouble) {
		snprintf(what, sizeof what, "must have at most %.0f items", k->valuedouble);
		return fail(err, p, what);
	}
	const cJSON *items = cJSON_GetObjectItemCaseSensitive(schema, "items");
	if (!items)
		return SVC_OK;
	int i = 0;
	const cJSON *e;
	cJSON_ArrayForEach(e, v)
	{
		size_t mark = path_index(p, i++);
		enum svc_result rc = validate(items, e, p, err);
		path_back(p, mark);
		if (rc != SVC_OK)
			return rc;
	}
	return SVC_OK;
}

static enum svc_result validate(const cJSON *schema, const cJSON *v, struct path *p,
				struct svc_err *err)
{
	enum svc_result rc = SVC_OK;
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(schema, "type");
	if (type && (rc = check_type(type, v, p, err)) != SVC_OK)
		return rc;
	const cJSON *values = cJSON_GetObjectItemCaseSensitive(schema, "enum");
	if (values && (rc = check_enum(values, v, p, err)) != SVC_OK)
		return rc;
	if (cJSON_IsString(v))
		return check_string(schema, v, p, err);
	if (cJSON_IsNumber(v))
		return check_number(schema, v, p, err);
	if (cJSON_IsObject(v))
		return check_object(schema, v, p, err);
	if (cJSON_IsArray(v))
		return check_array(schema, v, p, err);
	return SVC_OK;
}

enum svc_result agt_schema_validate(const cJSON *schema, const cJSON *value, const char *root,
				    struct svc_err *err)
{
	if (!schema || !value)
		return svc_err_set(err, SVC_EINVAL, NULL, "nothing to validate");
	struct path p;
	path_init(&p, root);
	return validate(schema, value, &p, err);
}

/* Checking a schema. */

static const char *const type_names[] = {"string", "integer", "number", "boolean",
					 "object", "array",   "null",   NULL};

static bool known(const char *s, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

static bool non_negative_integer(const cJSON *v)
{
	return is_integer(v) && v->valuedouble >= 0;
}

static enum svc_result check_schema(const cJSON *s, struct path *p, struct svc_err *err);

static enum svc_result schema_bad(struct svc_err *err, struct path *p, const char *key,
				  const char *what)
{
	size_t mark = path_key(p, key);
	enum svc_result rc = svc_err_set(err, SVC_EINVAL, p->s, "schema %s %s", p->s, what);
	path_back(p, mark);
	return rc;
}

static enum svc_result check_keyword(const cJSON *k, struct path *p, struct svc_err *err)
{
	const char *name = k->string;
	if (strcmp(name, "type") == 0) {
		if (cJSON_IsString(k))
			return known(k->valuestring, type_names)
				       ? SVC_OK
				       : schema_bad(err, p, name, "names an unknown type");
		if (!cJSON_IsArray(k) || cJSON_GetArraySize(k) == 0)
			return schema_bad(err, p, name, "must be a type name or a list of them");
		const cJSON *t;
		cJSON_ArrayForEach(t, k)
		{
			if (!cJSON_IsString(t) || !known(t->valuestring, type_names))
				return schema_bad(err, p, name, "names an unknown type");
		}
		return SVC_OK;
	}
	if (strcmp(name, "enum") == 0 || strcmp(name, "required") == 0) {
		if (!cJSON_IsArray(k) || cJSON_GetArraySize(k) == 0)
			return schema_bad(err, p, name, "must be a non-empty list");
		if (name[0] == 'r') {
			const cJSON *r;
			cJSON_ArrayForEach(r, k)
			{
				if (!cJSON_IsString(r))
					return schema_bad(err, p, name, "must list field names");
			}
		}
		return SVC_OK;
	}
	if (strcmp(name, "properties") == 0) {
		if (!cJSON_IsObject(k))
			return schema_bad(err, p, name, "must be an object");
		size_t mark = path_key(p, name);
		const cJSON *sub;
		cJSON_ArrayForEach(sub, k)
		{
			size_t m2 = path_key(p, sub->string);
			enum svc_result rc = check_schema(sub, p, err);
			path_back(p, m2);
			if (rc != SVC_OK) {
				path_back(p, mark);
				return rc;
			}
		}
		path_back(p, mark);
		return SVC_OK;
	}
	if (strcmp(name, "additionalProperties") == 0 || strcmp(name, "items") == 0) {
		if (name[0] == 'a' && cJSON_IsBool(k))
			return SVC_OK;
		size_t mark = path_key(p, name);
		enum svc_result rc = check_schema(k, p, err);
		path_back(p, mark);
		return rc;
	}
	if (strcmp(name, "minLength") == 0 || strcmp(name, "maxLength") == 0 ||
	    strcmp(name, "minItems") == 0 || strcmp(name, "maxItems") == 0)
		return non_negative_integer(k) ? SVC_OK
					       : schema_bad(err, p, name, "must be a count");
	if (strcmp(name, "minimum") == 0 || strcmp(name, "maximum") == 0)
		return cJSON_IsNumber(k) ? SVC_OK : schema_bad(err, p, name, "must be a number");
	if (strcmp(name, "format") == 0)
		return cJSON_IsString(k) && (strcmp(k->valuestring, "date-time") == 0 ||
					     strcmp(k->valuestring, "uuid") == 0)
			       ? SVC_OK
			       : schema_bad(err, p, name, "must be date-time or uuid");
	if (strcmp(name, "description") == 0 || strcmp(name, "title") == 0)
		return cJSON_IsString(k) ? SVC_OK : schema_bad(err, p, name, "must be a string");
	if (strcmp(name, "default") == 0 || strcmp(name, "examples") == 0)
		return SVC_OK;
	return schema_bad(err, p, name, "is not a keyword this validator enforces");
}

static enum svc_result check_schema(const cJSON *s, struct path *p, struct svc_err *err)
{
	if (!cJSON_IsObject(s))
		return svc_err_set(err, SVC_EINVAL, p->s, "schema %s must be an object",
				   path_name(p));
	const cJSON *k;
	cJSON_ArrayForEach(k, s)
	{
		enum svc_result rc = check_keyword(k, p, err);
		if (rc != SVC_OK)
			return rc;
	}
	return SVC_OK;
}

enum svc_result agt_schema_check(const cJSON *schema, struct svc_err *err)
{
	struct path p;
	path_init(&p, NULL);
	return check_schema(schema, &p, err);
}
