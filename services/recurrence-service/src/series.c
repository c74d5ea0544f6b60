#include "series.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "recur.h"
#include "series_store.h"
#include "svc/app.h"
#include "svc/auth.h"
#include "svc/event.h"
#include "svc/json.h"
#include "svc/log.h"
#include "svc/util.h"

#define TICK_BATCH 100
#define SERVICE_TOKEN_TTL 300

static const char *str(const cJSON *o, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
}

/* A task's place in its series: its occurrence time, or its due date. */
static bool occurrence_time(const cJSON *task, long long *t)
{
	return rec_time_member(task, "occurrence_at", t) || rec_time_member(task, "due_at", t);
}

/* The snapshot's version; 0 when it has none that is a whole long. */
static long version_of(const cJSON *task)
{
	long v = 0;
	svc_json_int(task, "version", false, 0, LONG_MAX, &v, NULL, NULL);
	return v;
}

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Makes task the series' latest occurrence. */
static enum svc_result adopt(struct rec_row *row, const cJSON *task, struct svc_err *err)
{
	cJSON *copy = cJSON_Duplicate(task, 1);
	if (!copy)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	cJSON_Delete(row->latest);
	row->latest = copy;
	snprintf(row->latest_task_id, sizeof row->latest_task_id, "%s", str(task, "id"));
	row->latest_version = version_of(task);
	row->has_latest_at = occurrence_time(task, &row->latest_at);
	return SVC_OK;
}

enum svc_result rec_row_follow(struct rec_row *row, const cJSON *task, struct svc_err *err)
{
	const char *id = str(task, "id");
	long long at = 0;
	bool has_at = occurrence_time(task, &at);
	if (strcmp(id, row->latest_task_id) == 0) {
		if (version_of(task) <= row->latest_version)
			return SVC_OK; /* an older event of it, arriving late */
		const char *rule = str(task, "rrule");
		if (!rule) {
			row->ended = true;
		} else if (!same(rule, str(row->latest, "rrule"))) {
			row->dtstart = has_at ? at : row->dtstart;
			row->generated = 1;
		}
		return adopt(row, task, err);
	}
	if (str(task, "rrule") && has_at && (!row->has_latest_at || at > row->latest_at))
		return adopt(row, task, err);
	return SVC_OK;
}

static enum svc_result service_token(struct rec_ctx *ctx, char **out, struct svc_err *err)
{
	struct svc_claims c = {.typ = "service", .iat = time(NULL)};
	snprintf(c.sub, sizeof c.sub, "%s", svc_app_name(ctx->app));
	c.exp = c.iat + SERVICE_TOKEN_TTL;
	return svc_auth_sign(ctx->auth, &c, out, err);
}

/* Asks task-service for the occurrence; *task receives its snapshot (caller
 * frees). SVC_ECONFLICT: the series has ended there; SVC_ENOTFOUND: it is
 * not this user's. */
static enum svc_result make_task(struct rec_ctx *ctx, const struct rec_row *row,
				 const char *occurrence_at, const cJSON *fields, cJSON **task,
				 const char *request_id, struct svc_err *err)
{
	*task = NULL;
	char *token = NULL;
	enum svc_result r = service_token(ctx, &token, err);
	if (r != SVC_OK)
		return r;
	cJSON *body = cJSON_CreateObject();
	char *text = NULL;
	if (body && cJSON_AddStringToObject(body, "user_id", row->user_id) &&
	    cJSON_AddStringToObject(body, "occurrence_at", occurrence_at) &&
	    cJSON_AddItemToObject(body, "task", cJSON_Duplicate(fields, 1)))
		text = cJSON_PrintUnformatted(body);
	cJSON_Delete(body);
	char path[128], bearer[2048];
	snprintf(path, sizeof path, "/internal/series/%s/occurrences", row->series_id);
	snprintf(bearer, sizeof bearer, "Bearer %s", token);
	free(token);
	if (!text)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	const struct svc_kv headers[] = {
		{"Authorization", bearer},
		{"Content-Type", "application/json"},
		{"X-Request-Id", (char *)(request_id ? request_id : "")},
	};
	struct svc_up_resp resp;
	r = svc_dapr_invoke(&ctx->task_service, "POST", path, headers, request_id ? 3 : 2, text,
			    strlen(text), ctx->timeout_ms, &resp, err);
	free(text);
	if (r != SVC_OK)
		return r;
	r = svc_dapr_answer(resp.status, resp.body, resp.body_len, "task-service", err);
	if (r == SVC_OK && svc_json_parse_object(resp.body, resp.body_len, task, err) != SVC_OK)
		r = svc_err_set(err, SVC_EUPSTREAM, NULL, "task-service answered bad JSON");
	else if (r == SVC_ECONFLICT)
		r = svc_err_set(err, SVC_ECONFLICT, NULL, "the series has ended");
	else if (r == SVC_ENOTFOUND)
		r = svc_err_set(err, SVC_ENOTFOUND, NULL, "task-service does not know the series");
	else if (r != SVC_OK && svc_result_http_status(r) < 500)
		r = svc_err_set(err, SVC_EINVAL, NULL, "task-service refused the occurrence: %s",
				err->message);
	svc_up_resp_cleanup(&resp);
	return r;
}

