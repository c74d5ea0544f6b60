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
#include "svc/dapr.h"
#include "svc/event.h"
#include "svc/json.h"
#include "svc/log.h"
#include "svc/util.h"

#define TICK_BATCH 100
#define PUBLISH_BATCH 100
#define SERVICE_TOKEN_TTL 300
/* Occurrences made one after another for one trigger at most: each skips
 * one found deleted (rec_row_skipped). */
#define MAX_HOPS 4
/* A series a tick could not advance waits this long for another tick. */
#define TICK_RETRY_MS 5000
/* A claim outlasts the calls it covers by this much, so that only a holder
 * that died gives it up by running out. */
#define LEASE_MARGIN_MS 30000

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

/* What task-service did with a plan. */
enum answer {
	MADE,  /* made now or before: the task is its snapshot */
	GONE,  /* made before and deleted since */
	ENDED, /* the series has ended there, or is not this user's */
};

/* Asks task-service for plan's occurrence; *task receives its snapshot
 * (caller frees) when *ans is MADE. Errors: the call failed, try again. */
static enum svc_result make_task(struct rec_ctx *ctx, const struct rec_plan *plan,
				 cJSON **task, enum answer *ans, const char *request_id,
				 struct svc_err *err)
{
	*task = NULL;
	*ans = MADE;
	char *token = NULL;
	enum svc_result r = service_token(ctx, &token, err);
	if (r != SVC_OK)
		return r;
	cJSON *body = cJSON_CreateObject();
	char *text = NULL;
	if (body && cJSON_AddStringToObject(body, "user_id", plan->user_id) &&
	    cJSON_AddStringToObject(body, "occurrence_at", plan->occurrence_at) &&
	    cJSON_AddItemToObject(body, "task", cJSON_Duplicate(plan->fields, 1)))
		text = cJSON_PrintUnformatted(body);
	cJSON_Delete(body);
	char path[128], bearer[2048];
	snprintf(path, sizeof path, "/internal/series/%s/occurrences", plan->series_id);
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
	struct svc_err why = {0};
	enum svc_result said = resp.status == 410 ? SVC_OK : svc_dapr_answer(resp.status, resp.body,
									  resp.body_len,
									  "task-service", &why);
	if (resp.status == 410) {
		*ans = GONE; /* made before and deleted since */
		svc_up_resp_cleanup(&resp);
		return SVC_OK;
	}
	switch (said) {
	case SVC_OK:
		if (svc_json_parse_object(resp.body, resp.body_len, task, err) != SVC_OK)
			r = svc_err_set(err, SVC_EUPSTREAM, NULL, "task-service answered bad JSON");
		break;
	case SVC_ECONFLICT:
	case SVC_ENOTFOUND:
		svc_info(request_id, "series %s ended at task-service (%ld)", plan->series_id,
			 resp.status);
		*ans = ENDED;
		break;
	case SVC_EUPSTREAM:
	case SVC_EUNAVAIL:
	case SVC_ETIMEOUT:
		r = svc_err_set(err, why.code, NULL, "task-service: %s", why.message);
		break;
	default:
		r = svc_err_set(err, SVC_EINVAL, NULL, "task-service refused the occurrence: %s",
				why.message);
	}
	svc_up_resp_cleanup(&resp);
	return r;
}

void rec_plan_cleanup(struct rec_plan *plan)
{
	cJSON_Delete(plan->fields);
	memset(plan, 0, sizeof *plan);
}

enum svc_result rec_row_plan(struct rec_row *row, long long after, bool from_completion,
			     bool after_now, long long now, struct rec_plan *plan,
			     struct svc_err *err)
{
	memset(plan, 0, sizeof *plan);
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
	enum svc_result r = after_now ? rec_next_after_now(&s, after, now, &next, &ended, err)
				      : rec_next(&s, after, &next, &ended, err);
	if (r != SVC_OK)
		return r;
	if (ended) {
		row->ended = true;
		return SVC_OK;
	}
	if (!(plan->fields = rec_occurrence_fields(row->latest, next)))
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	plan->make = true;
	plan->at = next;
	rec_time_format(next, plan->occurrence_at, sizeof plan->occurrence_at);
	snprintf(plan->series_id, sizeof plan->series_id, "%s", row->series_id);
	snprintf(plan->user_id, sizeof plan->user_id, "%s", row->user_id);
	snprintf(plan->previous, sizeof plan->previous, "%s", row->latest_task_id);
	return SVC_OK;
}

