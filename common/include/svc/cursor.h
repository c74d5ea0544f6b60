/* Keyset pagination for list routes, no I/O: which query parameters a
 * route knows, opaque cursors, and the page answer. A cursor is base64url
 * of {"k": key, "i": id?, "f": fingerprint}: the sort key and the id of the
 * last row of a page, and a fingerprint of the query (sort and filters) it
 * was made for, so it only continues that query. */
#ifndef SVC_CURSOR_H
#define SVC_CURSOR_H

#include <stdbool.h>
#include <stddef.h>

#include "svc/server.h"
#include "svc/result.h"
#include "svc/util.h"

/* SVC_EINVAL naming the parameter for one not in names (NULL-terminated),
 * or one given twice, unless it is the repeatable one (may be NULL). */
enum svc_result svc_query_known(const struct svc_kv *params, size_t n,
				const char *const *names, const char *repeatable,
				struct svc_err *err);

/* FNV-1a over parts, each followed by a separator, as 16 hex digits. */
void svc_fingerprint(const char *const *parts, size_t n, char out[17]);

/* The cursor for the page after the row with key and id (id may be NULL
 * when the key alone is unique). Caller frees with free(); NULL on OOM. */
char *svc_cursor_make(const char *fingerprint, const char *key, const char *id);

/* Reads cursor s made for fingerprint: copies its key to key[keyn] and,
 * when id is non-NULL, its id to id[idn] (then it must have one).
 * SVC_EINVAL with field "cursor" when it is malformed, does not fit, or was
 * made for another query; the caller checks the key's and id's form. */
enum svc_result svc_cursor_read(const char *s, const char *fingerprint, char *key,
				size_t keyn, char *id, size_t idn, struct svc_err *err);

/* {"items": [...], "next_cursor": "..." | null}, built a row at a time
 * from each item's JSON text, at most limit items. Caller-owned. */
struct svc_page {
	struct svc_buf buf;
	size_t n;     /* items on the page */
	size_t limit;
	bool more;    /* an item was offered past the limit */
};
void svc_page_init(struct svc_page *p, size_t limit);
/* Adds an item; false (and nothing added) once the page is full, which
 * marks that more follow. */
bool svc_page_add(struct svc_page *p, const char *item);
/* Closes the page with next_cursor (used when more follow) and takes its
 * text out (caller frees with free()); the page is cleaned up. NULL on OOM,
 * also when more follow and next_cursor is NULL. */
char *svc_page_finish(struct svc_page *p, const char *next_cursor);

#endif
