/* Configuration from environment variables. Problems are collected so that
 * start-up reports every missing or bad variable at once. */
#ifndef SVC_CONFIG_H
#define SVC_CONFIG_H

#include <stddef.h>

struct svc_config {
	char errors[2048];
	size_t len;
	int count;
};

void svc_config_init(struct svc_config *c);

/* Returns the variable's value (borrowed from the environment), or def when
 * unset or empty. def == NULL makes it required: a missing one is recorded
 * and NULL returned. */
const char *svc_config_str(struct svc_config *c, const char *name, const char *def);

/* An integer in [min,max]. def == NULL makes it required. On a bad or
 * missing value the problem is recorded and min returned. */
long svc_config_long(struct svc_config *c, const char *name, const char *def,
		     long min, long max);

/* Records a problem of the caller's own. */
void svc_config_fail(struct svc_config *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Returns 0 when nothing was recorded; otherwise writes one line per problem
 * to stderr (prefixed with prog) and returns -1. */
int svc_config_check(const struct svc_config *c, const char *prog);

#endif
