/* What the gateway reads from every /api request's headers before routing
 * it (gw_edge_filter, without its Redis counters), and from its settings:
 * CORS (the allowed origins, Origin, a preflight's method and header
 * list), the client address (TRUSTED_PROXIES, the peer, X-Forwarded-For)
 * and the rate-limit counters it picks, the access token and the stream's
 * resume point (Last-Event-ID or last_event_id); and for paths outside
 * /api, what the web app's static files make of the path. Input lines:
 * CORS_ALLOWED_ORIGINS, TRUSTED_PROXIES, method, path, Origin,
 * Access-Control-Request-Method, Access-Control-Request-Headers, peer,
 * X-Forwarded-For, Last-Event-ID, Authorization, query string. */
#include <stdlib.h>
#include <string.h>

#include "cors.h"
#include "fuzz.h"
#include "ratelimit.h"
#include "sse.h"
#include "static_files.h"

enum { ORIGINS, PROXIES, METHOD, PATH, ORIGIN, AC_METHOD, AC_HEADERS, PEER, XFF,
       LAST_ID, AUTH, QUERY, NFIELDS };

static void cors(char **f)
{
	struct gw_cors c;
	char err[160], why[200];
	if (gw_cors_parse(f[ORIGINS], &c, err, sizeof err) != 0) {
		SVC_FUZZ_CHECK(!gw_cors_enabled(&c));
		return;
	}
	enum gw_preflight pf = gw_cors_preflight(&c, f[METHOD], f[ORIGIN], f[AC_METHOD],
						 f[AC_HEADERS], why, sizeof why);
	bool allowed = gw_cors_allowed(&c, f[ORIGIN]);
	SVC_FUZZ_CHECK(pf != GW_PREFLIGHT_OK || allowed);
	/* An origin that is let in is one a browser could send. */
	SVC_FUZZ_CHECK(!allowed || strncmp(f[ORIGIN], "http", 4) == 0);
	gw_cors_cleanup(&c);
}

static void rate_limits(char **f)
{
	struct svc_nets trusted;
	char err[160], client[64];
	if (svc_nets_parse(f[PROXIES], &trusted, err, sizeof err) != 0)
		return;
	gw_client_addr(&trusted, f[PEER], f[XFF], client, sizeof client);
	struct gw_rl_limits limits = {.addr = 600, .auth = 20, .user = 300};
	struct gw_rl_check checks[GW_RL_MAX_CHECKS];
	size_t n = gw_rl_checks(&limits, f[PATH], client, f[AUTH], checks);
	SVC_FUZZ_CHECK(n >= 1 && n <= GW_RL_MAX_CHECKS);
	for (size_t i = 0; i < n; i++)
		SVC_FUZZ_CHECK(strncmp(checks[i].key, GW_RL_KEY_PREFIX,
				       strlen(GW_RL_KEY_PREFIX)) == 0);
	svc_nets_cleanup(&trusted);
}

static void stream(char **f)
{
	struct svc_kv headers[] = {{.name = "Last-Event-ID", .value = f[LAST_ID]},
				   {.name = "Authorization", .value = f[AUTH]}};
	struct svc_kv *query = NULL;
	size_t nquery = 0;
	if (svc_query_parse(f[QUERY], &query, &nquery) != 0)
		return;
	struct svc_req req = {.method = f[METHOD], .path = f[PATH], .route = GW_SSE_ROUTE,
			      .headers = headers, .nheaders = 2, .query = query,
			      .nquery = nquery};
	long long id = -1;
	bool present = false;
	struct svc_err err = {0};
	if (gw_sse_last_id(&req, &id, &present, &err) == SVC_OK && present)
		SVC_FUZZ_CHECK(id >= 0 && id <= GW_SSE_MAX_ID);
	gw_request_token(&req);
	svc_kv_free_all(query, nquery);
}

/* A path the static files take as a file stays below the root. */
static void static_path(char **f)
{
	char rel[PATH_MAX];
	enum gw_static_route r = gw_static_route(f[METHOD], f[PATH], strlen(f[PATH]), rel,
						 sizeof rel);
	if (r != GW_STATIC_FILE)
		return;
	SVC_FUZZ_CHECK(strcmp(f[PATH] + 1, rel) == 0 && rel[0] != '/' && rel[0] != '.');
	SVC_FUZZ_CHECK(!strstr(rel, "/.") && !strstr(rel, "//") && !strchr(rel, '\\'));
	SVC_FUZZ_CHECK(strncmp(f[PATH], "/api/", 5) != 0 && gw_static_type(rel) != NULL);
	gw_static_cache(rel);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *f[NFIELDS];
	char *s = svc_fuzz_split(data, size, f, NFIELDS);
	if (!s)
		return 0;
	cors(f);
	rate_limits(f);
	stream(f);
	static_path(f);
	free(s);
	return 0;
}
