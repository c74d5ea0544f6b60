#include "static_files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "svc/log.h"

static bool is_api(const char *path)
{
	return strncmp(path, "/api", 4) == 0 && (path[4] == '\0' || path[4] == '/');
}

enum gw_static_route gw_static_route(const char *method, const char *path, size_t path_len,
				     char *rel, size_t rel_size)
{
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return GW_STATIC_PASS;
	if (is_api(path))
		return GW_STATIC_PASS;
	size_t len = strlen(path);
	if (path_len > len || path[0] != '/')
		return GW_STATIC_REFUSED; /* a NUL inside, or no absolute path */
	/* Each segment: no control characters or backslashes, none empty
	 * (but the last), none starting with a dot ("." "..", hidden files). */
	const char *seg = path + 1;
	const char *last = seg;
	for (const char *p = seg;; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '/' || c == '\0') {
			if (p == seg && c == '/')
				return GW_STATIC_REFUSED; /* "//" */
			if (p > seg && *seg == '.')
				return GW_STATIC_REFUSED;
			if (c == '\0')
				break;
			seg = p + 1;
			last = seg;
			continue;
		}
		if (c < 0x20 || c == 0x7f || c == '\\')
			return GW_STATIC_REFUSED;
	}
	/* A last segment with an extension names a file; anything else is a
	 * route of the app itself. */
	if (*last == '\0' || !strchr(last, '.'))
		return GW_STATIC_INDEX;
	if (len - 1 >= rel_size)
		return GW_STATIC_REFUSED;
	memcpy(rel, path + 1, len); /* with its NUL */
	return GW_STATIC_FILE;
}

static const struct {
	const char *ext;
	const char *type;
} TYPES[] = {
	{"html", "text/html; charset=utf-8"},
	{"js", "text/javascript; charset=utf-8"},
	{"mjs", "text/javascript; charset=utf-8"},
	{"css", "text/css; charset=utf-8"},
	{"json", "application/json"},
	{"map", "application/json"},
	{"webmanifest", "application/manifest+json"},
	{"txt", "text/plain; charset=utf-8"},
	{"svg", "image/svg+xml"},
	{"png", "image/png"},
	{"jpg", "image/jpeg"},
	{"jpeg", "image/jpeg"},
	{"gif", "image/gif"},
	{"webp", "image/webp"},
	{"avif", "image/avif"},
	{"ico", "image/x-icon"},
	{"woff2", "font/woff2"},
	{"woff", "font/woff"},
	{"ttf", "font/ttf"},
	{"otf", "font/otf"},
	{"wasm", "application/wasm"},
	{"xml", "application/xml"},
	{"pdf", "application/pdf"},
};

const char *gw_static_type(const char *name)
{
	const char *slash = strrchr(name, '/');
	const char *dot = strrchr(slash ? slash : name, '.');
	if (dot)
		for (size_t i = 0; i < sizeof TYPES / sizeof *TYPES; i++)
			if (strcasecmp(dot + 1, TYPES[i].ext) == 0)
				return TYPES[i].type;
	return "application/octet-stream";
}

const char *gw_static_cache(const char *rel)
{
	/* Vite names what it puts under assets/ by content hash: a changed
	 * file gets a new name, so the old one may be kept for good. */
	if (strncmp(rel, "assets/", 7) == 0)
		return "public, max-age=31536000, immutable";
	return "no-cache";
}

