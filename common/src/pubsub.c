#include "svc/pubsub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "svc/app.h"
#include "svc/log.h"
#include "svc/metrics.h"

#define MAX_SUBS 32
#define MAX_BINDINGS 8

struct sub {
	struct svc_pubsub *ps;
	char topic[128];
	svc_event_fn fn;
	void *arg;
};

struct binding {
	struct svc_pubsub *ps;
	char name[64];
	svc_binding_fn fn;
	void *arg;
};

/* Filled before the app runs, read only after. */
struct svc_pubsub {
	struct svc_app *app;
	struct sub subs[MAX_SUBS];
	size_t nsubs;
	struct binding bindings[MAX_BINDINGS];
	size_t nbindings;
};

static void h_subscribe(struct svc_req *req, struct svc_resp *resp)
{
	struct svc_pubsub *ps = req->arg;
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < ps->nsubs; i++) {
		cJSON *s = cJSON_CreateObject();
		char route[160], dlq[160];
		snprintf(route, sizeof route, "/events/%s", ps->subs[i].topic);
		snprintf(dlq, sizeof dlq, "%s.dlq", ps->subs[i].topic);
		cJSON_AddStringToObject(s, "pubsubname", svc_app_pubsub(ps->app));
		cJSON_AddStringToObject(s, "topic", ps->subs[i].topic);
		cJSON_AddStringToObject(s, "route", route);
		cJSON_AddStringToObject(s, "deadLetterTopic", dlq);
		cJSON_AddItemToArray(arr, s); /* arr owns s */
	}
	svc_resp_json(resp, 200, arr);
}

struct svc_pubsub *svc_pubsub_new(struct svc_app *app)
{
	struct svc_pubsub *ps = calloc(1, sizeof *ps);
	if (!ps)
		return NULL;
	ps->app = app;
	if (svc_app_route(app, "GET", "/dapr/subscribe", h_subscribe, ps, SVC_ROUTE_INLINE) != 0) {
		free(ps);
		return NULL;
	}
	return ps;
}

void svc_pubsub_free(struct svc_pubsub *ps)
{
	free(ps);
}

bool svc_pubsub_from_sidecar(const struct svc_app *app, const struct svc_req *req,
			     struct svc_resp *resp)
{
	const char *want = svc_app_sidecar_token(app);
	if (!want[0])
		return true;
	const char *got = svc_req_header(req, "dapr-api-token");
	size_t n = strlen(want);
	if (got && strlen(got) == n && sodium_memcmp(got, want, n) == 0)
		return true;
	struct svc_err err = {0};
	svc_err_set(&err, SVC_EAUTH, NULL,
		    "this route takes calls from the Dapr sidecar only (dapr-api-token)");
	svc_warn(req->request_id, "refused %s %s: %s dapr-api-token", req->method, req->path,
		 got ? "wrong" : "no");
	svc_metrics_inc("sidecar_token_refused_total",
			"Event and binding calls refused for a missing or wrong dapr-api-token.",
			"", 1);
	svc_resp_err(resp, &err);
	return false;
}

static void reply_delivery(struct svc_resp *resp, enum svc_delivery d)
{
	static const char *const names[] = {"SUCCESS", "RETRY", "DROP"};
	cJSON *b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "status", names[d]);
	svc_resp_json(resp, 200, b);
}

static void h_event(struct svc_req *req, struct svc_resp *resp)
{
	struct sub *s = req->arg;
	struct svc_event ev;
	struct svc_err err = {0};
	char labels[256];
	enum svc_delivery d;
	if (!svc_pubsub_from_sidecar(s->ps->app, req, resp))
		return;
	if (svc_event_parse(req->body, req->body_len, &ev, &err) != SVC_OK) {
		/* A poison message: retrying cannot help; Dapr moves it to the
		 * dead-letter topic. */
		svc_warn(req->request_id, "dropping malformed event on %s: %s", s->topic,
			 err.message);
		d = SVC_DELIVERY_DROP;
	} else {
		d = s->fn(s->arg, &ev, ev.id);
		svc_event_cleanup(&ev);
	}
	static const char *const results[] = {"success", "retry", "drop"};
	snprintf(labels, sizeof labels, "topic=\"%s\",result=\"%s\"", s->topic, results[d]);
	svc_metrics_inc("events_in_total", "Events delivered to this service.", labels, 1);
	reply_delivery(resp, d);
}

int svc_pubsub_subscribe(struct svc_pubsub *ps, const char *topic, svc_event_fn fn, void *arg)
{
	if (ps->nsubs >= MAX_SUBS)
		return -1;
	struct sub *s = &ps->subs[ps->nsubs++];
	s->ps = ps;
	snprintf(s->topic, sizeof s->topic, "%s", topic);
	s->fn = fn;
	s->arg = arg;
	char route[160];
	snprintf(route, sizeof route, "/events/%s", topic);
	return svc_app_route(ps->app, "POST", route, h_event, s, 0);
}

static void h_binding(struct svc_req *req, struct svc_resp *resp)
{
	struct binding *b = req->arg;
	if (strcmp(req->method, "OPTIONS") == 0) {
		svc_resp_raw(resp, 200, NULL, NULL, 0);
		return;
	}
	if (!svc_pubsub_from_sidecar(b->ps->app, req, resp))
		return;
	struct svc_err err = {0};
	enum svc_result r = b->fn(b->arg, req, &err);
	char labels[128];
	snprintf(labels, sizeof labels, "binding=\"%s\",result=\"%s\"", b->name,
		 r == SVC_OK ? "ok" : "error");
	svc_metrics_inc("binding_events_total", "Input binding triggers handled.", labels, 1);
	if (r != SVC_OK) {
		svc_warn(req->request_id, "binding %s failed: %s", b->name, err.message);
		svc_resp_err(resp, &err);
		return;
	}
	svc_resp_raw(resp, 200, NULL, NULL, 0);
}

int svc_pubsub_binding(struct svc_pubsub *ps, const char *name, svc_binding_fn fn, void *arg)
{
	if (ps->nbindings >= MAX_BINDINGS)
		return -1;
	struct binding *b = &ps->bindings[ps->nbindings++];
	b->ps = ps;
	snprintf(b->name, sizeof b->name, "%s", name);
	b->fn = fn;
	b->arg = arg;
	char route[80];
	snprintf(route, sizeof route, "/%s", name);
	if (svc_app_route(ps->app, "POST", route, h_binding, b, SVC_ROUTE_QUIET) != 0)
		return -1;
	return svc_app_route(ps->app, "OPTIONS", route, h_binding, b,
			     SVC_ROUTE_QUIET | SVC_ROUTE_INLINE);
}