enum svc_result rec_row_trigger(struct rec_row *row, const cJSON *task,
				enum rec_trigger trigger, long long now, struct rec_plan *plan,
				struct svc_err *err)
{
	memset(plan, 0, sizeof *plan);
	if (row->ended)
		return SVC_OK;
	long long at = 0;
	switch (trigger) {
	case REC_SERIES_ENDED:
		row->ended = true;
		return SVC_OK;
	case REC_COMPLETED:
		if (same(str(task, "recur_from"), "completion") || !occurrence_time(task, &at)) {
			if (!rec_time_member(task, "completed_at", &at))
				at = now;
			return rec_row_plan(row, at, true, false, now, plan, err);
		}
		return rec_row_plan(row, at, false, false, now, plan, err);
	case REC_DELETED:
		/* A deleted latest occurrence is a skipped one. */
		if (strcmp(str(task, "id"), row->latest_task_id) == 0 && occurrence_time(task, &at))
			return rec_row_plan(row, at, false, true, now, plan, err);
		return SVC_OK;
	case REC_SEEN:
		return SVC_OK;
	}
	return SVC_OK;
}

enum svc_result rec_row_made(struct rec_row *row, long long at, const cJSON *task, bool first,
			     struct svc_err *err)
{
	if (first)
		row->generated++;
	if (!row->has_latest_at || at > row->latest_at)
		return adopt(row, task, err);
	return SVC_OK;
}

enum svc_result rec_row_skipped(struct rec_row *row, long long at, long long now,
				struct rec_plan *plan, struct svc_err *err)
{
	memset(plan, 0, sizeof *plan);
	if (row->ended || (row->has_latest_at && at <= row->latest_at))
		return SVC_OK;
	return rec_row_plan(row, at, false, true, now, plan, err);
}

char *rec_event_text(const struct rec_plan *plan, const cJSON *task, const char *now)
{
	char name[128], event_id[37];
	snprintf(name, sizeof name, "occurrence:%s:%lld000", plan->series_id, plan->at);
	svc_uuid_derive(name, event_id);
	/* svc_event_build takes ownership of the copy. */
	cJSON *ce = svc_event_build(event_id, "recurring-task-generated", "recurrence-service",
				    str(task, "id"), plan->user_id, now, "task",
				    cJSON_Duplicate(task, 1), NULL);
	cJSON *data = cJSON_GetObjectItemCaseSensitive(ce, "data");
	char *text = NULL;
	if (data && cJSON_AddStringToObject(data, "series_id", plan->series_id) &&
	    cJSON_AddStringToObject(data, "occurrence_at", plan->occurrence_at) &&
	    (plan->previous[0] ? cJSON_AddStringToObject(data, "previous_task_id", plan->previous)
			       : cJSON_AddNullToObject(data, "previous_task_id")))
		text = cJSON_PrintUnformatted(ce);
	cJSON_Delete(ce);
	return text;
}

/* The leases: a tick's claim on a series covers its calls to task-service;
 * a publication's covers one publish. */
static long tick_lease_ms(const struct rec_ctx *ctx)
{
	return MAX_HOPS * ctx->timeout_ms + LEASE_MARGIN_MS;
}

static long publish_lease_ms(const struct rec_ctx *ctx)
{
	return 2 * svc_app_dapr(ctx->app)->timeout_ms + LEASE_MARGIN_MS;
}

/* Publishes, one claim at a time, the recorded events of series_id (of
 * every series when NULL) that have not gone out and that no one else is
 * publishing. A failed publish gives its claim back and ends the round. */
static enum svc_result publish_pending(struct rec_ctx *ctx, struct svc_pg *pg,
				       const char *series_id, const char *request_id,
				       struct svc_err *err)
{
	enum svc_result r = SVC_OK;
	for (int i = 0; i < PUBLISH_BATCH && r == SVC_OK; i++) {
		struct rec_pending p;
		bool found = false;
		r = rec_store_claim_publication(pg, series_id, publish_lease_ms(ctx), &p, &found,
						err);
		if (r != SVC_OK || !found)
			break;
		r = svc_dapr_publish(svc_app_dapr(ctx->app), svc_app_pubsub(ctx->app),
				     "recurring-task-generated", p.event, strlen(p.event), p.task_id,
				     err);
		if (r == SVC_OK) {
			r = rec_store_published(pg, &p, err);
			svc_info(request_id, "series %s: published the occurrence that is task %s",
				 p.series_id, p.task_id);
		} else {
			rec_store_unclaim_publication(pg, &p, err->message);
		}
		rec_pending_cleanup(&p);
	}
	return r;
}

/* What one short transaction under a series' row lock does to the row
 * (found false: there is none): rules and statements only, never network
 * I/O. *save asks for the row to be written back. */
typedef enum svc_result (*row_fn)(struct svc_pg *pg, struct rec_row *row, bool found,
				  bool *save, void *arg, struct svc_err *err);

/* Begins a transaction on pg, locks the series' row, lets fn change it,
 * writes it back when fn asks, and commits (rolls back on any error). */
