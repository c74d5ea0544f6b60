#include "reminder.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "svc/event.h"
#include "svc/json.h"
#include "svc/util.h"

int rem_time_parse_ms(const char *s, long long *ms)
{
	long long epoch = 0;
	if (svc_time_parse_rfc3339(s, &epoch) != 0)
		return -1;
	/* svc_time_parse_rfc3339 checked the layout: a fraction, if any,
	 * starts at s[19]. */
	long long frac = 0;
	int n = 0;
	if (s[19] == '.')
		for (const char *p = s + 20; *p >= '0' && *p <= '9'; p++)
			if (n < 3) {
				frac = frac * 10 + (*p - '0');
				n++;
			}
	for (; n < 3; n++)
		frac *= 10;
	*ms = epoch * 1000 + frac;
	return 0;
}

void rem_time_format_ms(long long ms, char out[REM_TIME_MAX])
{
	long long sec = ms / 1000, rem = ms % 1000;
	if (rem < 0) { /* floor, for times before 1970 */
		rem += 1000;
		sec--;
	}
	time_t t = (time_t)sec;
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(out, REM_TIME_MAX, "%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, rem);
}

static const struct {
	const char *type;
	enum rem_kind kind;
} kinds[] = {
	{"task-created", REM_CREATED},
	{"task-updated", REM_UPDATED},
	{"task-completed", REM_COMPLETED},
	{"task-deleted", REM_DELETED},
};

/* A time member: null or absent gives REM_NO_TIME. */
static enum svc_result read_time(const cJSON *obj, const char *name, bool required,
				 long long *out, struct svc_err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	*out = REM_NO_TIME;
	if (!v || cJSON_IsNull(v)) {
		if (required)
			return svc_err_set(err, SVC_EINVAL, name, "%s is required", name);
		return SVC_OK;
	}
	if (!cJSON_IsString(v) || rem_time_parse_ms(v->valuestring, out) != 0)
		return svc_err_set(err, SVC_EINVAL, name, "%s must be an RFC 3339 time", name);
	return SVC_OK;
}

enum svc_result rem_event_parse(const char *type, const cJSON *data, struct rem_event *out,
				struct svc_err *err)
{
	memset(out, 0, sizeof *out);
	size_t i = 0;
	while (i < sizeof kinds / sizeof kinds[0] && (!type || strcmp(kinds[i].type, type) != 0))
		i++;
	if (i == sizeof kinds / sizeof kinds[0])
		return svc_err_set(err, SVC_EINVAL, "event_type", "not a task event: %s",
				   type ? type : "(none)");
	out->kind = kinds[i].kind;
	const cJSON *task = cJSON_GetObjectItemCaseSensitive(data, "task");
	if (!cJSON_IsObject(task))
		return svc_err_set(err, SVC_EINVAL, "task", "the event carries no task snapshot");
	out->task = task;
	enum svc_result r;
	const char *status = NULL;
	if ((r = svc_json_string(task, "id", true, 36, 36, &out->task_id, err)) != SVC_OK)
		return r;
	if (!svc_uuid_valid(out->task_id))
		return svc_err_set(err, SVC_EINVAL, "task.id", "task.id must be a UUID");
	if ((r = svc_json_string(data, "user_id", false, 1, REM_USER_ID_MAX, &out->user_id,
				 err)) != SVC_OK)
		return r;
	if (!out->user_id &&
	    (r = svc_json_string(task, "user_id", true, 1, REM_USER_ID_MAX, &out->user_id,
				 err)) != SVC_OK)
		return r;
	if (strlen(out->user_id) > REM_USER_ID_MAX)
		return svc_err_set(err, SVC_EINVAL, "user_id", "user_id is too long");
	if ((r = svc_json_int(task, "version", true, 1, 1L << 52, &out->version, NULL, err)) !=
	    SVC_OK)
		return r;
	if ((r = svc_json_string(task, "status", true, 1, 16, &status, err)) != SVC_OK)
		return r;
	if (strcmp(status, "pending") != 0 && strcmp(status, "completed") != 0)
		return svc_err_set(err, SVC_EINVAL, "task.status", "unknown task status %s",
				   status);
	out->completed = strcmp(status, "completed") == 0;
	if ((r = read_time(task, "remind_at", false, &out->remind_at_ms, err)) != SVC_OK ||
	    (r = read_time(data, "occurred_at", true, &out->occurred_ms, err)) != SVC_OK)
		return r;
	return SVC_OK;
}

/* Whether the reminder is to fire after ev, given what was stored. */
static bool arms(const struct rem_state *old, const struct rem_event *ev)
{
	if (ev->completed || ev->remind_at_ms == REM_NO_TIME)
		return false;
	if (old && old->fired_ms == ev->remind_at_ms)
		return false; /* already fired for this time */
	if (!old || old->remind_at_ms != ev->remind_at_ms)
		return true; /* set or moved: a time already past fires at once */
	if (old->completed)
		return ev->remind_at_ms > ev->occurred_ms; /* reopened */
	return old->armed;
}

enum rem_verdict rem_apply(const struct rem_state *old, const struct rem_event *ev,
			   struct rem_state *out)
{
	if (old && old->deleted)
		return REM_IGNORE;
	/* A task-deleted event carries the version of the task's last change,
	 * which may equal the stored one: deletion wins regardless. */
	if (ev->kind != REM_DELETED && old && ev->version <= old->version)
		return REM_IGNORE;
	memset(out, 0, sizeof *out);
	snprintf(out->task_id, sizeof out->task_id, "%s", ev->task_id);
	snprintf(out->user_id, sizeof out->user_id, "%s", ev->user_id);
	out->fired_ms = old ? old->fired_ms : REM_NO_TIME;
	if (ev->kind == REM_DELETED) {
		out->deleted = true;
		out->version = old && old->version > ev->version ? old->version : ev->version;
		out->remind_at_ms = REM_NO_TIME;
		return REM_SAVE;
	}
	out->version = ev->version;
	out->completed = ev->completed;
	out->remind_at_ms = ev->remind_at_ms;
	out->armed = arms(old, ev);
	/* Only a reminder that may fire needs the snapshot; every event that
	 * arms one brings its own. */
	out->task = out->armed ? ev->task : NULL;
	return REM_SAVE;
}

enum rem_fire_verdict rem_fire_check(const struct rem_state *s, long long at_ms)
{
	if (!s || s->deleted || s->completed || !s->armed || s->remind_at_ms == REM_NO_TIME)
		return REM_DROP;
	if (s->remind_at_ms != at_ms)
		return REM_RESCHEDULE;
	return REM_FIRE;
}

void rem_mark_fired(struct rem_state *s, long long at_ms)
{
	s->fired_ms = at_ms;
	if (s->remind_at_ms == at_ms)
		s->armed = false;
}

long long rem_index_time(const struct rem_state *s)
{
	return s->armed && !s->deleted && !s->completed ? s->remind_at_ms : REM_NO_TIME;
}

static cJSON *time_or_null(long long ms)
{
	return ms == REM_NO_TIME ? cJSON_CreateNull() : cJSON_CreateNumber((double)ms);
}

char *rem_state_encode(const struct rem_state *s)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	cJSON *task = s->armed && s->task ? cJSON_Duplicate(s->task, 1) : cJSON_CreateNull();
	/* Each Add transfers the new item to o; a NULL return means OOM. */
	bool ok = cJSON_AddStringToObject(o, "task_id", s->task_id) &&
		  cJSON_AddStringToObject(o, "user_id", s->user_id) &&
		  cJSON_AddNumberToObject(o, "version", (double)s->version) &&
		  cJSON_AddBoolToObject(o, "deleted", s->deleted) &&
		  cJSON_AddBoolToObject(o, "completed", s->completed) &&
		  cJSON_AddBoolToObject(o, "armed", s->armed);
	ok = ok && cJSON_AddItemToObject(o, "remind_at_ms", time_or_null(s->remind_at_ms));
	ok = ok && cJSON_AddItemToObject(o, "fired_ms", time_or_null(s->fired_ms));
	if (ok && task)
		ok = cJSON_AddItemToObject(o, "task", task); /* o owns task */
	else
		cJSON_Delete(task);
	char *text = ok ? cJSON_PrintUnformatted(o) : NULL;
	cJSON_Delete(o);
	return text;
}

