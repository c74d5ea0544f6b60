/* CORS rules, no I/O: which origins may call the API from a browser, and
 * what a preflight may ask for. */
#ifndef GW_CORS_H
#define GW_CORS_H

#include <stdbool.h>
#include <stddef.h>

#define GW_CORS_ALLOW_METHODS "GET, POST, PATCH, DELETE"
#define GW_CORS_ALLOW_HEADERS                                                                      \
	"Authorization, Content-Type, If-Match, If-None-Match, X-Request-Id, traceparent, "        \
	"tracestate, Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID"
#define GW_CORS_EXPOSE_HEADERS "ETag, X-Request-Id, Retry-After, Mcp-Session-Id"
#define GW_CORS_MAX_AGE "600"

struct gw_cors {
	char **origins; /* exact "scheme://host[:port]" strings */
	size_t n;
	bool any; /* "*" was listed */
};

/* Parses a comma list of origins ("https://app.example.com,
 * http://127.0.0.1:5173") or "*" for any. Empty or NULL allows none.
 * Returns 0, or -1 with why in err (out left empty). Free with
 * gw_cors_cleanup. */
int gw_cors_parse(const char *list, struct gw_cors *out, char *err, size_t errlen);
void gw_cors_cleanup(struct gw_cors *c);

/* True when CORS is on at all (some origin is allowed). */
bool gw_cors_enabled(const struct gw_cors *c);
/* True when a browser page from origin (may be NULL) may read answers. */
bool gw_cors_allowed(const struct gw_cors *c, const char *origin);

enum gw_preflight {
	GW_PREFLIGHT_NONE,    /* not a preflight: route it as usual */
	GW_PREFLIGHT_OK,      /* answer 204 with the allow headers */
	GW_PREFLIGHT_REFUSED, /* answer 403; why says what was refused */
};

/* Classifies a request: a preflight is OPTIONS with Origin and
 * Access-Control-Request-Method. req_headers (may be NULL) is the
 * Access-Control-Request-Headers list. */
enum gw_preflight gw_cors_preflight(const struct gw_cors *c, const char *method,
				    const char *origin, const char *req_method,
				    const char *req_headers, char *why, size_t whylen);

#endif