static enum svc_result under_row_lock(struct svc_pg *pg, const char *series, row_fn fn,
				      void *arg, struct svc_err *err)
{
	struct rec_row row = {0};
	bool found = false, save = false;
	enum svc_result r = svc_pg_begin(pg, err);
	if (r != SVC_OK)
		return r;
	r = rec_store_lock(pg, series, &row, &found, err);
	if (r == SVC_OK)
		r = fn(pg, &row, found, &save, arg, err);
	if (r == SVC_OK && save)
		r = rec_store_save(pg, &row, err);
	r = svc_pg_finish(pg, r, err);
	rec_row_cleanup(&row);
	return r;
}

/* What task-service did with a plan, to merge into its series. */
struct outcome {
	const struct rec_plan *plan;
	enum answer ans;
	const cJSON *task;  /* MADE: its snapshot */
	const char *event;  /* MADE: the event that announces it */
	bool first;         /* out: recorded for the first time */
	struct rec_plan next; /* out: the occurrence to make instead of one found deleted */
};

/* row_fn: records a made occurrence with its event and merges it, or the
 * series' end, or a skip found late. */
static enum svc_result merge(struct svc_pg *pg, struct rec_row *row, bool found, bool *save,
			     void *arg, struct svc_err *err)
{
	struct outcome *o = arg;
	const struct rec_plan *plan = o->plan;
	if (!found)
		return svc_err_set(err, SVC_EINTERNAL, NULL, "series %s is gone", plan->series_id);
	*save = true;
	enum svc_result r = SVC_OK;
	switch (o->ans) {
	case ENDED:
		row->ended = true;
		break;
	case GONE:
		r = rec_row_skipped(row, plan->at, time(NULL), &o->next, err);
		break;
	case MADE:
		r = rec_store_occurrence(pg, plan->series_id, plan->occurrence_at,
					 str(o->task, "id"), o->event, &o->first, err);
		if (r == SVC_OK)
			r = rec_row_made(row, plan->at, o->task, o->first, err);
		break;
	}
	return r;
}

/* Makes plan's occurrence (and, for one found deleted, the next) with no
 * transaction open during the calls; *made counts those recorded for the
 * first time. Consumes the plan. */
