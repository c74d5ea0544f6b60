/* Result codes shared by every layer, and the one mapping to HTTP. */
#ifndef SVC_RESULT_H
#define SVC_RESULT_H

#include <stdbool.h>
#include <stddef.h>

enum svc_result {
	SVC_OK = 0,
	SVC_EINVAL = -1,        /* malformed or invalid input: 400 */
	SVC_EUNPROCESSABLE = -2, /* well-formed but semantically wrong: 422 */
	SVC_ENOTFOUND = -3,     /* 404 */
	SVC_ECONFLICT = -4,     /* 409 */
	SVC_EPRECOND = -5,      /* stale If-Match: 412 */
	SVC_EAUTH = -6,         /* missing or bad credentials: 401 */
	SVC_EFORBIDDEN = -7,    /* 403 */
	SVC_ETOOBIG = -8,       /* 413 */
	SVC_EMEDIA = -9,        /* 415 */
	SVC_EMETHOD = -10,      /* 405 */
	SVC_ELIMIT = -11,       /* rate limited: 429 */
	SVC_EUPSTREAM = -12,    /* a dependency answered badly: 502 */
	SVC_EUNAVAIL = -13,     /* a dependency is down: 503 */
	SVC_ETIMEOUT = -14,     /* a dependency timed out: 504 */
	SVC_ENOMEM = -15,
	SVC_EINTERNAL = -16,
};

/* An error as it travels up: the code, a message for the client, and the
 * request field it is about (empty when none). Fixed size, caller-owned. */
struct svc_err {
	enum svc_result code;
	char message[256];
	char field[64];
};

int svc_result_http_status(enum svc_result r);
/* Stable snake_case name of the code, e.g. "not_found". Static string. */
const char *svc_result_name(enum svc_result r);

/* Records code, field (may be NULL) and a printf-style message in err (may
 * be NULL), each cut to its buffer and made valid UTF-8 (a byte that starts
 * no whole character becomes '?'). Returns code, so
 * `return svc_err_set(...)` reads naturally. */
enum svc_result svc_err_set(struct svc_err *err, enum svc_result code,
			    const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void svc_err_clear(struct svc_err *err);

/* The JSON error body {"error":{"code","message","field"?}}.
 * Returns a malloc'd NUL-terminated string; caller frees with free(). */
char *svc_err_body(const struct svc_err *err);
/* True when body (len bytes) is that JSON error shape; then out (may be
 * NULL) receives its message and field (its code is left SVC_EUPSTREAM:
 * the caller knows what the status means). */
bool svc_err_parse(const char *body, size_t len, struct svc_err *out);

#endif
