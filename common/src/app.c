/* Service defaults; see app.h. Everything here runs on the loop thread,
 * but for the ready checks (on the probe pool) and what the hooks do. */
#include "svc/app.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <sodium.h>

#include "svc/json.h"
#include "svc/log.h"
#include "svc/metrics.h"
#include "svc/util.h"

#define MAX_HOOKS 8
#define MAX_POOLS 8

struct ready_check {
	char name[32];
	svc_ready_fn fn;
	void *arg;
};

struct hook {
	svc_app_hook fn;
	void *arg;
};

struct svc_app {
	char name[64];
	void *ctx;
	struct event_base *base;
	struct svc_server *server;
	struct svc_server_opts opts;
	char host[64];
	int workers;
	size_t queue_max;
	struct svc_dapr dapr;
	char pubsub[64];
	char secret_store[64];
	char app_token[257]; /* APP_API_TOKEN: what the sidecar sends; empty: none */
	long grace_ms;

	struct svc_pool *pool;  /* "http": handlers' default */
	struct svc_pool *probe; /* "probe": /readyz */
	struct svc_pool *pools[MAX_POOLS]; /* the service's own */
	size_t npools;

	struct ready_check checks[8];
	size_t nchecks;
	struct hook starts[MAX_HOOKS], stops[MAX_HOOKS];
	size_t nstarts, nstops;

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
	app->workers = (int)svc_config_long(cfg, "HTTP_WORKERS", "4", 1, 64);
	app->queue_max = (size_t)svc_config_long(cfg, "HTTP_QUEUE_MAX", "256", 1, 1000000);
	app->opts.max_body = (size_t)svc_config_long(cfg, "MAX_BODY_BYTES", "65536", 1024,
						      8 << 20);
	/* Each stream holds a connection: keep the cap under the descriptor
	 * limit (ulimit -n). */
	app->opts.max_streams = (size_t)svc_config_long(cfg, "HTTP_MAX_STREAMS", "512", 0, 100000);
	app->opts.ctx = ctx;
	const char *dapr = svc_config_str(cfg, "DAPR_HTTP_ENDPOINT", "http://127.0.0.1:3500");
	long dapr_timeout = svc_config_long(cfg, "DAPR_TIMEOUT_MS", "5000", 100, 120000);
	struct svc_err err = {0};
	if (svc_dapr_init(&app->dapr, dapr, dapr_timeout,
			  svc_config_str(cfg, "DAPR_API_TOKEN", ""), &err) != SVC_OK)
		svc_config_fail(cfg, "DAPR_HTTP_ENDPOINT/DAPR_API_TOKEN: %s", err.message);
	snprintf(app->pubsub, sizeof app->pubsub, "%s",
		 svc_config_str(cfg, "PUBSUB_NAME", "pubsub"));
	snprintf(app->secret_store, sizeof app->secret_store, "%s",
		 svc_config_str(cfg, "SECRET_STORE", "secretstore"));
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
	app->base = svc_loop_new();
	if (app->base) {
		app->pool = svc_pool_new(app->base, "http", app->workers, app->queue_max);
		app->probe = svc_pool_new(app->base, "probe", 1, 16);
	}
	if (app->pool && app->probe)
		app->server = svc_server_new(app->base, &app->opts, app->pool);
	if (!app->server) {
		svc_app_free(app);
		return NULL;
	}
	return app;
}

const char *svc_app_name(const struct svc_app *app) { return app->name; }
struct event_base *svc_app_base(const struct svc_app *app) { return app->base; }
const struct svc_dapr *svc_app_dapr(const struct svc_app *app) { return &app->dapr; }
const char *svc_app_pubsub(const struct svc_app *app) { return app->pubsub; }
const char *svc_app_secret_store(const struct svc_app *app) { return app->secret_store; }
const char *svc_app_sidecar_token(const struct svc_app *app) { return app->app_token; }
bool svc_app_print_only(const struct svc_app *app) { return app->print_routes; }

int svc_app_route(struct svc_app *app, const char *method, const char *pattern,
		  svc_handler fn, void *arg, int flags)
{
	return svc_server_route(app->server, method, pattern, fn, arg, flags, NULL);
}

int svc_app_route_on(struct svc_app *app, struct svc_pool *pool, const char *method,
		     const char *pattern, svc_handler fn, void *arg, int flags)
{
	return svc_server_route(app->server, method, pattern, fn, arg, flags, pool);
}

struct svc_pool *svc_app_pool(struct svc_app *app, const char *name, int threads,
			      size_t max_queued)
{
	if (app->npools >= MAX_POOLS)
		return NULL;
	struct svc_pool *p = svc_pool_new(app->base, name, threads, max_queued);
	if (p)
		app->pools[app->npools++] = p;
	return p;
}

