#include "catalogue.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"
#include "svc/json.h"

/* Generated from proto/agent-tools.json by CMake (cmake/embed.cmake). */
extern const unsigned char agt_tools_json[];
extern const size_t agt_tools_json_len;

#define MAX_TOOLS 32
#define MAX_REF_DEPTH 16
#define REF_PREFIX "#/definitions/"

struct agt_catalogue {
	cJSON *doc;     /* the document as read */
	cJSON *schemas; /* the expanded schemas, two per tool */
	struct agt_tool tools[MAX_TOOLS];
	size_t count;
};

static cJSON *expand(const cJSON *node, const cJSON *defs, int depth, struct svc_err *err);

static cJSON *expand_ref(const cJSON *node, const cJSON *ref, const cJSON *defs, int depth,
			 struct svc_err *err)
{
	if (!cJSON_IsString(ref) ||
	    strncmp(ref->valuestring, REF_PREFIX, strlen(REF_PREFIX)) != 0) {
		svc_err_set(err, SVC_EINVAL, "$ref", "a $ref must name " REF_PREFIX "<name>");
		return NULL;
	}
	const char *name = ref->valuestring + strlen(REF_PREFIX);
	const cJSON *def = cJSON_GetObjectItemCaseSensitive(defs, name);
	if (!def) {
		svc_err_set(err, SVC_EINVAL, "$ref", "no definition named %s", name);
		return NULL;
	}
	cJSON *out = expand(def, defs, depth + 1, err);
	if (!out)
		return NULL;
	const cJSON *m;
	cJSON_ArrayForEach(m, node)
	{
		if (strcmp(m->string, "$ref") == 0)
			continue;
		cJSON *v = expand(m, defs, depth + 1, err);
		if (!v) {
			cJSON_Delete(out);
			return NULL;
		}
		cJSON_DeleteItemFromObjectCaseSensitive(out, m->string);
		/* out takes ownership of v */
		if (!cJSON_AddItemToObject(out, m->string, v)) {
			cJSON_Delete(v);
			cJSON_Delete(out);
			svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
			return NULL;
		}
	}
	return out;
}

/* A deep copy of node with every $ref replaced by its definition. */
static cJSON *expand(const cJSON *node, const cJSON *defs, int depth, struct svc_err *err)
{
	if (depth > MAX_REF_DEPTH) {
		svc_err_set(err, SVC_EINVAL, "$ref", "$refs nest too deep (a cycle?)");
		return NULL;
	}
	const cJSON *ref =
		cJSON_IsObject(node) ? cJSON_GetObjectItemCaseSensitive(node, "$ref") : NULL;
	if (ref)
		return expand_ref(node, ref, defs, depth, err);
	if (!cJSON_IsObject(node) && !cJSON_IsArray(node)) {
		cJSON *copy = cJSON_Duplicate(node, false);
		if (!copy)
			svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
		return copy;
	}
	cJSON *out = cJSON_IsObject(node) ? cJSON_CreateObject() : cJSON_CreateArray();
	if (!out) {
		svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
		return NULL;
	}
	const cJSON *m;
	cJSON_ArrayForEach(m, node)
	{
		cJSON *v = expand(m, defs, depth, err);
		if (!v) {
			cJSON_Delete(out);
			return NULL;
		}
		/* out takes ownership of v */
		if (cJSON_IsObject(node) ? !cJSON_AddItemToObject(out, m->string, v)
					 : !cJSON_AddItemToArray(out, v)) {
			cJSON_Delete(v);
			cJSON_Delete(out);
			svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
			return NULL;
		}
	}
	return out;
}

