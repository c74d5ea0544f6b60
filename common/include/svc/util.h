/* Small helpers: a growable buffer with a hard cap, ids, time. */
#ifndef SVC_UTIL_H
#define SVC_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* A byte buffer that never grows past cap. Once an append would pass the cap
 * (or malloc fails) the buffer is marked failed and further appends are
 * ignored. data is always NUL-terminated when non-NULL. */
struct svc_buf {
	char *data;
	size_t len;
	size_t size;
	size_t cap;
	bool failed;
};

void svc_buf_init(struct svc_buf *b, size_t cap);
void svc_buf_cleanup(struct svc_buf *b);
int svc_buf_append(struct svc_buf *b, const void *p, size_t n);
int svc_buf_puts(struct svc_buf *b, const char *s);
int svc_buf_printf(struct svc_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends s as a quoted, escaped JSON string. */
int svc_buf_json_string(struct svc_buf *b, const char *s);
/* Takes the data out of the buffer; caller frees with free(). NULL when the
 * buffer failed. The buffer is left empty. */
char *svc_buf_take(struct svc_buf *b, size_t *len);

/* Fills out with n random bytes from the kernel. Returns 0 or -1. */
int svc_random_bytes(void *out, size_t n);
/* Writes a random RFC 4122 version 4 UUID (36 chars + NUL) to out[37]. */
int svc_uuid_v4(char out[37]);
/* A UUID derived from name (version 8, RFC 9562: BLAKE2b of "todo:" + name,
 * truncated, with the version and variant bits set). The same name always
 * gives the same id: an event made twice keeps one event_id. */
void svc_uuid_derive(const char *name, char out[37]);
/* True if s is a canonical lowercase or uppercase UUID. */
bool svc_uuid_valid(const char *s);
/* Lowercase hex of n bytes into out (2n+1 bytes). */
void svc_hex(const unsigned char *in, size_t n, char *out);

/* Current UTC time as RFC 3339 with milliseconds, e.g.
 * 2026-01-02T03:04:05.678Z. */
void svc_time_now_rfc3339(char *out, size_t n);
/* Parses an RFC 3339 timestamp with an explicit offset ("Z" or +hh:mm),
 * e.g. 2026-01-02T03:04:05.678+02:00, checking every field's range
 * (including the days of the month). *epoch (may be NULL) receives the
 * instant in whole seconds since 1970 UTC. Returns 0 or -1. */
int svc_time_parse_rfc3339(const char *s, long long *epoch);
/* Monotonic milliseconds. */
long long svc_now_ms(void);

/* base64url without padding (RFC 4648 section 5). Encode returns a malloc'd
 * string (caller frees with free()) or NULL on OOM. Decode returns a malloc'd
 * NUL-terminated buffer with *len set, or NULL when s is not base64url. */
char *svc_b64url_encode(const void *data, size_t len);
unsigned char *svc_b64url_decode(const char *s, size_t *len);

/* Parses a base-10 integer that must fill the whole string and fit in
 * [min,max]. Returns 0 or -1 leaving *out unchanged. */
int svc_parse_long(const char *s, long min, long max, long *out);

#endif
