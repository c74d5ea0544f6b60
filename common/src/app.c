#include "svc/app.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <sodium.h>

#include "svc/json.h"
#include "svc/log.h"
#include "svc/metrics.h"
#include "svc/util.h"

struct ready_check {
	char name[32];
	svc_ready_fn fn;
	void *arg;
};

struct sub {
	struct svc_app *app;
	char topic[128];
	svc_event_fn fn;
	void *arg;
};

struct binding {
	struct svc_app *app;
	char name[64];
	svc_binding_fn fn;
	void *arg;
};

struct svc_app {
	char name[64];
	void *ctx;
	struct event_base *base;
	struct svc_http *http;
	struct svc_http_opts opts;
	char host[64];
	struct svc_dapr dapr;
	char pubsub[64];
	char secret_store[64];
	char jwt_name[64];
	char app_token[257]; /* APP_API_TOKEN: what the sidecar sends; empty: none */
	long grace_ms;

	struct ready_check checks[8];
	size_t nchecks;
	struct sub *subs[32];
	size_t nsubs;
	struct binding *bindings[8];
	size_t nbindings;

	bool use_jwt;
	pthread_mutex_t key_lock;
	pthread_cond_t key_cond;
	unsigned char *key;
	size_t keylen;
	bool key_stop;
	bool key_thread_running;
	pthread_t key_thread;

	struct event *sig_term, *sig_int, *drain_timer;
	long long drain_deadline;
	bool shutting_down;
	bool print_routes;
};

/* True when the process's own command line holds flag as one argument. */
static bool cmdline_has(const char *flag)
{
	FILE *f = fopen("/proc/self/cmdline", "r");
	if (!f)
		return false;
	char arg[256];
	size_t n = 0;
	bool found = false;
	int c;
	while (!found && (c = fgetc(f)) != EOF) {
		if (c != '\0') {
			if (n < sizeof arg - 1)
				arg[n++] = (char)c;
			continue;
		}
		arg[n] = '\0';
		found = strcmp(arg, flag) == 0;
		n = 0;
	}
	fclose(f);
	return found;
}

struct svc_app *svc_app_new(const char *name, struct svc_config *cfg, void *ctx)
{
	/* libsodium picks its fastest code here; safe to call more than once. */
	if (sodium_init() < 0)
		return NULL;
	struct svc_app *app = calloc(1, sizeof *app);
	if (!app)
		return NULL;
	snprintf(app->name, sizeof app->name, "%s", name);
	app->ctx = ctx;
	pthread_mutex_init(&app->key_lock, NULL);
	pthread_cond_init(&app->key_cond, NULL);

	const char *level = svc_config_str(cfg, "LOG_LEVEL", "info");
	enum svc_log_level lvl = SVC_LOG_INFO;
	if (svc_log_level_parse(level, &lvl) != 0)
		svc_config_fail(cfg, "LOG_LEVEL must be debug, info, warn or error, got \"%s\"",
				level);
	/* The route list owns stdout then; only errors join it. */
	app->print_routes = cmdline_has("--print-routes");
	svc_log_init(name, app->print_routes ? SVC_LOG_ERROR : lvl);