int gw_static_set_root(struct gw_static *st, const char *root)
{
	free(st->root);
	st->root = NULL;
	st->root_len = 0;
	if (!root || !*root)
		return 0;
	char *real = realpath(root, NULL);
	struct stat sb;
	if (!real || stat(real, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		free(real);
		return -1;
	}
	st->root = real;
	st->root_len = strlen(real);
	/* "/" as the root: every real path starts with it already. */
	if (st->root_len == 1)
		st->root_len = 0;
	return 0;
}

void gw_static_init(struct gw_static *st, struct svc_config *cfg)
{
	memset(st, 0, sizeof *st);
	const char *root = svc_config_str(cfg, "WEB_ROOT", "");
	if (gw_static_set_root(st, root) != 0)
		svc_config_fail(cfg, "WEB_ROOT: %s is not a directory", root);
}

void gw_static_cleanup(struct gw_static *st)
{
	free(st->root);
	st->root = NULL;
}

static void not_found(struct svc_resp *resp, const char *path)
{
	svc_resp_errf(resp, SVC_ENOTFOUND, NULL, "no file %.200s", path);
}

/* The file's real path when it is a regular file inside the root; else
 * NULL (caller frees). Symlinks are followed, then the result checked. */
static char *inside(const struct gw_static *st, const char *rel)
{
	char joined[PATH_MAX];
	int n = snprintf(joined, sizeof joined, "%s/%s", st->root, rel);
	if (n < 0 || (size_t)n >= sizeof joined)
		return NULL;
	char *real = realpath(joined, NULL);
	if (!real)
		return NULL;
	if (strncmp(real, st->root, st->root_len) != 0 || real[st->root_len] != '/') {
		free(real);
		return NULL;
	}
	return real;
}

bool gw_static_answer(const struct gw_static *st, const struct svc_req *req,
		      struct svc_resp *resp)
{
	/* A path a route claims (/readyz, /metrics) is the route's. */
	if (!st->root || req->route)
		return false;
	char rel[PATH_MAX];
	switch (gw_static_route(req->method, req->path, req->path_len, rel, sizeof rel)) {
	case GW_STATIC_PASS:
		return false;
	case GW_STATIC_REFUSED:
		not_found(resp, req->path);
		return true;
	case GW_STATIC_INDEX:
		memcpy(rel, "index.html", sizeof "index.html");
		break;
	case GW_STATIC_FILE:
		break;
	}

	char *real = inside(st, rel);
	int fd = real ? open(real, O_RDONLY | O_CLOEXEC | O_NOCTTY) : -1;
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		if (fd >= 0)
			close(fd);
		free(real);
		not_found(resp, req->path);
		return true;
	}
	free(real);

	char etag[64];
	snprintf(etag, sizeof etag, "\"%llx-%llx\"", (unsigned long long)sb.st_size,
		 (unsigned long long)sb.st_mtim.tv_sec * 1000000000ULL +
			 (unsigned long long)sb.st_mtim.tv_nsec);
	svc_resp_header(resp, "Cache-Control", gw_static_cache(rel));
	svc_resp_header(resp, "ETag", etag);
	svc_resp_header(resp, "X-Content-Type-Options", "nosniff");
	const char *type = gw_static_type(rel);
	if (strncmp(type, "text/html", 9) == 0) {
		svc_resp_header(resp, "Content-Security-Policy",
				"default-src 'self'; img-src 'self' data:; object-src 'none'; "
				"base-uri 'self'; frame-ancestors 'none'");
		svc_resp_header(resp, "Referrer-Policy", "same-origin");
	}

	const char *inm = svc_req_header(req, "If-None-Match");
	if (inm && (strstr(inm, etag) || strcmp(inm, "*") == 0)) {
		close(fd);
		svc_resp_raw(resp, 304, NULL, NULL, 0);
		return true;
	}
	if ((size_t)sb.st_size > GW_STATIC_MAX_FILE) {
		close(fd);
		svc_resp_errf(resp, SVC_EUNAVAIL, NULL, "%s is too large to serve", rel);
		return true;
	}

	size_t size = (size_t)sb.st_size;
	bool head = strcmp(req->method, "HEAD") == 0;
	char *body = NULL;
	if (!head && size > 0) {
		body = malloc(size);
		size_t got = 0;
		while (body && got < size) {
			ssize_t r = read(fd, body + got, size - got);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			got += (size_t)r;
		}
		if (!body || got != size) {
			svc_warn(req->request_id, "cannot read %s: %s", rel,
				 body ? "short read" : "out of memory");
			free(body);
			close(fd);
			svc_resp_errf(resp, SVC_EINTERNAL, NULL, "cannot read %s", rel);
			return true;
		}
	}
	close(fd);
	if (head) {
		/* libevent sends no body for HEAD and no length either: say it. */
		char len[24];
		snprintf(len, sizeof len, "%zu", size);
		svc_resp_header(resp, "Content-Length", len);
	}
	svc_resp_raw(resp, 200, type, body, head ? 0 : size);
	return true;
}
