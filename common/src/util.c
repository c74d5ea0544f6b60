#include "svc/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <sodium.h>

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

static void uuid_format(unsigned char b[16], char out[37])
{
	char h[33];
	svc_hex(b, 16, h);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
}

int svc_uuid_v4(char out[37])
{
	unsigned char b[16];
	if (svc_random_bytes(b, sizeof b) != 0)
		return -1;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	uuid_format(b, out);
	return 0;
}

void svc_uuid_derive(const char *name, char out[37])
{
	unsigned char b[16];
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, sizeof b);
	crypto_generichash_update(&st, (const unsigned char *)"todo:", 5);
	crypto_generichash_update(&st, (const unsigned char *)name, strlen(name));
	crypto_generichash_final(&st, b, sizeof b);
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x80);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	uuid_format(b, out);
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

static bool digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

static long long days_from_civil(int y, int m, int d)
{
	/* Howard Hinnant's algorithm: days since 1970-01-01. */
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	int yoe = (int)(y - era * 400);
	int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int svc_time_parse_rfc3339(const char *s, long long *epoch)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	if (!s || strlen(s) < 20)
		return -1;
	if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') ||
	    !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) ||
	    s[16] != ':' || !digits(s + 17, 2, &sec))
		return -1;
	const char *p = s + 19;
	if (*p == '.') {
		int n = 0;
		for (p++; *p >= '0' && *p <= '9'; p++)
			n++;
		if (n < 1 || n > 9)
			return -1;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om))
			return -1;
		p += 6;
	} else {
		return -1;
	}
	if (*p)
		return -1;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1 || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && leap) || h > 23 || mi > 59 || sec > 59 ||
	    oh > 23 || om > 59)
		return -1;
	if (epoch)
		*epoch = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
			 sign * (oh * 3600 + om * 60);
	return 0;
}

static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *svc_b64url_encode(const void *data, size_t len)
{
	const unsigned char *in = data;
	char *out = malloc(len / 3 * 4 + 5);
	if (!out)
		return NULL;
	size_t o = 0, i = 0;
	for (; i + 2 < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64url[v >> 18];
		out[o++] = b64url[(v >> 12) & 63];
		out[o++] = b64url[(v >> 6) & 63];
		out[o++] = b64url[v & 63];
	}
	if (len - i == 1) {
		unsigned v = (unsigned)in[i] << 16;
		out[o++] = b64url[v >> 18];
		out[o++] = b64url[(v >> 12) & 63];
	} else if (len - i == 2) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
		out[o++] = b64url[v >> 18];
		out[o++] = b64url[(v >> 12) & 63];
		out[o++] = b64url[(v >> 6) & 63];
	}
	out[o] = '\0';
	return out;
}

static int b64url_value(char c)
{
	const char *p = c ? strchr(b64url, c) : NULL;
	return p ? (int)(p - b64url) : -1;
}

unsigned char *svc_b64url_decode(const char *s, size_t *len)
{
	size_t n = strlen(s);
	if (n % 4 == 1)
		return NULL;
	unsigned char *out = malloc(n / 4 * 3 + 3);
	if (!out)
		return NULL;
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64url_value(s[i]);
		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = (acc << 6 | (unsigned)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	/* The leftover bits of the last character must be zero (canonical). */
	if (bits && (acc & ((1u << bits) - 1))) {
		free(out);
		return NULL;
	}
	out[o] = '\0';
	*len = o;
	return out;
}
