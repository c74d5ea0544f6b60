#include "chat.h"

#include <string.h>

#include "svc/json.h"
#include "svc/text.h"
#include "svc/util.h"
#include "when.h"

#define ZONE_MAX 64

/* Reads the text field (name) and the time zone of an object already
 * parsed into req->doc. */
static enum svc_result read_common(struct agt_chat_request *req, const char *name,
				   struct svc_err *err)
{
	const char *text = NULL, *zone = NULL;
	enum svc_result r = svc_json_string(req->doc, name, true, 1, AGT_MESSAGE_MAX, &text, err);
	if (r != SVC_OK)
		return r;
	size_t b, e;
	svc_utf8_trim_span(text, &b, &e);
	if (b == e)
		return svc_err_set(err, SVC_EINVAL, name, "%s must not be blank", name);
	if ((r = svc_json_string(req->doc, "time_zone", false, 1, ZONE_MAX, &zone, err)) != SVC_OK)
		return r;
	if (zone && !agt_zone_valid(zone))
		return svc_err_set(err, SVC_EINVAL, "time_zone",
				   "time_zone must be an IANA time zone such as Europe/Berlin");
	req->message = text;
	req->time_zone = zone;
	return SVC_OK;
}

static enum svc_result read_body(const char *body, size_t len, struct agt_chat_request *req,
				 const char *const *allowed, struct svc_err *err)
{
	memset(req, 0, sizeof *req);
	enum svc_result r = svc_json_parse_object(body, len, &req->doc, err);
	if (r == SVC_OK)
		r = svc_json_only_keys(req->doc, allowed, err);
	return r;
}

enum svc_result agt_chat_request_read(const char *body, size_t len, struct agt_chat_request *req,
				      struct svc_err *err)
{
	static const char *const allowed[] = {"conversation_id", "message", "time_zone", NULL};
	enum svc_result r = read_body(body, len, req, allowed, err);
	if (r == SVC_OK)
		r = read_common(req, "message", err);
	const char *id = NULL;
	if (r == SVC_OK)
		r = svc_json_string(req->doc, "conversation_id", false, 0, 64, &id, err);
	if (r == SVC_OK && id && !svc_uuid_valid(id))
		r = svc_err_set(err, SVC_EINVAL, "conversation_id",
				"conversation_id must be a UUID");
	if (r == SVC_OK)
		req->conversation_id = id;
	return r;
}

enum svc_result agt_parse_request_read(const char *body, size_t len, struct agt_chat_request *req,
				       struct svc_err *err)
{
	static const char *const allowed[] = {"text", "time_zone", NULL};
	enum svc_result r = read_body(body, len, req, allowed, err);
	if (r == SVC_OK)
		r = read_common(req, "text", err);
	return r;
}

void agt_chat_request_cleanup(struct agt_chat_request *req)
{
	cJSON_Delete(req->doc);
	memset(req, 0, sizeof *req);
}

cJSON *agt_parse_answer(const struct agt_plan *plan)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	bool ok = cJSON_AddBoolToObject(o, "understood", agt_plan_understood(plan)) != NULL;
	if (plan->n_calls) {
		cJSON *args = cJSON_Duplicate(plan->calls[0].arguments, true);
		ok = ok && cJSON_AddStringToObject(o, "tool", plan->calls[0].tool);
		/* o takes ownership of args */
		if (!args || !cJSON_AddItemToObject(o, "arguments", args)) {
			cJSON_Delete(args);
			ok = false;
		}
	} else {
		ok = ok && cJSON_AddNullToObject(o, "tool") &&
		     cJSON_AddNullToObject(o, "arguments");
	}
	ok = ok && cJSON_AddStringToObject(o, "reply", plan->reply ? plan->reply : "");
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}
