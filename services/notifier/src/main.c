/* notifier: wiring only. */
#include <string.h>

#include <curl/curl.h>

#include "deliver.h"
#include "events.h"
#include "notifier.h"
#include "notifier_store.h"
#include "notify.h"
#include "routes.h"
#include "svc/app.h"
#include "svc/auth.h"
#include "svc/pubsub.h"
#include "svc/log.h"
#include "svc/pg.h"

static void read_config(struct svc_config *cfg, struct ntf_ctx *ctx)
{
	svc_pg_opts_read(cfg, &ctx->pg);
	ctx->redis.host = svc_config_str(cfg, "REDIS_HOST", "127.0.0.1");
	ctx->redis.port = (int)svc_config_long(cfg, "REDIS_PORT", "6379", 1, 65535);

	struct ntf_deliver_cfg *d = &ctx->deliver;
	d->conninfo = ctx->pg.conninfo;
	d->threads = (int)svc_config_long(cfg, "DELIVERY_WORKERS", "2", 1, 16);
	d->retry.base_ms = svc_config_long(cfg, "DELIVERY_RETRY_BASE_MS", "1000", 10, 3600000);
	d->retry.max_ms = svc_config_long(cfg, "DELIVERY_RETRY_MAX_MS", "3600000", 10, 86400000);
	d->retry.max_attempts = (int)svc_config_long(cfg, "DELIVERY_MAX_ATTEMPTS", "12", 1, 100);
	d->webhook.timeout_ms = svc_config_long(cfg, "WEBHOOK_TIMEOUT_MS", "10000", 100, 60000);
	char err[160];
	if (svc_nets_parse(svc_config_str(cfg, "WEBHOOK_ALLOW_NETS", ""), &d->webhook.allow, err,
			   sizeof err) != 0)
		svc_config_fail(cfg, "WEBHOOK_ALLOW_NETS: %s", err);

	const char *smtp = svc_config_str(cfg, "SMTP_URL", "");
	d->email.timeout_ms = svc_config_long(cfg, "SMTP_TIMEOUT_MS", "10000", 100, 120000);
	if (!*smtp)
		return;
	if (strncmp(smtp, "smtp://", 7) != 0 && strncmp(smtp, "smtps://", 8) != 0)
		svc_config_fail(cfg, "SMTP_URL must start with smtp:// or smtps://");
	d->email.smtp_url = smtp;
	d->email.from = svc_config_str(cfg, "SMTP_FROM", NULL);
	char norm[SVC_EMAIL_BUF];
	struct svc_err e;
	if (d->email.from && svc_email_normalize(d->email.from, norm, &e) != SVC_OK)
		svc_config_fail(cfg, "SMTP_FROM: %s", e.message);
}

int main(void)
{
	/* Before any thread: libcurl's global state. */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	struct svc_config cfg;
	svc_config_init(&cfg);
	struct ntf_ctx ctx = {0};
	struct svc_pubsub *ps = NULL;
	struct svc_app *app = svc_app_new("notifier", &cfg, &ctx);
	int rc = 1;
	if (!app)
		goto out;
	ctx.app = app;
	ctx.auth = svc_auth_new(app, &cfg);
	read_config(&cfg, &ctx);
	if (!ctx.auth || svc_config_check(&cfg, "notifier") != 0) {
		rc = 2;
		goto out;
	}
	struct svc_err err = {0};
	if (ntf_store_migrate(ctx.pg.conninfo, &err) != SVC_OK) {
		svc_error(NULL, "migrations failed: %s", err.message);
		goto out;
	}
	if (!(ctx.db = svc_pg_pool_new(ctx.pg.conninfo, ctx.pg.pool_size)))
		goto out;
	svc_app_ready_check(app, "postgres", svc_pg_ready_check, ctx.db);
	svc_app_ready_check(app, "redis", svc_redis_ready_check, &ctx.redis);
	if (ntf_routes_register(app) != 0)
		goto out;
	if (!(ps = svc_pubsub_new(app)))
		goto out;
	for (const char *const *t = ntf_topics; *t; t++)
		if (svc_pubsub_subscribe(ps, *t, ntf_on_event, &ctx) != 0)
			goto out;
	if (!svc_app_print_only(app) && !(ctx.workers = ntf_deliver_start(&ctx.deliver)))
		goto out;
	rc = svc_app_run(app);
out:
	/* Requests have drained; each worker finishes its delivery and stops. */
	ntf_deliver_stop(ctx.workers);
	svc_app_free(app);
	svc_pubsub_free(ps);
	svc_pg_pool_free(ctx.db);
	svc_auth_free(ctx.auth);
	svc_nets_cleanup(&ctx.deliver.webhook.allow);
	curl_global_cleanup();
	return rc;
}
