/* reminder-service: wiring only. */
#include <stdio.h>

#include "firing.h"
#include "routes.h"
#include "svc/app.h"
#include "svc/log.h"
#include "svc/redis.h"

int main(void)
{
	struct svc_config cfg;
	svc_config_init(&cfg);
	struct rem_firing f = {0};
	struct svc_app *app = svc_app_new("reminder-service", &cfg, &f);
	if (!app)
		return 1;
	struct svc_redis_addr redis = {
		.host = svc_config_str(&cfg, "REDIS_HOST", "127.0.0.1"),
		.port = (int)svc_config_long(&cfg, "REDIS_PORT", "6379", 1, 65535),
	};
	f.dapr = svc_app_dapr(app);
	f.pubsub = svc_app_pubsub(app);
	f.store.dapr = f.dapr;
	f.store.state_store = svc_config_str(&cfg, "STATE_STORE", "statestore");
	f.store.redis_host = redis.host;
	f.store.redis_port = redis.port;
	f.store.redis_timeout_ms = svc_config_long(&cfg, "REDIS_TIMEOUT_MS", "2000", 100, 60000);
	f.store.tombstone_ttl_s =
		svc_config_long(&cfg, "REMINDER_TOMBSTONE_TTL_SECONDS", "691200", 60, 315360000);
	f.tick_ms = svc_config_long(&cfg, "REMINDER_TICK_MS", "1000", 100, 3600000);
	char lookahead_def[24];
	snprintf(lookahead_def, sizeof lookahead_def, "%ld", 2 * f.tick_ms);
	f.lookahead_ms = svc_config_long(&cfg, "REMINDER_LOOKAHEAD_MS", lookahead_def, 0, 3600000);
	f.lease_ms = svc_config_long(&cfg, "REMINDER_LEASE_MS", "30000", 1000, 3600000);
	f.retry_ms = svc_config_long(&cfg, "REMINDER_RETRY_MS", "1000", 100, 600000);
	f.batch = (size_t)svc_config_long(&cfg, "REMINDER_CLAIM_BATCH", "200", 1, 10000);
	int threads = (int)svc_config_long(&cfg, "REMINDER_FIRE_THREADS", "4", 1, 64);
	if (svc_config_check(&cfg, "reminder-service") != 0) {
		svc_app_free(app);
		return 2;
	}
	if (f.lookahead_ms < f.tick_ms)
		svc_warn(NULL, "REMINDER_LOOKAHEAD_MS (%ld) is shorter than a tick (%ld): reminders "
			       "may fire up to a tick late",
			 f.lookahead_ms, f.tick_ms);
	svc_app_ready_check(app, "redis", svc_redis_ready_check, &redis);
	if (rem_firing_start(&f, threads) != 0) {
		svc_app_free(app);
		return 1;
	}
	struct svc_pubsub *ps = svc_pubsub_new(app);
	if (!ps || rem_routes_register(ps, &f) != 0) {
		svc_app_free(app);
		svc_pubsub_free(ps);
		rem_firing_cleanup(&f);
		return 1;
	}
	int rc = svc_app_run(app);
	/* Handlers have drained; claims still waiting go back to the index. */
	rem_firing_stop(&f);
	svc_app_free(app);
	svc_pubsub_free(ps);
	rem_firing_cleanup(&f);
	return rc;
}
