/* Task rules, no I/O. */
#ifndef TSK_TASK_H
#define TSK_TASK_H

#include <cjson/cJSON.h>

#include "svc/result.h"

#define TSK_TITLE_MAX 500
#define TSK_DESCRIPTION_MAX 10000

/* A validated create request. Strings are borrowed from the request body
 * and valid while it lives. */
struct tsk_new {
	const char *title;
	const char *description; /* "" when absent */
	const char *priority;    /* "medium" when absent */
};

/* Validates a POST /api/tasks body. SVC_EINVAL naming the field on any
 * unknown field, wrong type or bad length; body is left unchanged. */
enum svc_result tsk_validate_new(const cJSON *body, struct tsk_new *out,
				 struct svc_err *err);

/* True for high, medium, low. */
int tsk_priority_valid(const char *p);

#endif
