#include "svc/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

void svc_buf_init(struct svc_buf *b, size_t cap)
{
	memset(b, 0, sizeof *b);
	b->cap = cap;
}

void svc_buf_cleanup(struct svc_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof *b);
}

static int reserve(struct svc_buf *b, size_t extra)
{
	if (b->failed)
		return -1;
	if (extra > b->cap || b->len + extra > b->cap) {
		b->failed = true;
		return -1;
	}
	size_t need = b->len + extra + 1;
	if (need <= b->size)
		return 0;
	size_t size = b->size ? b->size : 256;
	while (size < need)
		size *= 2;
	if (size > b->cap + 1)
		size = b->cap + 1;
	char *p = realloc(b->data, size);
	if (!p) {
		b->failed = true;
		return -1;
	}
	b->data = p;
	b->size = size;
	return 0;
}

int svc_buf_append(struct svc_buf *b, const void *p, size_t n)
{
	if (reserve(b, n) != 0)
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int svc_buf_puts(struct svc_buf *b, const char *s)
{
	return svc_buf_append(b, s, strlen(s));
}

int svc_buf_printf(struct svc_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || reserve(b, (size_t)n) != 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int svc_buf_json_string(struct svc_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	int rc = svc_buf_append(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p && rc == 0; p++) {
		switch (*p) {
		case '"': rc = svc_buf_append(b, "\\\"", 2); break;
		case '\\': rc = svc_buf_append(b, "\\\\", 2); break;
		case '\n': rc = svc_buf_append(b, "\\n", 2); break;
		case '\r': rc = svc_buf_append(b, "\\r", 2); break;
		case '\t': rc = svc_buf_append(b, "\\t", 2); break;
		default:
			if (*p < 0x20) {
				char u[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]};
				rc = svc_buf_append(b, u, 6);
			} else {
				rc = svc_buf_append(b, p, 1);
			}
		}
	}
	return rc == 0 ? svc_buf_append(b, "\"", 1) : rc;
}

char *svc_buf_take(struct svc_buf *b, size_t *len)
{
	char *p = NULL;
	if (!b->failed) {
		if (!b->data)
			svc_buf_append(b, "", 0);
		p = b->data;
		if (len)
			*len = b->len;
		b->data = NULL;
	} else {
		free(b->data);
		b->data = NULL;
	}
	b->len = b->size = 0;
	return p;
}

int svc_random_bytes(void *out, size_t n)
{
	unsigned char *p = out;
	while (n > 0) {
		ssize_t r = getrandom(p, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

void svc_hex(const unsigned char *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int svc_uuid_v4(char out[37])
{
	unsigned char b[16];
	if (svc_random_bytes(b, sizeof b) != 0)
		return -1;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	char h[33];
	svc_hex(b, 16, h);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
	return 0;
}

bool svc_uuid_valid(const char *s)
{
	if (!s || strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		char c = s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return false;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			     (c >= 'A' && c <= 'F'))) {
			return false;
		}
	}
	return true;
}

void svc_time_now_rfc3339(char *out, size_t n)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 ts.tv_nsec / 1000000);
}

long long svc_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int svc_parse_long(const char *s, long min, long max, long *out)
{
	if (!s || !*s)
		return -1;
	char *end = NULL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}