static enum svc_result read_bool(const cJSON *o, const char *name, bool *out,
				 struct svc_err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	if (!cJSON_IsBool(v))
		return svc_err_set(err, SVC_EINVAL, name, "state: %s must be a boolean", name);
	*out = cJSON_IsTrue(v);
	return SVC_OK;
}

static enum svc_result read_ms(const cJSON *o, const char *name, long long *out,
			       struct svc_err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	if (cJSON_IsNull(v)) {
		*out = REM_NO_TIME;
		return SVC_OK;
	}
	/* Milliseconds since 1970 are exact in a double for millions of years;
	 * a number past 2^53 is no time we wrote, and past 2^63 it would not
	 * even convert to a long long. */
	double d = cJSON_IsNumber(v) ? v->valuedouble : 0.5;
	if (d != floor(d) || fabs(d) > 9007199254740992.0)
		return svc_err_set(err, SVC_EINVAL, name, "state: %s must be a time or null", name);
	*out = (long long)d;
	return SVC_OK;
}

enum svc_result rem_state_decode(const char *json, size_t len, struct rem_state *out,
				 struct svc_err *err)
{
	memset(out, 0, sizeof *out);
	cJSON *o = NULL;
	enum svc_result r = svc_json_parse_object(json, len, &o, err);
	if (r != SVC_OK)
		return r;
	const char *task_id = NULL, *user_id = NULL;
	const cJSON *task = cJSON_GetObjectItemCaseSensitive(o, "task");
	if ((r = svc_json_string(o, "task_id", true, 36, 36, &task_id, err)) ||
	    (r = svc_json_string(o, "user_id", true, 1, REM_USER_ID_MAX, &user_id, err)) ||
	    (r = svc_json_int(o, "version", true, 0, 1L << 52, &out->version, NULL, err)) ||
	    (r = read_bool(o, "deleted", &out->deleted, err)) ||
	    (r = read_bool(o, "completed", &out->completed, err)) ||
	    (r = read_bool(o, "armed", &out->armed, err)) ||
	    (r = read_ms(o, "remind_at_ms", &out->remind_at_ms, err)) ||
	    (r = read_ms(o, "fired_ms", &out->fired_ms, err)))
		goto fail;
	/* 36 characters may be more than 36 bytes: a task id is a UUID, as
	 * rem_event_parse has it, or task_id would not hold it. */
	if (!svc_uuid_valid(task_id)) {
		r = svc_err_set(err, SVC_EINVAL, "task_id", "state: task_id must be a UUID");
		goto fail;
	}
	if (strlen(user_id) > REM_USER_ID_MAX) {
		r = svc_err_set(err, SVC_EINVAL, "user_id", "state: user_id is too long");
		goto fail;
	}
	if (out->armed ? !cJSON_IsObject(task) : !cJSON_IsObject(task) && !cJSON_IsNull(task)) {
		r = svc_err_set(err, SVC_EINVAL, "task", "state: an armed reminder needs its snapshot");
		goto fail;
	}
	snprintf(out->task_id, sizeof out->task_id, "%s", task_id);
	snprintf(out->user_id, sizeof out->user_id, "%s", user_id);
	out->task = cJSON_IsObject(task) ? task : NULL;
	out->root = o;
	return SVC_OK;
fail:
	cJSON_Delete(o);
	memset(out, 0, sizeof *out);
	return r;
}

