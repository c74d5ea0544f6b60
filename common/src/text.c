#include "svc/text.h"

#include <string.h>

#include "svc/json.h"

uint32_t svc_utf8_next(const unsigned char *s, size_t *len)
{
	if (s[0] < 0x80) {
		*len = 1;
		return s[0];
	}
	if (s[0] < 0xE0) {
		*len = 2;
		return ((uint32_t)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
	}
	if (s[0] < 0xF0) {
		*len = 3;
		return ((uint32_t)(s[0] & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) |
		       (s[2] & 0x3F);
	}
	*len = 4;
	return ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
	       ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
}

bool svc_unicode_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 ||
	       c == 0x1680 || (c >= 0x2000 && c <= 0x200B) || c == 0x2028 ||
	       c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000 || c == 0xFEFF;
}

bool svc_unicode_control(uint32_t c)
{
	return c < 0x20 || (c >= 0x7F && c <= 0x9F);
}

void svc_utf8_trim_span(const char *s, size_t *b, size_t *e)
{
	const unsigned char *u = (const unsigned char *)s;
	*b = *e = 0;
	bool seen = false;
	for (size_t i = 0, len; u[i]; i += len) {
		uint32_t c = svc_utf8_next(u + i, &len);
		if (svc_unicode_space(c))
			continue;
		if (!seen)
			*b = i;
		seen = true;
		*e = i + len;
	}
	if (!seen)
		*b = *e = strlen(s);
}

size_t svc_utf8_prefix(const char *s, size_t max_chars)
{
	size_t i = 0, chars = 0;
	while (s[i] && chars < max_chars) {
		size_t len;
		svc_utf8_next((const unsigned char *)s + i, &len);
		i += len;
		chars++;
	}
	return i;
}

static enum svc_result bad_email(char *out, struct svc_err *err, const char *msg)
{
	out[0] = '\0';
	return svc_err_set(err, SVC_EINVAL, "email", "%s", msg);
}

enum svc_result svc_email_normalize(const char *in, char out[SVC_EMAIL_BUF],
				    struct svc_err *err)
{
	if (!svc_utf8_valid(in, strlen(in)))
		return bad_email(out, err, "email must be valid UTF-8");
	size_t b, e;
	svc_utf8_trim_span(in, &b, &e);
	/* More bytes than 254 four-byte characters: too long whatever they are. */
	if (e - b >= SVC_EMAIL_BUF)
		return bad_email(out, err, "email must be 3 to 254 characters long");
	const unsigned char *u = (const unsigned char *)in;
	size_t n = 0, chars = 0, ats = 0, local = 0;
	for (size_t i = b, len; i < e; i += len) {
		uint32_t c = svc_utf8_next(u + i, &len);
		if (svc_unicode_space(c) || svc_unicode_control(c))
			return bad_email(out, err,
					 "email must not contain spaces or control characters");
		if (c == '@') {
			ats++;
			local = chars;
		}
		chars++;
		for (size_t k = 0; k < len; k++) {
			unsigned char ch = u[i + k];
			out[n++] = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
		}
	}
	out[n] = '\0';
	if (chars < SVC_EMAIL_MIN || chars > SVC_EMAIL_MAX)
		return bad_email(out, err, "email must be 3 to 254 characters long");
	if (ats != 1)
		return bad_email(out, err, "email must contain exactly one @");
	if (local == 0 || local > SVC_EMAIL_LOCAL_MAX)
		return bad_email(out, err,
				 "the part of the email before @ must be 1 to 64 characters long");
	const char *domain = strchr(out, '@') + 1;
	size_t dlen = strlen(domain);
	if (!strchr(domain, '.') || domain[0] == '.' || domain[dlen - 1] == '.' ||
	    strstr(domain, ".."))
		return bad_email(out, err,
				 "the domain of the email must have a dot between non-empty parts");
	return SVC_OK;
}