static enum svc_result carry_out(struct rec_ctx *ctx, struct svc_pg *pg, struct rec_plan *plan,
				 const char *request_id, size_t *made, struct svc_err *err)
{
	enum svc_result r = SVC_OK;
	for (int hop = 0; plan->make && hop < MAX_HOPS && r == SVC_OK; hop++) {
		cJSON *task = NULL;
		enum answer ans = MADE;
		char *event = NULL;
		char now[40];
		svc_time_now_rfc3339(now, sizeof now);
		r = make_task(ctx, plan, &task, &ans, request_id, err);
		if (r == SVC_OK && ans == MADE && !(event = rec_event_text(plan, task, now)))
			r = svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
		struct outcome o = {.plan = plan, .ans = ans, .task = task, .event = event};
		if (r == SVC_OK)
			r = under_row_lock(pg, plan->series_id, merge, &o, err);
		if (r != SVC_OK)
			rec_plan_cleanup(&o.next);
		if (r == SVC_OK && o.first) {
			(*made)++;
			svc_info(request_id, "series %s: occurrence %s is task %s", plan->series_id,
				 plan->occurrence_at, str(task, "id"));
		} else if (r == SVC_OK && ans == GONE) {
			svc_info(request_id, "series %s: occurrence %s was deleted: skipped",
				 plan->series_id, plan->occurrence_at);
		}
		free(event);
		cJSON_Delete(task);
		rec_plan_cleanup(plan);
		*plan = o.next;
	}
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

/* A task event's snapshot and trigger, and the plan they lead to. */
struct event_change {
	const cJSON *task;
	enum rec_trigger trigger;
	struct rec_plan plan; /* out */
};

/* row_fn: learns or follows the event's snapshot and decides what its
 * trigger asks for. */
static enum svc_result follow(struct svc_pg *pg, struct rec_row *row, bool found, bool *save,
			      void *arg, struct svc_err *err)
{
	struct event_change *c = arg;
	enum svc_result r = SVC_OK;
	if (!found) {
		if (!str(c->task, "rrule") && c->trigger != REC_SERIES_ENDED)
			return SVC_OK; /* a series we never knew, and no rule now */
		bool inserted = false;
		if ((r = rec_row_from(row, c->task, err)) == SVC_OK)
			r = rec_store_insert(pg, row, &inserted, err);
		if (r != SVC_OK || inserted)
			goto decide;
		/* Another delivery learned it meanwhile: follow that one. */
		rec_row_cleanup(row);
		r = rec_store_lock(pg, str(c->task, "series_id"), row, &found, err);
		if (r == SVC_OK && !found)
			r = svc_err_set(err, SVC_EINTERNAL, NULL, "series vanished while learned");
	}
	if (r == SVC_OK)
		r = rec_row_follow(row, c->task, err);
decide:
	*save = true;
	return r == SVC_OK ? rec_row_trigger(row, c->task, c->trigger, time(NULL), &c->plan, err)
			   : r;
}

enum svc_result rec_on_task(struct rec_ctx *ctx, struct svc_pg *pg, const cJSON *task,
			    enum rec_trigger trigger, const char *request_id, struct svc_err *err)
{
	const char *series = str(task, "series_id");
	if (!series)
		return SVC_OK; /* not part of a series */
	if (!svc_uuid_valid(series) || !str(task, "id") || !str(task, "user_id"))
		return svc_err_set(err, SVC_EINVAL, NULL, "task snapshot lacks series fields");
	struct event_change c = {.task = task, .trigger = trigger};
	size_t made = 0;
	enum svc_result r = under_row_lock(pg, series, follow, &c, err);
	if (r == SVC_OK)
		r = carry_out(ctx, pg, &c.plan, request_id, &made, err);
	rec_plan_cleanup(&c.plan);
	/* Whatever this delivery made, an event of the series that did not go
	 * out before (a publish that failed, then this redelivery) goes now. */
	if (r == SVC_OK)
		r = publish_pending(ctx, pg, series, request_id, err);
	return r;
}

/* row_fn: the occurrence after an overdue latest one (arg: the plan), if
 * the series still is overdue. */
static enum svc_result overdue(struct svc_pg *pg, struct rec_row *row, bool found, bool *save,
			       void *arg, struct svc_err *err)
{
	(void)pg;
	long long now = time(NULL);
	if (!found || row->ended || !row->has_latest_at || row->latest_at > now ||
	    same(str(row->latest, "recur_from"), "completion"))
		return SVC_OK;
	*save = true;
	return rec_row_plan(row, row->latest_at, false, true, now, arg, err);
}

/* A failure that says task-service, the sidecar or the database is away:
 * the rest of the tick can wait for the next. */
static bool unreachable(enum svc_result r)
{
	return r == SVC_EUNAVAIL || r == SVC_ETIMEOUT || r == SVC_EUPSTREAM;
}

enum svc_result rec_tick(struct rec_ctx *ctx, const char *request_id, size_t *made,
			 struct svc_err *err)
{
	*made = 0;
	if (pthread_mutex_trylock(&ctx->tick_lock) != 0) {
		svc_info(request_id, "the previous tick still runs: this one has nothing to add");
		return SVC_OK;
	}
	struct svc_pg *pg = ctx->tick_pg;
	enum svc_result r = SVC_OK;
	for (int i = 0; i < TICK_BATCH; i++) {
		char series[37];
		bool found = false;
		r = rec_store_claim_due(pg, tick_lease_ms(ctx), series, &found, err);
		if (r != SVC_OK || !found)
			break;
		struct rec_plan plan = {0};
		struct svc_err e = {0};
		enum svc_result sr = under_row_lock(pg, series, overdue, &plan, &e);
		if (sr == SVC_OK)
			sr = carry_out(ctx, pg, &plan, request_id, made, &e);
		rec_plan_cleanup(&plan);
		struct svc_err ue;
		if (rec_store_unclaim_due(pg, series, sr == SVC_OK ? 0 : TICK_RETRY_MS, &ue) != SVC_OK)
			svc_warn(request_id, "series %s: %s (its claim runs out)", series, ue.message);
		if (sr != SVC_OK) {
			svc_warn(request_id, "series %s: %s (a later tick retries)", series, e.message);
			if (unreachable(sr))
				break;
		}
	}
	/* Events whose publisher died before it could publish them. */
	if (r == SVC_OK)
		r = publish_pending(ctx, pg, NULL, request_id, err);
	pthread_mutex_unlock(&ctx->tick_lock);
	return r;
}

int rec_ctx_open(struct rec_ctx *ctx)
{
	if (!(ctx->db = svc_pg_pool_new(ctx->pg.conninfo, ctx->pg.pool_size)))
		return -1;
	if (!(ctx->tick_pg = svc_pg_new(ctx->pg.conninfo))) {
		svc_pg_pool_free(ctx->db);
		ctx->db = NULL;
		return -1;
	}
	pthread_mutex_init(&ctx->tick_lock, NULL);
	return 0;
}

void rec_ctx_close(struct rec_ctx *ctx)
{
	if (!ctx->db)
		return;
	pthread_mutex_destroy(&ctx->tick_lock);
	svc_pg_free(ctx->tick_pg);
	svc_pg_pool_free(ctx->db);
	ctx->db = NULL;
	ctx->tick_pg = NULL;
}