void rem_state_cleanup(struct rem_state *s)
{
	cJSON_Delete(s->root);
	s->root = NULL;
	s->task = NULL;
}

void rem_event_id(const char *task_id, long long at_ms, char out[37])
{
	char name[96];
	snprintf(name, sizeof name, "reminder:%s:%lld", task_id, at_ms);
	svc_uuid_derive(name, out);
}

cJSON *rem_due_event(const struct rem_state *s, long long at_ms, long long fired_ms)
{
	if (!s->task)
		return NULL;
	char id[37], at[REM_TIME_MAX], fired[REM_TIME_MAX];
	rem_event_id(s->task_id, at_ms, id);
	rem_time_format_ms(at_ms, at);
	rem_time_format_ms(fired_ms, fired);
	cJSON *task = cJSON_Duplicate(s->task, 1);
	if (!task)
		return NULL;
	/* svc_event_build takes ownership of task. */
	cJSON *ce = svc_event_build(id, "reminder-due", "reminder-service", s->task_id,
				    s->user_id, fired, "task", task, NULL);
	cJSON *data = cJSON_GetObjectItemCaseSensitive(ce, "data");
	if (!data || !cJSON_AddStringToObject(data, "remind_at", at) ||
	    !cJSON_AddStringToObject(data, "fired_at", fired)) {
		cJSON_Delete(ce);
		return NULL;
	}
	return ce;
}

int rem_claim_parse(const char *member, struct rem_claim *c)
{
	const char *bar = strrchr(member, '|');
	if (!bar || bar - member != 36 || strlen(member) >= sizeof c->member)
		return -1;
	memset(c, 0, sizeof *c);
	memcpy(c->task_id, member, 36);
	if (!svc_uuid_valid(c->task_id))
		return -1;
	char *end = NULL;
	errno = 0;
	long long at = strtoll(bar + 1, &end, 10);
	if (errno || end == bar + 1 || *end)
		return -1;
	c->at_ms = at;
	snprintf(c->member, sizeof c->member, "%s", member);
	return 0;
}
