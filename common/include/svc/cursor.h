/* Opaque keyset-pagination cursors, no I/O. A cursor is base64url of
 * {"k": key, "i": id?, "f": fingerprint}: the sort key and the id of the
 * last row of a page, and a fingerprint of the query (sort and filters) it
 * was made for, so it only continues that query. */
#ifndef SVC_CURSOR_H
#define SVC_CURSOR_H

#include <stddef.h>

#include "svc/result.h"

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

#endif