void svc_app_filter(struct svc_app *app, svc_filter_fn fn, void *arg)
{
	svc_server_set_filter(app->server, fn, arg);
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

static int add_hook(struct hook *h, size_t *n, svc_app_hook fn, void *arg)
{
	if (*n >= MAX_HOOKS)
		return -1;
	h[*n].fn = fn;
	h[*n].arg = arg;
	(*n)++;
	return 0;
}

int svc_app_on_start(struct svc_app *app, svc_app_hook fn, void *arg)
{
	return add_hook(app->starts, &app->nstarts, fn, arg);
}

int svc_app_on_stop(struct svc_app *app, svc_app_hook fn, void *arg)
{
	return add_hook(app->stops, &app->nstops, fn, arg);
}

/* ---- built-in routes ----------------------------------------------------- */

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

static void h_readyz(struct svc_req *req, struct svc_resp *resp)
{
	struct svc_app *app = req->arg;
	cJSON *b = cJSON_CreateObject();
	cJSON *checks = cJSON_AddObjectToObject(b, "checks");
	bool ok = true;
	bool sidecar = svc_dapr_ready(&app->dapr);
	cJSON_AddStringToObject(checks, "dapr", sidecar ? "ok" : "sidecar not ready");
	ok = ok && sidecar;
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

/* ---- lifecycle ----------------------------------------------------------- */

static void on_drain(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct svc_app *app = arg;
	size_t n = svc_server_inflight(app->server);
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
		 svc_server_inflight(app->server));
	svc_server_stop_accepting(app->server);
	/* Streams never end by themselves: end them now (their clients
	 * reconnect to another replica), then drain the rest. */
	svc_server_end_streams(app->server);
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

static void stop_pools(struct svc_app *app)
{
	if (app->pool)
		svc_pool_stop(app->pool);
	if (app->probe)
		svc_pool_stop(app->probe);
	for (size_t i = 0; i < app->npools; i++)
		svc_pool_stop(app->pools[i]);
}

int svc_app_run(struct svc_app *app)
{
	signal(SIGPIPE, SIG_IGN);
	int rc = 0;
	rc |= svc_server_route(app->server, "GET", "/healthz", h_healthz, app,
			       SVC_ROUTE_INLINE | SVC_ROUTE_QUIET, NULL);
	rc |= svc_server_route(app->server, "GET", "/readyz", h_readyz, app, SVC_ROUTE_QUIET,
			       app->probe);
	rc |= svc_server_route(app->server, "GET", "/metrics", h_metrics, app,
			       SVC_ROUTE_INLINE | SVC_ROUTE_QUIET, NULL);
	if (rc != 0)
		return 1;
	if (app->print_routes) {
		svc_server_routes(app->server, print_route, NULL);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (svc_server_listen(app->server) != 0 || svc_pool_start(app->pool) != 0 ||
	    svc_pool_start(app->probe) != 0)
		return 1;
	for (size_t i = 0; i < app->npools; i++)
		if (svc_pool_start(app->pools[i]) != 0)
			return 1;
	for (size_t i = 0; i < app->nstarts; i++)
		app->starts[i].fn(app->starts[i].arg);
	app->sig_term = evsignal_new(app->base, SIGTERM, on_signal, app);
	app->sig_int = evsignal_new(app->base, SIGINT, on_signal, app);
	if (!app->sig_term || !app->sig_int)
		return 1;
	event_add(app->sig_term, NULL);
	event_add(app->sig_int, NULL);
	svc_info(NULL, "listening on http://%s:%d (dapr %s)", app->opts.host, app->opts.port,
		 app->dapr.base);
	/* The access line per request goes out in batches from here on
	 * (line by line if the batch cannot be had). */
	(void)svc_log_batch(app->base);
	event_base_dispatch(app->base);
	svc_log_batch_end();
	/* What the pools still hold finishes (answers go out, or are dropped
	 * when the grace ran out), then the service's own stop steps. */
	stop_pools(app);
	for (size_t i = app->nstops; i-- > 0;)
		app->stops[i].fn(app->stops[i].arg);
	app->nstops = 0;
	svc_info(NULL, "stopped");
	return 0;
}

void svc_app_free(struct svc_app *app)
{
	if (!app)
		return;
	stop_pools(app);
	for (size_t i = app->nstops; i-- > 0;)
		app->stops[i].fn(app->stops[i].arg);
	svc_server_free(app->server);
	svc_pool_free(app->pool);
	svc_pool_free(app->probe);
	for (size_t i = 0; i < app->npools; i++)
		svc_pool_free(app->pools[i]);
	if (app->sig_term)
		event_free(app->sig_term);
	if (app->sig_int)
		event_free(app->sig_int);
	if (app->drain_timer)
		event_free(app->drain_timer);
	if (app->base)
		event_base_free(app->base);
	free(app);
}