	snprintf(app->host, sizeof app->host, "%s", svc_config_str(cfg, "HOST", "127.0.0.1"));
	app->opts.host = app->host;
	app->opts.port = (int)svc_config_long(cfg, "PORT", NULL, 1, 65535);
	app->opts.workers = (int)svc_config_long(cfg, "HTTP_WORKERS", "4", 1, 64);
	app->opts.max_body = (size_t)svc_config_long(cfg, "MAX_BODY_BYTES", "65536", 1024,
						      8 << 20);
	/* Each stream holds a connection: keep the cap under the descriptor
	 * limit (ulimit -n). */
	app->opts.max_streams = (size_t)svc_config_long(cfg, "HTTP_MAX_STREAMS", "512", 0, 100000);
	app->opts.ctx = ctx;
	const char *dapr = svc_config_str(cfg, "DAPR_HTTP_ENDPOINT", "http://127.0.0.1:3500");
	long dapr_timeout = svc_config_long(cfg, "DAPR_TIMEOUT_MS", "5000", 100, 120000);
	svc_dapr_init(&app->dapr, dapr, dapr_timeout, svc_config_str(cfg, "DAPR_API_TOKEN", ""));
	snprintf(app->pubsub, sizeof app->pubsub, "%s",
		 svc_config_str(cfg, "PUBSUB_NAME", "pubsub"));
	snprintf(app->secret_store, sizeof app->secret_store, "%s",
		 svc_config_str(cfg, "SECRET_STORE", "secretstore"));
	snprintf(app->jwt_name, sizeof app->jwt_name, "%s",
		 svc_config_str(cfg, "JWT_SECRET_NAME", "jwt-signing-key"));
	const char *app_token = svc_config_str(cfg, "APP_API_TOKEN", "");
	if (strlen(app_token) >= sizeof app->app_token)
		svc_config_fail(cfg, "APP_API_TOKEN must be at most %zu characters",
				sizeof app->app_token - 1);
	else
		snprintf(app->app_token, sizeof app->app_token, "%s", app_token);
	app->grace_ms = svc_config_long(cfg, "SHUTDOWN_GRACE_MS", "10000", 0, 600000);

	/* Worker threads wake the loop, so libevent must be thread-aware
	 * before the base exists. */
	evthread_use_pthreads();
	app->base = event_base_new();
	app->http = app->base ? svc_http_new(app->base, &app->opts) : NULL;
	if (!app->http) {
		svc_app_free(app);
		return NULL;
	}
	return app;
}

const char *svc_app_name(const struct svc_app *app) { return app->name; }
const struct svc_dapr *svc_app_dapr(const struct svc_app *app) { return &app->dapr; }
const char *svc_app_pubsub(const struct svc_app *app) { return app->pubsub; }
bool svc_app_print_only(const struct svc_app *app) { return app->print_routes; }

int svc_app_route(struct svc_app *app, const char *method, const char *pattern,
		  svc_handler fn, void *arg, int flags)
{
	return svc_http_route(app->http, method, pattern, fn, arg, flags);
}

void svc_app_filter(struct svc_app *app, svc_filter_fn fn, void *arg)
{
	svc_http_set_filter(app->http, fn, arg);
}

void svc_app_ready_check(struct svc_app *app, const char *name, svc_ready_fn fn, void *arg)
{
	if (app->nchecks >= sizeof app->checks / sizeof app->checks[0])
		return;
	struct ready_check *c = &app->checks[app->nchecks++];
	snprintf(c->name, sizeof c->name, "%s", name);
	c->fn = fn;
	c->arg = arg;
}

/* ---- built-in routes -------------------------------------------------- */

static void h_healthz(struct svc_req *req, struct svc_resp *resp)
{
	(void)req;
	cJSON *b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "status", "ok");
	svc_resp_json(resp, 200, b);
}

static void h_metrics(struct svc_req *req, struct svc_resp *resp)
{
	(void)req;
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	svc_metrics_set("process_resident_memory_bytes", "Resident memory size in bytes.", "",
			(double)rss * (double)sysconf(_SC_PAGESIZE));
	size_t len = 0;
	char *text = svc_metrics_render(&len);
	if (!text) {
		svc_resp_errf(resp, SVC_ENOMEM, NULL, "out of memory");
		return;
	}
	svc_resp_raw(resp, 200, "text/plain; version=0.0.4", text, len);
}

static bool key_loaded(struct svc_app *app)
{
	pthread_mutex_lock(&app->key_lock);
	bool ok = app->key != NULL;
	pthread_mutex_unlock(&app->key_lock);
	return ok;
}

