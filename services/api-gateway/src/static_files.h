/* The web app's built files (WEB_ROOT), served at / in local mode: what a
 * path means is decided by a pure function (gw_static_route), the file
 * reading and the answer by gw_static_answer.
 *
 * - GET and HEAD of paths outside /api that no route claims (the probes
 *   keep theirs); anything else passes on.
 * - A path whose last segment has an extension names a file under the
 *   root: served with its content type, or a JSON 404 when missing, a
 *   directory, or not a regular file (no directory listing).
 * - Any other path (/, /today, /settings/...) is a client-side route and
 *   gets index.html.
 * - Nothing outside the root: "." and ".." segments, segments starting
 *   with a dot, backslashes, control characters and NUL (%00) are refused
 *   with a 404, and a file whose real path (symlinks resolved) leaves the
 *   root is too.
 * - Cache-Control: hashed assets under /assets/ are immutable for a year;
 *   index.html and every other file are "no-cache" (revalidated with their
 *   ETag, answered 304 on If-None-Match). */
#ifndef GW_STATIC_FILES_H
#define GW_STATIC_FILES_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "svc/config.h"
#include "svc/server.h"

/* Files larger than this are refused (503): each answer is held in memory. */
#define GW_STATIC_MAX_FILE ((size_t)16 << 20)

struct gw_static {
	char *root; /* realpath of WEB_ROOT, malloc'd; NULL: static serving off */
	size_t root_len;
};

enum gw_static_route {
	GW_STATIC_PASS,      /* not ours: /api, another method */
	GW_STATIC_FILE,      /* rel names a file under the root */
	GW_STATIC_INDEX,     /* a client-side route: index.html */
	GW_STATIC_REFUSED,   /* a path that can never name a file here: 404 */
};

/* What a request means, without I/O. path is the decoded path and
 * path_len its decoded length (longer than strlen(path) when it held a
 * NUL). For GW_STATIC_FILE, rel gets the path below the root, without the
 * leading slash ("assets/index-abc.js"); it must hold rel_size bytes
 * (PATH_MAX is enough; a longer path is refused). */
enum gw_static_route gw_static_route(const char *method, const char *path, size_t path_len,
				     char *rel, size_t rel_size);

/* The Content-Type for a file name, by its extension (case-insensitive);
 * application/octet-stream when unknown. */
const char *gw_static_type(const char *name);

/* The Cache-Control for a file below the root. */
const char *gw_static_cache(const char *rel);

/* Reads WEB_ROOT (empty: off). A root that does not exist or is no
 * directory is recorded in cfg. Free with gw_static_cleanup. */
void gw_static_init(struct gw_static *st, struct svc_config *cfg);
/* For tests: serve root (NULL: off). Returns 0, or -1 when root is no
 * directory. */
int gw_static_set_root(struct gw_static *st, const char *root);
void gw_static_cleanup(struct gw_static *st);

/* Answers req from the root when it is ours: no route matched it (the
 * filter sees req->route) and gw_static_route takes it. Fills resp and
 * returns true; false leaves resp untouched. Blocks on file I/O: call it from a
 * worker thread. */
bool gw_static_answer(const struct gw_static *st, const struct svc_req *req,
		      struct svc_resp *resp);

#endif