static enum svc_result publish(struct rec_ctx *ctx, const struct rec_row *row,
			       const char *occurrence_at, const char *previous,
			       const cJSON *task, struct svc_err *err)
{
	long long at = 0;
	svc_time_parse_rfc3339(occurrence_at, &at);
	char name[128], event_id[37], now[40];
	snprintf(name, sizeof name, "occurrence:%s:%lld000", row->series_id, at);
	svc_uuid_derive(name, event_id);
	svc_time_now_rfc3339(now, sizeof now);
	const char *task_id = str(task, "id");
	/* svc_event_build takes ownership of the copy. */
	cJSON *ce = svc_event_build(event_id, "recurring-task-generated", "recurrence-service",
				    task_id, row->user_id, now, "task", cJSON_Duplicate(task, 1),
				    NULL);
	cJSON *data = cJSON_GetObjectItemCaseSensitive(ce, "data");
	char *text = NULL;
	if (data && cJSON_AddStringToObject(data, "series_id", row->series_id) &&
	    cJSON_AddStringToObject(data, "occurrence_at", occurrence_at) &&
	    (previous ? cJSON_AddStringToObject(data, "previous_task_id", previous)
		      : cJSON_AddNullToObject(data, "previous_task_id")))
		text = cJSON_PrintUnformatted(ce);
	cJSON_Delete(ce);
	if (!text)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	enum svc_result r = svc_dapr_publish(svc_app_dapr(ctx->app), svc_app_pubsub(ctx->app),
					     "recurring-task-generated", text, strlen(text), task_id,
					     err);
	free(text);
	return r;
}

/* Makes the series' occurrence after `after` (with after_now, the first
 * one still ahead), unless the rule has run out. */
static enum svc_result materialize(struct rec_ctx *ctx, struct rec_row *row, long long after,
				   bool from_completion, bool after_now, const char *request_id,
				   struct svc_err *err)
{
	const char *rule = str(row->latest, "rrule");
	if (!rule) {
		row->ended = true;
		return SVC_OK;
	}
	struct rec_series s = {
		.rrule = rule,
		.time_zone = str(row->latest, "time_zone"),
		.from_completion = from_completion,
		.dtstart = row->dtstart,
		.generated = row->generated,
	};
	long long next = 0;
	bool ended = false;
	enum svc_result r = after_now ? rec_next_after_now(&s, after, time(NULL), &next, &ended, err)
				      : rec_next(&s, after, &next, &ended, err);
	if (r != SVC_OK)
		return r;
	if (ended) {
		svc_info(request_id, "series %s has no occurrence left", row->series_id);
		row->ended = true;
		return SVC_OK;
	}
	char occurrence_at[32];
	rec_time_format(next, occurrence_at, sizeof occurrence_at);
	cJSON *fields = rec_occurrence_fields(row->latest, next);
	if (!fields)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	cJSON *task = NULL;
	r = make_task(ctx, row, occurrence_at, fields, &task, request_id, err);
	cJSON_Delete(fields);
	if (r == SVC_ECONFLICT || r == SVC_ENOTFOUND) {
		svc_info(request_id, "series %s ended at task-service: %s", row->series_id,
			 err->message);
		row->ended = true;
		return SVC_OK;
	}
	if (r != SVC_OK)
		return r;
	bool first = false, published = false;
	char previous[37];
	snprintf(previous, sizeof previous, "%s", row->latest_task_id);
	r = rec_store_occurrence(ctx->conninfo, row->series_id, occurrence_at, str(task, "id"),
				 &first, &published, err);
	if (r == SVC_OK && first)
		row->generated++;
	if (r == SVC_OK && (!row->has_latest_at || next > row->latest_at))
		r = adopt(row, task, err);
	if (r == SVC_OK && !published) {
		r = publish(ctx, row, occurrence_at, previous, task, err);
		if (r == SVC_OK)
			r = rec_store_published(ctx->conninfo, row->series_id, occurrence_at, err);
		if (r == SVC_OK)
			svc_info(request_id, "series %s: occurrence %s is task %s", row->series_id,
				 occurrence_at, str(task, "id"));
	}
	cJSON_Delete(task);
	return r;
}

/* Ends the series' transaction: on success writes the row back (when save)
 * and commits, otherwise rolls back. Frees the row. Returns r or the
 * commit's failure. */