static void h_readyz(struct svc_req *req, struct svc_resp *resp)
{
	struct svc_app *app = req->arg;
	cJSON *b = cJSON_CreateObject();
	cJSON *checks = cJSON_AddObjectToObject(b, "checks");
	bool ok = true;
	bool sidecar = svc_dapr_ready(&app->dapr);
	cJSON_AddStringToObject(checks, "dapr", sidecar ? "ok" : "sidecar not ready");
	ok = ok && sidecar;
	if (app->use_jwt) {
		bool k = key_loaded(app);
		cJSON_AddStringToObject(checks, "jwt_key", k ? "ok" : "not loaded yet");
		ok = ok && k;
	}
	for (size_t i = 0; i < app->nchecks; i++) {
		struct svc_err err = {0};
		enum svc_result r = app->checks[i].fn(app->checks[i].arg, &err);
		cJSON_AddStringToObject(checks, app->checks[i].name,
					r == SVC_OK ? "ok" : err.message);
		ok = ok && r == SVC_OK;
	}
	cJSON_AddStringToObject(b, "status", ok ? "ready" : "not_ready");
	svc_resp_json(resp, ok ? 200 : 503, b);
}

static void h_subscribe(struct svc_req *req, struct svc_resp *resp)
{
	struct svc_app *app = req->arg;
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < app->nsubs; i++) {
		cJSON *s = cJSON_CreateObject();
		char route[160], dlq[160];
		snprintf(route, sizeof route, "/events/%s", app->subs[i]->topic);
		snprintf(dlq, sizeof dlq, "%s.dlq", app->subs[i]->topic);
		cJSON_AddStringToObject(s, "pubsubname", app->pubsub);
		cJSON_AddStringToObject(s, "topic", app->subs[i]->topic);
		cJSON_AddStringToObject(s, "route", route);
		cJSON_AddStringToObject(s, "deadLetterTopic", dlq);
		cJSON_AddItemToArray(arr, s); /* arr owns s */
	}
	svc_resp_json(resp, 200, arr);
}

/* Event and binding routes do things on the word of whoever calls them, so
 * with APP_API_TOKEN set they take calls only with the dapr-api-token the
 * sidecar sends (daprd's own APP_API_TOKEN). Answers 401 otherwise. */