static const char *string_member(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Expands and checks one of a tool's schemas; the catalogue keeps it. */
static const cJSON *tool_schema(struct agt_catalogue *cat, const cJSON *t, const char *key,
				const cJSON *defs, struct svc_err *err)
{
	const cJSON *raw = cJSON_GetObjectItemCaseSensitive(t, key);
	if (!cJSON_IsObject(raw)) {
		svc_err_set(err, SVC_EINVAL, key, "tool %s has no %s schema",
			    string_member(t, "name"), key);
		return NULL;
	}
	cJSON *s = expand(raw, defs, 0, err);
	if (!s)
		return NULL;
	/* cat->schemas takes ownership of s */
	if (!cJSON_AddItemToArray(cat->schemas, s)) {
		cJSON_Delete(s);
		svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
		return NULL;
	}
	struct svc_err inner = {0};
	if (agt_schema_check(s, &inner) != SVC_OK) {
		svc_err_set(err, SVC_EINVAL, key, "tool %s, %s: %s", string_member(t, "name"), key,
			    inner.message);
		return NULL;
	}
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(s, "type");
	if (!cJSON_IsString(type) || strcmp(type->valuestring, "object") != 0) {
		/* MCP and function calling both want object schemas. */
		svc_err_set(err, SVC_EINVAL, key, "tool %s: the %s schema must be of type object",
			    string_member(t, "name"), key);
		return NULL;
	}
	return s;
}

static enum svc_result read_tool(struct agt_catalogue *cat, const cJSON *t, const cJSON *defs,
				 struct svc_err *err)
{
	struct agt_tool *tool = &cat->tools[cat->count];
	memset(tool, 0, sizeof *tool);
	tool->name = string_member(t, "name");
	tool->title = string_member(t, "title");
	tool->description = string_member(t, "description");
	if (!tool->name || !*tool->name || !tool->description)
		return svc_err_set(err, SVC_EINVAL, "tools",
				   "every tool needs a name and a description");
	if (agt_catalogue_find(cat, tool->name))
		return svc_err_set(err, SVC_EINVAL, "tools", "two tools are named %s", tool->name);
	tool->annotations = cJSON_GetObjectItemCaseSensitive(t, "annotations");
	if (!cJSON_IsObject(tool->annotations))
		return svc_err_set(err, SVC_EINVAL, "annotations", "tool %s has no annotations",
				   tool->name);
	tool->read_only =
		cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(tool->annotations, "readOnlyHint"));
	if (!(tool->arguments = tool_schema(cat, t, "arguments", defs, err)) ||
	    !(tool->result = tool_schema(cat, t, "result", defs, err)))
		return err ? err->code : SVC_EINVAL;
	const cJSON *props = cJSON_GetObjectItemCaseSensitive(tool->arguments, "properties");
	tool->takes_reference = cJSON_GetObjectItemCaseSensitive(props, "task_id") != NULL;
	cat->count++;
	return SVC_OK;
}

enum svc_result agt_catalogue_parse(const char *json, size_t len, struct agt_catalogue **out,
				    struct svc_err *err)
{
	*out = NULL;
	struct agt_catalogue *cat = calloc(1, sizeof *cat);
	if (!cat)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	enum svc_result r = svc_json_parse_object(json, len, &cat->doc, err);
	if (r != SVC_OK)
		goto fail;
	if (!(cat->schemas = cJSON_CreateArray())) {
		r = svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
		goto fail;
	}
	const cJSON *defs = cJSON_GetObjectItemCaseSensitive(cat->doc, "definitions");
	const cJSON *tools = cJSON_GetObjectItemCaseSensitive(cat->doc, "tools");
	if (!cJSON_IsArray(tools) || cJSON_GetArraySize(tools) == 0 ||
	    cJSON_GetArraySize(tools) > MAX_TOOLS) {
		r = svc_err_set(err, SVC_EINVAL, "tools", "tools must list 1 to %d tools",
				MAX_TOOLS);
		goto fail;
	}
	const cJSON *t;
	cJSON_ArrayForEach(t, tools)
	{
		if ((r = read_tool(cat, t, defs, err)) != SVC_OK)
			goto fail;
	}
	*out = cat;
	return SVC_OK;
fail:
	agt_catalogue_free(cat);
	return r;
}

void agt_catalogue_free(struct agt_catalogue *cat)
{
	if (!cat)
		return;
	cJSON_Delete(cat->schemas);
	cJSON_Delete(cat->doc);
	free(cat);
}

static struct agt_catalogue *builtin;

static void builtin_load(void)
{
	struct svc_err err = {0};
	if (agt_catalogue_parse((const char *)agt_tools_json, agt_tools_json_len, &builtin, &err) !=
	    SVC_OK)
		builtin = NULL;
}

const struct agt_catalogue *agt_catalogue_builtin(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, builtin_load);
	return builtin;
}

const char *agt_catalogue_source(size_t *len)
{
	if (len)
		*len = agt_tools_json_len;
	return (const char *)agt_tools_json;
}

size_t agt_catalogue_count(const struct agt_catalogue *cat)
{
	return cat ? cat->count : 0;
}