static enum svc_result finish(struct rec_ctx *ctx, struct rec_row *row, enum svc_result r,
			      bool save, struct svc_err *err)
{
	if (r == SVC_OK && save)
		r = rec_store_save(ctx->conninfo, row, err);
	if (r == SVC_OK)
		r = rec_store_commit(ctx->conninfo, err);
	else
		rec_store_rollback(ctx->conninfo);
	rec_row_cleanup(row);
	return r;
}

enum svc_result rec_row_from(struct rec_row *row, const cJSON *task, struct svc_err *err)
{
	memset(row, 0, sizeof *row);
	const char *series = str(task, "series_id"), *user = str(task, "user_id");
	long long start = 0;
	if (!svc_uuid_valid(series) || !user || !str(task, "id") ||
	    (!occurrence_time(task, &start) && !rec_time_member(task, "created_at", &start)))
		return svc_err_set(err, SVC_EINVAL, NULL, "task snapshot lacks series fields");
	snprintf(row->series_id, sizeof row->series_id, "%s", series);
	snprintf(row->user_id, sizeof row->user_id, "%s", user);
	row->dtstart = start;
	row->generated = 1;
	return adopt(row, task, err);
}

enum svc_result rec_on_task(struct rec_ctx *ctx, const cJSON *task, enum rec_trigger trigger,
			    const char *request_id, struct svc_err *err)
{
	const char *series = str(task, "series_id");
	if (!series)
		return SVC_OK; /* not part of a series */
	if (!svc_uuid_valid(series) || !str(task, "id") || !str(task, "user_id"))
		return svc_err_set(err, SVC_EINVAL, NULL, "task snapshot lacks series fields");
	struct rec_row row;
	bool found = false;
	enum svc_result r = rec_store_lock(ctx->conninfo, series, false, &row, &found, err);
	if (r != SVC_OK)
		return r;
	if (!found) {
		if (!str(task, "rrule") && trigger != REC_SERIES_ENDED) {
			rec_store_rollback(ctx->conninfo);
			return SVC_OK; /* a series we never knew, and no rule now */
		}
		r = rec_row_from(&row, task, err);
		if (r == SVC_OK)
			r = rec_store_insert(ctx->conninfo, &row, err);
	} else {
		r = rec_row_follow(&row, task, err);
	}
	long long at = 0;
	if (r == SVC_OK && !row.ended) {
		switch (trigger) {
		case REC_SERIES_ENDED:
			row.ended = true;
			break;
		case REC_COMPLETED:
			if (strcmp(str(task, "recur_from") ? str(task, "recur_from") : "due",
				   "completion") == 0 ||
			    !occurrence_time(task, &at)) {
				if (!rec_time_member(task, "completed_at", &at))
					at = time(NULL);
				r = materialize(ctx, &row, at, true, false, request_id, err);
			} else {
				r = materialize(ctx, &row, at, false, false, request_id, err);
			}
			break;
		case REC_DELETED:
			/* A deleted latest occurrence is a skipped one. */
			if (strcmp(str(task, "id"), row.latest_task_id) == 0 &&
			    occurrence_time(task, &at))
				r = materialize(ctx, &row, at, false, true, request_id, err);
			break;
		case REC_SEEN:
			break;
		}
	} else if (r == SVC_OK && trigger == REC_SERIES_ENDED) {
		row.ended = true;
	}
	return finish(ctx, &row, r, true, err);
}

/* One overdue series, if no other worker holds it. */
static enum svc_result overdue(struct rec_ctx *ctx, const char *series, const char *request_id,
			       bool *made, struct svc_err *err)
{
	*made = false;
	struct rec_row row;
	bool found = false;
	enum svc_result r = rec_store_lock(ctx->conninfo, series, true, &row, &found, err);
	if (r != SVC_OK)
		return r;
	long long now = time(NULL);
	const char *from = found ? str(row.latest, "recur_from") : NULL;
	if (found && !row.ended && row.has_latest_at && row.latest_at <= now &&
	    !same(from, "completion")) {
		long before = row.generated;
		r = materialize(ctx, &row, row.latest_at, false, true, request_id, err);
		*made = row.generated > before;
		return finish(ctx, &row, r, true, err);
	}
	return finish(ctx, &row, r, false, err);
}

enum svc_result rec_tick(struct rec_ctx *ctx, const char *request_id, size_t *made,
			 struct svc_err *err)
{
	*made = 0;
	char (*ids)[37] = calloc(TICK_BATCH, sizeof *ids);
	if (!ids)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	size_t n = 0;
	enum svc_result r = rec_store_due(ctx->conninfo, TICK_BATCH, ids, &n, err);
	for (size_t i = 0; i < n && r == SVC_OK; i++) {
		bool one = false;
		struct svc_err e = {0};
		if (overdue(ctx, ids[i], request_id, &one, &e) != SVC_OK)
			svc_warn(request_id, "series %s: %s (next tick retries)", ids[i], e.message);
		*made += one;
	}
	free(ids);
	return r;
}