static bool from_sidecar(const struct svc_app *app, const struct svc_req *req,
			 struct svc_resp *resp)
{
	if (!app->app_token[0])
		return true;
	const char *got = svc_req_header(req, "dapr-api-token");
	size_t n = strlen(app->app_token);
	if (got && strlen(got) == n && sodium_memcmp(got, app->app_token, n) == 0)
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
	if (!from_sidecar(s->app, req, resp))
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

int svc_app_subscribe(struct svc_app *app, const char *topic, svc_event_fn fn, void *arg)
{
	if (app->nsubs >= sizeof app->subs / sizeof app->subs[0])
		return -1;
	struct sub *s = calloc(1, sizeof *s);
	if (!s)
		return -1;
	s->app = app;
	snprintf(s->topic, sizeof s->topic, "%s", topic);
	s->fn = fn;
	s->arg = arg;
	app->subs[app->nsubs++] = s;
	char route[160];
	snprintf(route, sizeof route, "/events/%s", topic);
	return svc_app_route(app, "POST", route, h_event, s, 0);
}

static void h_binding(struct svc_req *req, struct svc_resp *resp)
{
	struct binding *b = req->arg;
	if (strcmp(req->method, "OPTIONS") == 0) {
		svc_resp_raw(resp, 200, NULL, NULL, 0);
		return;
	}
	if (!from_sidecar(b->app, req, resp))
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

int svc_app_binding(struct svc_app *app, const char *name, svc_binding_fn fn, void *arg)
{
	if (app->nbindings >= sizeof app->bindings / sizeof app->bindings[0])
		return -1;
	struct binding *b = calloc(1, sizeof *b);
	if (!b)
		return -1;
	b->app = app;
	snprintf(b->name, sizeof b->name, "%s", name);
	b->fn = fn;
	b->arg = arg;
	app->bindings[app->nbindings++] = b;
	char route[80];
	snprintf(route, sizeof route, "/%s", name);
	if (svc_app_route(app, "POST", route, h_binding, b, SVC_ROUTE_QUIET) != 0)
		return -1;
	return svc_app_route(app, "OPTIONS", route, h_binding, b, SVC_ROUTE_QUIET | SVC_ROUTE_INLINE);
}

/* ---- JWT key ---------------------------------------------------------- */

static void *key_loader(void *arg)
{
	struct svc_app *app = arg;
	int attempt = 0;
	for (;;) {
		char *value = NULL;
		struct svc_err err = {0};
		enum svc_result r = svc_dapr_secret(&app->dapr, app->secret_store, app->jwt_name,
						    app->jwt_name, &value, &err);
		pthread_mutex_lock(&app->key_lock);
		if (r == SVC_OK) {
			if (strlen(value) < 32) {
				svc_error(NULL, "secret %s is shorter than 32 bytes; refusing it",
					  app->jwt_name);
				free(value);
			} else {
				app->key = (unsigned char *)value;
				app->keylen = strlen(value);
				pthread_mutex_unlock(&app->key_lock);
				svc_info(NULL, "loaded JWT signing key from secret store %s",
					 app->secret_store);
				return NULL;
			}
		} else if (++attempt % 20 == 1) {
			svc_warn(NULL, "waiting for JWT key: %s", err.message);
		}
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 500 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!app->key_stop &&
		       pthread_cond_timedwait(&app->key_cond, &app->key_lock, &until) != ETIMEDOUT)
			;
		bool stop = app->key_stop;
		pthread_mutex_unlock(&app->key_lock);
		if (stop)
			return NULL;
	}
}

void svc_app_use_jwt(struct svc_app *app)
{
	app->use_jwt = true;
}

enum svc_result svc_app_auth(struct svc_app *app, const struct svc_req *req,
			     const char *want_typ, struct svc_claims *out,
			     struct svc_err *err)
{
	const char *tok = svc_req_bearer(req);
	if (!tok)
		return svc_err_set(err, SVC_EAUTH, NULL, "missing bearer token");
	return svc_app_auth_token(app, tok, want_typ, out, err);
}

enum svc_result svc_app_auth_token(struct svc_app *app, const char *tok,
				   const char *want_typ, struct svc_claims *out,
				   struct svc_err *err)
{
	if (!tok || !*tok)
		return svc_err_set(err, SVC_EAUTH, NULL, "missing token");
	pthread_mutex_lock(&app->key_lock);
	enum svc_result r;
	if (!app->key)
		r = svc_err_set(err, SVC_EUNAVAIL, NULL, "signing key not loaded yet");
	else
		r = svc_jwt_verify(app->key, app->keylen, tok, time(NULL), want_typ, out, err);
	pthread_mutex_unlock(&app->key_lock);
	return r;
}

bool svc_app_authed(struct svc_app *app, const struct svc_req *req, struct svc_resp *resp,
		    struct svc_claims *who)
{
	struct svc_err err = {0};
	if (svc_app_auth(app, req, "access", who, &err) != SVC_OK) {
		svc_resp_err(resp, &err);
		return false;
	}
	return true;
}

enum svc_result svc_app_sign(struct svc_app *app, const struct svc_claims *c, char **out,
			     struct svc_err *err)
{
	pthread_mutex_lock(&app->key_lock);
	enum svc_result r;
	if (!app->key)
		r = svc_err_set(err, SVC_EUNAVAIL, NULL, "signing key not loaded yet");
	else if ((r = svc_jwt_sign(app->key, app->keylen, c, out)) != SVC_OK)
		svc_err_set(err, r, NULL, "cannot sign token");
	pthread_mutex_unlock(&app->key_lock);
	return r;
}

/* ---- lifecycle -------------------------------------------------------- */

static void on_drain(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct svc_app *app = arg;
	size_t n = svc_http_inflight(app->http);
	if (n == 0 || svc_now_ms() >= app->drain_deadline) {
		if (n)
			svc_warn(NULL, "shutdown grace ran out with %zu requests in flight", n);
		event_base_loopbreak(app->base);
	}
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	struct svc_app *app = arg;
	if (app->shutting_down)
		return;
	app->shutting_down = true;
	svc_info(NULL, "signal %d: stopping (in flight: %zu)", (int)sig,
		 svc_http_inflight(app->http));
	svc_http_stop_accepting(app->http);
	/* Streams never end by themselves: end them now (their clients
	 * reconnect to another replica), then drain the rest. */
	svc_http_end_streams(app->http);
	app->drain_deadline = svc_now_ms() + app->grace_ms;
	struct timeval tv = {0, 50000};
	app->drain_timer = event_new(app->base, -1, EV_PERSIST, on_drain, app);
	if (app->drain_timer)
		event_add(app->drain_timer, &tv);
	else
		event_base_loopbreak(app->base);
}

static void print_route(void *arg, const char *method, const char *pattern)
{
	(void)arg;
	printf("%s %s\n", method, pattern);
}

int svc_app_run(struct svc_app *app)
{
	signal(SIGPIPE, SIG_IGN);
	int rc = 0;
	rc |= svc_http_route(app->http, "GET", "/healthz", h_healthz, app,
			     SVC_ROUTE_INLINE | SVC_ROUTE_QUIET);
	rc |= svc_http_route(app->http, "GET", "/readyz", h_readyz, app, SVC_ROUTE_QUIET);
	rc |= svc_http_route(app->http, "GET", "/metrics", h_metrics, app,
			     SVC_ROUTE_INLINE | SVC_ROUTE_QUIET);
	rc |= svc_http_route(app->http, "GET", "/dapr/subscribe", h_subscribe, app,
			     SVC_ROUTE_INLINE);
	if (rc != 0)
		return 1;
	if (app->print_routes) {
		svc_http_routes(app->http, print_route, NULL);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (svc_http_listen(app->http) != 0)
		return 1;
	if (app->use_jwt) {
		if (pthread_create(&app->key_thread, NULL, key_loader, app) != 0)
			return 1;
		app->key_thread_running = true;
	}
	app->sig_term = evsignal_new(app->base, SIGTERM, on_signal, app);
	app->sig_int = evsignal_new(app->base, SIGINT, on_signal, app);
	if (!app->sig_term || !app->sig_int)
		return 1;
	event_add(app->sig_term, NULL);
	event_add(app->sig_int, NULL);
	svc_info(NULL, "listening on http://%s:%d (dapr %s)", app->opts.host, app->opts.port,
		 app->dapr.base);
	if ((app->nsubs || app->nbindings) && !app->app_token[0])
		svc_warn(NULL, "APP_API_TOKEN is not set: event and binding routes take calls from"
			 " anyone who reaches port %d", app->opts.port);
	event_base_dispatch(app->base);
	svc_info(NULL, "stopped");
	return 0;
}

void svc_app_free(struct svc_app *app)
{
	if (!app)
		return;
	if (app->key_thread_running) {
		pthread_mutex_lock(&app->key_lock);
		app->key_stop = true;
		pthread_cond_broadcast(&app->key_cond);
		pthread_mutex_unlock(&app->key_lock);
		pthread_join(app->key_thread, NULL);
	}
	svc_http_free(app->http);
	if (app->sig_term)
		event_free(app->sig_term);
	if (app->sig_int)
		event_free(app->sig_int);
	if (app->drain_timer)
		event_free(app->drain_timer);
	if (app->base)
		event_base_free(app->base);
	for (size_t i = 0; i < app->nsubs; i++)
		free(app->subs[i]);
	for (size_t i = 0; i < app->nbindings; i++)
		free(app->bindings[i]);
	free(app->key);
	pthread_mutex_destroy(&app->key_lock);
	pthread_cond_destroy(&app->key_cond);
	free(app);
}
