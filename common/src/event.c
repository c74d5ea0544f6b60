#include "svc/event.h"

#include <string.h>

#include "svc/json.h"

cJSON *svc_event_build(const char *event_id, const char *event_type,
		       const char *source, const char *subject, const char *user_id,
		       const char *occurred_at, const char *entity_key, cJSON *entity,
		       cJSON *changes)
{
	cJSON *ce = cJSON_CreateObject();
	cJSON *data = cJSON_CreateObject();
	if (!ce || !data) {
		cJSON_Delete(ce);
		cJSON_Delete(data);
		cJSON_Delete(entity);
		cJSON_Delete(changes);
		return NULL;
	}
	cJSON_AddStringToObject(ce, "specversion", "1.0");
	cJSON_AddStringToObject(ce, "id", event_id);
	cJSON_AddStringToObject(ce, "type", event_type);
	cJSON_AddStringToObject(ce, "source", source);
	if (subject)
		cJSON_AddStringToObject(ce, "subject", subject);
	cJSON_AddStringToObject(ce, "time", occurred_at);
	cJSON_AddStringToObject(ce, "datacontenttype", "application/json");

	cJSON_AddStringToObject(data, "event_id", event_id);
	cJSON_AddStringToObject(data, "event_type", event_type);
	cJSON_AddNumberToObject(data, "schema_version", SVC_EVENT_SCHEMA_VERSION);
	cJSON_AddStringToObject(data, "occurred_at", occurred_at);
	if (user_id)
		cJSON_AddStringToObject(data, "user_id", user_id);
	else
		cJSON_AddNullToObject(data, "user_id");
	/* AddItemToObject transfers ownership of entity/changes to data. */
	if (entity)
		cJSON_AddItemToObject(data, entity_key, entity);
	if (changes)
		cJSON_AddItemToObject(data, "changes", changes);
	cJSON_AddItemToObject(ce, "data", data); /* ce owns data now */
	return ce;
}

static const char *str_member(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

enum svc_result svc_event_parse(const char *body, size_t len, struct svc_event *out,
				struct svc_err *err)
{
	memset(out, 0, sizeof *out);
	cJSON *root = NULL;
	enum svc_result r = svc_json_parse_object(body, len, &root, err);
	if (r != SVC_OK)
		return r;
	const char *spec = str_member(root, "specversion");
	if (!spec || strcmp(spec, "1.0") != 0) {
		r = svc_err_set(err, SVC_EINVAL, "specversion", "not a CloudEvent 1.0");
		goto fail;
	}
	out->id = str_member(root, "id");
	out->type = str_member(root, "type");
	out->source = str_member(root, "source");
	if (!out->id || !out->type || !out->source) {
		r = svc_err_set(err, SVC_EINVAL, NULL, "CloudEvent lacks id, type or source");
		goto fail;
	}
	out->data = cJSON_GetObjectItemCaseSensitive(root, "data");
	if (!cJSON_IsObject(out->data)) {
		r = svc_err_set(err, SVC_EINVAL, "data", "event data must be a JSON object");
		goto fail;
	}
	const char *eid = str_member(out->data, "event_id");
	if (!eid || strcmp(eid, out->id) != 0) {
		r = svc_err_set(err, SVC_EINVAL, "data.event_id",
				"data.event_id must equal the CloudEvent id");
		goto fail;
	}
	out->user_id = str_member(out->data, "user_id");
	out->occurred_at = str_member(out->data, "occurred_at");
	out->root = root;
	return SVC_OK;
fail:
	cJSON_Delete(root);
	memset(out, 0, sizeof *out);
	return r;
}

void svc_event_cleanup(struct svc_event *ev)
{
	cJSON_Delete(ev->root);
	memset(ev, 0, sizeof *ev);
}
