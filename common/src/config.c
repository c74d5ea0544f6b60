#include "svc/config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/util.h"

void svc_config_init(struct svc_config *c)
{
	memset(c, 0, sizeof *c);
}

void svc_config_fail(struct svc_config *c, const char *fmt, ...)
{
	c->count++;
	if (c->len >= sizeof c->errors - 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(c->errors + c->len, sizeof c->errors - c->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	c->len += (size_t)n;
	if (c->len > sizeof c->errors - 2)
		c->len = sizeof c->errors - 2;
	c->errors[c->len++] = '\n';
	c->errors[c->len] = '\0';
}

const char *svc_config_str(struct svc_config *c, const char *name, const char *def)
{
	const char *v = getenv(name);
	if (v && *v)
		return v;
	if (!def)
		svc_config_fail(c, "%s is required but not set", name);
	return def;
}

long svc_config_long(struct svc_config *c, const char *name, const char *def,
		     long min, long max)
{
	const char *v = svc_config_str(c, name, def);
	if (!v)
		return min;
	long out;
	if (svc_parse_long(v, min, max, &out) != 0) {
		svc_config_fail(c, "%s must be an integer from %ld to %ld, got \"%s\"",
				name, min, max, v);
		return min;
	}
	return out;
}

int svc_config_check(const struct svc_config *c, const char *prog)
{
	if (c->count == 0)
		return 0;
	const char *p = c->errors;
	while (*p) {
		const char *nl = strchr(p, '\n');
		int n = nl ? (int)(nl - p) : (int)strlen(p);
		fprintf(stderr, "%s: configuration error: %.*s\n", prog, n, p);
		p += n + (nl ? 1 : 0);
	}
	return -1;
}
