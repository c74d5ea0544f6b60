/* ai-agent: wiring only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_store.h"
#include "catalogue.h"
#include "model.h"
#include "routes.h"
#include "svc/app.h"
#include "svc/auth.h"
#include "svc/log.h"
#include "svc/pg.h"

int main(void)
{
	struct svc_config cfg;
	svc_config_init(&cfg);
	struct agt_ctx ctx = {0};
	struct svc_app *app = svc_app_new("ai-agent", &cfg, &ctx);
	if (!app)
		return 1;
	ctx.app = app;
	ctx.auth = svc_auth_new(app, &cfg);
	svc_pg_opts_read(&cfg, &ctx.pg);
	struct svc_err err = {0};
	const struct svc_dapr *dapr = svc_app_dapr(app);
	if (svc_peer_init(&ctx.tasks, dapr, "task-service",
			  svc_config_str(&cfg, "TASK_SERVICE_URL", ""), &err) != SVC_OK)
		svc_config_fail(&cfg, "TASK_SERVICE_URL: %s", err.message);
	ctx.task_timeout_ms = svc_config_long(&cfg, "TASK_TIMEOUT_MS", "10000", 100, 120000);
	int chat_workers = (int)svc_config_long(&cfg, "CHAT_WORKERS", "4", 1, 64);
	size_t chat_queue = (size_t)svc_config_long(&cfg, "CHAT_QUEUE_MAX", "64", 1, 100000);
	struct agt_converse_cfg *cv = &ctx.converse;
	cv->limits = (struct agt_turn_limits){
		.max_steps = (int)svc_config_long(&cfg, "TURN_MAX_STEPS", "8", 1, 8),
		.budget_ms = svc_config_long(&cfg, "TURN_BUDGET_MS", "60000", 1000, 600000),
		.attempt_timeout_ms = svc_config_long(&cfg, "LLM_TIMEOUT_MS", "30000", 100, 600000),
		.backoff_ms = svc_config_long(&cfg, "LLM_BACKOFF_MS", "500", 1, 60000),
		.backoff_max_ms = svc_config_long(&cfg, "LLM_BACKOFF_MAX_MS", "8000", 1, 600000),
		.max_attempts = (int)svc_config_long(&cfg, "LLM_MAX_ATTEMPTS", "4", 1, 20),
	};
	const char *llm_url = svc_config_str(&cfg, "LLM_BASE_URL", "");
	cv->llm = (struct agt_llm_settings){
		.model = svc_config_str(&cfg, "LLM_MODEL", ""),
		.temperature = -1,
		.max_tokens = (int)svc_config_long(&cfg, "LLM_MAX_TOKENS", "0", 0, 1000000),
		.history_max = (size_t)svc_config_long(&cfg, "LLM_HISTORY_MESSAGES", "20", 0, 200),
		.history_chars =
			(size_t)svc_config_long(&cfg, "LLM_HISTORY_CHARS", "16000", 0, 1000000),
	};
	const char *key_secret = svc_config_str(&cfg, "LLM_API_KEY_SECRET", "");
	if (llm_url[0] && strncmp(llm_url, "http://", 7) != 0 && strncmp(llm_url, "https://", 8) != 0)
		svc_config_fail(&cfg, "LLM_BASE_URL must be an http:// or https:// URL");
	if (llm_url[0] && !cv->llm.model[0])
		svc_config_fail(&cfg, "LLM_MODEL is required with LLM_BASE_URL");
	ctx.history_max = cv->llm.history_max;
	ctx.mcp_session_ttl = svc_config_long(&cfg, "MCP_SESSION_TTL_S", "86400", 60, 2592000);
	if (!ctx.auth || svc_config_check(&cfg, "ai-agent") != 0) {
		svc_app_free(app);
		svc_auth_free(ctx.auth);
		return 2;
	}
	int rc = 1;
	if (!(cv->catalogue = agt_catalogue_builtin())) {
		svc_error(NULL, "the embedded tool catalogue cannot be read");
		goto out;
	}
	if (llm_url[0]) {
		if (!(cv->model = agt_model_new(llm_url, dapr, svc_app_secret_store(app), key_secret)))
			goto out;
		if (key_secret[0])
			svc_app_ready_check(app, "llm_key", agt_model_ready, cv->model);
		/* The base URL and model are no secret; the key is never logged. */
		svc_info(NULL, "planner: model %s at %s", cv->llm.model, llm_url);
	} else {
		svc_info(NULL, "planner: the built-in one (no LLM_BASE_URL)");
	}
	if (agt_store_migrate(ctx.pg.conninfo, &err) != SVC_OK) {
		svc_error(NULL, "migrations failed: %s", err.message);
		goto out;
	}
	if (!(ctx.db = svc_pg_pool_new(ctx.pg.conninfo, ctx.pg.pool_size)) ||
	    !(ctx.chat = svc_app_pool(app, "chat", chat_workers, chat_queue)))
		goto out;
	svc_app_ready_check(app, "postgres", svc_pg_ready_check, ctx.db);
	if (agt_routes_register(app, &ctx) != 0)
		goto out;
	rc = svc_app_run(app);
out:
	svc_app_free(app);
	svc_pg_pool_free(ctx.db);
	agt_model_free(cv->model);
	svc_auth_free(ctx.auth);
	return rc;
}