const struct agt_tool *agt_catalogue_tool(const struct agt_catalogue *cat, size_t i)
{
	return cat && i < cat->count ? &cat->tools[i] : NULL;
}

const struct agt_tool *agt_catalogue_find(const struct agt_catalogue *cat, const char *name)
{
	if (!cat || !name)
		return NULL;
	for (size_t i = 0; i < cat->count; i++)
		if (strcmp(cat->tools[i].name, name) == 0)
			return &cat->tools[i];
	return NULL;
}

/* Adds a deep copy of v to obj as name; false on OOM. */
static bool add_copy(cJSON *obj, const char *name, const cJSON *v)
{
	cJSON *copy = cJSON_Duplicate(v, true);
	/* obj takes ownership of copy */
	if (!copy || !cJSON_AddItemToObject(obj, name, copy)) {
		cJSON_Delete(copy);
		return false;
	}
	return true;
}

/* Fills one tool's entry; false on OOM. */
typedef bool (*tool_entry_fn)(cJSON *o, const struct agt_tool *t);

static cJSON *tools_array(const struct agt_catalogue *cat, tool_entry_fn fill)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; arr && i < agt_catalogue_count(cat); i++) {
		cJSON *o = cJSON_CreateObject();
		/* arr takes ownership of o */
		if (!o || !cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			cJSON_Delete(arr);
			return NULL;
		}
		if (!fill(o, &cat->tools[i])) {
			cJSON_Delete(arr);
			return NULL;
		}
	}
	return arr;
}

static bool mcp_entry(cJSON *o, const struct agt_tool *t)
{
	return cJSON_AddStringToObject(o, "name", t->name) &&
	       (!t->title || cJSON_AddStringToObject(o, "title", t->title)) &&
	       cJSON_AddStringToObject(o, "description", t->description) &&
	       add_copy(o, "inputSchema", t->arguments) && add_copy(o, "outputSchema", t->result) &&
	       add_copy(o, "annotations", t->annotations);
}

static bool openai_entry(cJSON *o, const struct agt_tool *t)
{
	if (!cJSON_AddStringToObject(o, "type", "function"))
		return false;
	cJSON *fn = cJSON_AddObjectToObject(o, "function");
	return fn && cJSON_AddStringToObject(fn, "name", t->name) &&
	       cJSON_AddStringToObject(fn, "description", t->description) &&
	       add_copy(fn, "parameters", t->arguments);
}

cJSON *agt_catalogue_mcp_tools(const struct agt_catalogue *cat)
{
	return tools_array(cat, mcp_entry);
}

cJSON *agt_catalogue_openai_tools(const struct agt_catalogue *cat)
{
	return tools_array(cat, openai_entry);
}

enum svc_result agt_tool_check_args(const struct agt_tool *tool, const cJSON *args,
				    struct svc_err *err)
{
	enum svc_result r = agt_schema_validate(tool->arguments, args, NULL, err);
	if (r != SVC_OK)
		return r;
	if (tool->takes_reference) {
		bool by_id = cJSON_GetObjectItemCaseSensitive(args, "task_id") != NULL;
		bool by_title = cJSON_GetObjectItemCaseSensitive(args, "title") != NULL;
		if (by_id == by_title)
			return svc_err_set(
				err, SVC_EINVAL, "task_id",
				"give exactly one of task_id and title to name the task");
	}
	if (strcmp(tool->name, "update_task") == 0) {
		const cJSON *changes = cJSON_GetObjectItemCaseSensitive(args, "changes");
		const cJSON *add = cJSON_GetObjectItemCaseSensitive(args, "add_tags");
		const cJSON *rm = cJSON_GetObjectItemCaseSensitive(args, "remove_tags");
		if (cJSON_GetArraySize(changes) == 0 && cJSON_GetArraySize(add) == 0 &&
		    cJSON_GetArraySize(rm) == 0)
			return svc_err_set(
				err, SVC_EINVAL, "changes",
				"changes, add_tags or remove_tags must say what to change");
		if (changes && cJSON_GetObjectItemCaseSensitive(changes, "tags") && (add || rm))
			return svc_err_set(err, SVC_EINVAL, "changes.tags",
					   "changes.tags replaces every tag: not together with "
					   "add_tags or remove_tags");
	}
	return SVC_OK;
}

enum svc_result agt_tool_check_result(const struct agt_tool *tool, const cJSON *result,
				      struct svc_err *err)
{
	return agt_schema_validate(tool->result, result, NULL, err);
}
