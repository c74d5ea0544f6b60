/* Text rules shared by services, no I/O: Unicode white space and control
 * characters, trimming, e-mail addresses, cutting at a character boundary.
 * Every function takes valid UTF-8 (see svc_utf8_valid) unless it says
 * otherwise. */
#ifndef SVC_TEXT_H
#define SVC_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svc/result.h"

#define SVC_EMAIL_MIN 3 /* code points, after trimming */
#define SVC_EMAIL_MAX 254
#define SVC_EMAIL_LOCAL_MAX 64
/* Bytes that hold any acceptable normalized email and its NUL. */
#define SVC_EMAIL_BUF (SVC_EMAIL_MAX * 4 + 1)

/* Decodes the code point at s; *len gets its bytes. */
uint32_t svc_utf8_next(const unsigned char *s, size_t *len);

/* Unicode White_Space, plus the zero-width space and the BOM, which look
 * like nothing when pasted. */
bool svc_unicode_space(uint32_t c);
/* C0 and C1 controls and DEL. */
bool svc_unicode_control(uint32_t c);

/* The byte span [*b, *e) of s without leading and trailing white space
 * (svc_unicode_space); *b == *e when s is only white space. */
void svc_utf8_trim_span(const char *s, size_t *b, size_t *e);

/* How many bytes of s its first max_chars code points take. */
size_t svc_utf8_prefix(const char *s, size_t max_chars);

/* Trims white space around in, lowercases ASCII letters, and checks the
 * result: 3..254 code points, exactly one '@', a local part of 1..64 code
 * points, a domain of dot-separated non-empty labels with at least one dot,
 * no white space or control characters anywhere. Writes it to out
 * (SVC_EMAIL_BUF bytes). SVC_EINVAL with field "email" otherwise; out is
 * then an empty string. in need not be valid UTF-8 (that is checked too). */
enum svc_result svc_email_normalize(const char *in, char out[SVC_EMAIL_BUF],
				    struct svc_err *err);

#endif
