#include "cors.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* True for "http://host" or "https://host:port": no path, query, user info
 * or white space, as browsers send it in Origin. */
static bool valid_origin(const char *s, size_t n)
{
	size_t skip;
	if (n > 7 && strncmp(s, "http://", 7) == 0)
		skip = 7;
	else if (n > 8 && strncmp(s, "https://", 8) == 0)
		skip = 8;
	else
		return false;
	for (size_t i = skip; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr(".-:[]", s[i]))
			return false;
	return true;
}

int gw_cors_parse(const char *list, struct gw_cors *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	for (const char *p = list; p && *p;) {
		const char *end = strchrnul(p, ',');
		const char *tok = p;
		p = *end ? end + 1 : end;
		while (tok < end && isspace((unsigned char)*tok))
			tok++;
		size_t n = (size_t)(end - tok);
		while (n > 0 && isspace((unsigned char)tok[n - 1]))
			n--;
		if (n == 0)
			continue;
		if (n == 1 && tok[0] == '*') {
			out->any = true;
			continue;
		}
		if (!valid_origin(tok, n)) {
			snprintf(err, errlen,
				 "\"%.*s\" is not an origin (scheme://host[:port], no path)",
				 (int)n, tok);
			gw_cors_cleanup(out);
			return -1;
		}
		char **v = realloc(out->origins, (out->n + 1) * sizeof *v);
		char *o = v ? strndup(tok, n) : NULL;
		if (v)
			out->origins = v;
		if (!o) {
			snprintf(err, errlen, "out of memory");
			gw_cors_cleanup(out);
			return -1;
		}
		out->origins[out->n++] = o;
	}
	return 0;
}

void gw_cors_cleanup(struct gw_cors *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->origins[i]);
	free(c->origins);
	memset(c, 0, sizeof *c);
}

bool gw_cors_enabled(const struct gw_cors *c)
{
	return c->any || c->n > 0;
}

bool gw_cors_allowed(const struct gw_cors *c, const char *origin)
{
	if (!origin || !valid_origin(origin, strlen(origin)))
		return false;
	if (c->any)
		return true;
	/* Scheme and host compare without case; browsers send them lowercase. */
	for (size_t i = 0; i < c->n; i++)
		if (strcasecmp(c->origins[i], origin) == 0)
			return true;
	return false;
}

/* True when name (n chars) is one of the comma list's items. */
static bool in_list(const char *list, const char *name, size_t n, bool nocase)
{
	for (const char *p = list; *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t len = strcspn(p, ",");
		while (len > 0 && p[len - 1] == ' ')
			len--;
		if (len == n && len > 0 &&
		    (nocase ? strncasecmp(p, name, n) : strncmp(p, name, n)) == 0)
			return true;
		p += strcspn(p, ",");
	}
	return false;
}

enum gw_preflight gw_cors_preflight(const struct gw_cors *c, const char *method,
				    const char *origin, const char *req_method,
				    const char *req_headers, char *why, size_t whylen)
{
	if (strcmp(method, "OPTIONS") != 0 || !origin || !req_method)
		return GW_PREFLIGHT_NONE;
	if (!gw_cors_allowed(c, origin)) {
		snprintf(why, whylen, "origin %.100s may not call this API", origin);
		return GW_PREFLIGHT_REFUSED;
	}
	/* Methods are case-sensitive tokens; header names are not. */
	if (!in_list(GW_CORS_ALLOW_METHODS, req_method, strlen(req_method), false)) {
		snprintf(why, whylen, "method %.40s is not allowed", req_method);
		return GW_PREFLIGHT_REFUSED;
	}
	/* The safelisted request headers never need the server's word, but
	 * some browsers list them anyway. */
	static const char safelisted[] = "Accept, Accept-Language, Content-Language";
	for (const char *p = req_headers ? req_headers : ""; *p;) {
		p += strspn(p, ", \t");
		size_t len = strcspn(p, ", \t");
		if (len > 0 && !in_list(GW_CORS_ALLOW_HEADERS, p, len, true) &&
		    !in_list(safelisted, p, len, true)) {
			snprintf(why, whylen, "header %.*s is not allowed", len > 60 ? 60 : (int)len,
				 p);
			return GW_PREFLIGHT_REFUSED;
		}
		p += len;
	}
	return GW_PREFLIGHT_OK;
}
