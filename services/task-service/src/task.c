#include "task.h"

#include <string.h>

#include "svc/json.h"

static const char *const new_fields[] = {"title", "description", "priority", NULL};

int tsk_priority_valid(const char *p)
{
	return strcmp(p, "high") == 0 || strcmp(p, "medium") == 0 || strcmp(p, "low") == 0;
}

enum svc_result tsk_validate_new(const cJSON *body, struct tsk_new *out,
				 struct svc_err *err)
{
	memset(out, 0, sizeof *out);
	enum svc_result r = svc_json_only_keys(body, new_fields, err);
	if (r != SVC_OK)
		return r;
	if ((r = svc_json_string(body, "title", true, 1, TSK_TITLE_MAX, &out->title, err)))
		return r;
	/* A title of only white space is no title. */
	if (strspn(out->title, " \t\r\n") == strlen(out->title))
		return svc_err_set(err, SVC_EINVAL, "title", "title must not be blank");
	if ((r = svc_json_string(body, "description", false, 0, TSK_DESCRIPTION_MAX,
				 &out->description, err)))
		return r;
	if (!out->description)
		out->description = "";
	if ((r = svc_json_string(body, "priority", false, 1, 16, &out->priority, err)))
		return r;
	if (!out->priority)
		out->priority = "medium";
	else if (!tsk_priority_valid(out->priority))
		return svc_err_set(err, SVC_EINVAL, "priority",
				   "priority must be high, medium or low");
	return SVC_OK;
}
