#include "svc/metrics.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "svc/util.h"

enum kind { COUNTER, GAUGE, HISTOGRAM };

static const double buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
				 0.1,   0.25,   0.5,   1,    2.5,   5, 10};
#define NBUCKETS (sizeof buckets / sizeof buckets[0])

struct series {
	struct series *next;
	enum kind kind;
	char *name;
	char *help;
	char *labels;
	double value; /* counter/gauge value, histogram sum */
	unsigned long long count;
	unsigned long long bucket[NBUCKETS];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct series *head, *tail;

/* Finds or appends a series; call with lock held. NULL on OOM. */
static struct series *get(enum kind kind, const char *name, const char *help,
			  const char *labels)
{
	for (struct series *s = head; s; s = s->next)
		if (strcmp(s->name, name) == 0 && strcmp(s->labels, labels) == 0)
			return s;
	struct series *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->kind = kind;
	s->name = strdup(name);
	s->help = strdup(help);
	s->labels = strdup(labels);
	if (!s->name || !s->help || !s->labels) {
		free(s->name);
		free(s->help);
		free(s->labels);
		free(s);
		return NULL;
	}
	/* Appending keeps series of one name together as long as callers
	 * first touch a name's series before another name's; render groups by
	 * name anyway. */
	if (tail)
		tail->next = s;
	else
		head = s;
	tail = s;
	return s;
}

void svc_metrics_inc(const char *name, const char *help, const char *labels, double by)
{
	pthread_mutex_lock(&lock);
	struct series *s = get(COUNTER, name, help, labels);
	if (s)
		s->value += by;
	pthread_mutex_unlock(&lock);
}

void svc_metrics_set(const char *name, const char *help, const char *labels, double v)
{
	pthread_mutex_lock(&lock);
	struct series *s = get(GAUGE, name, help, labels);
	if (s)
		s->value = v;
	pthread_mutex_unlock(&lock);
}

void svc_metrics_observe(const char *name, const char *help, const char *labels,
			 double seconds)
{
	pthread_mutex_lock(&lock);
	struct series *s = get(HISTOGRAM, name, help, labels);
	if (s) {
		s->value += seconds;
		s->count++;
		for (size_t i = 0; i < NBUCKETS; i++)
			if (seconds <= buckets[i])
				s->bucket[i]++;
	}
	pthread_mutex_unlock(&lock);
}

static void render_series(struct svc_buf *b, const struct series *s)
{
	const char *sep = s->labels[0] ? "," : "";
	if (s->kind != HISTOGRAM) {
		svc_buf_printf(b, "%s%s%s%s %.17g\n", s->name, s->labels[0] ? "{" : "",
			       s->labels, s->labels[0] ? "}" : "", s->value);
		return;
	}
	for (size_t i = 0; i < NBUCKETS; i++)
		svc_buf_printf(b, "%s_bucket{%s%sle=\"%g\"} %llu\n", s->name, s->labels,
			       sep, buckets[i], s->bucket[i]);
	svc_buf_printf(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", s->name, s->labels, sep,
		       s->count);
	svc_buf_printf(b, "%s_sum%s%s%s %.17g\n", s->name, s->labels[0] ? "{" : "",
		       s->labels, s->labels[0] ? "}" : "", s->value);
	svc_buf_printf(b, "%s_count%s%s%s %llu\n", s->name, s->labels[0] ? "{" : "",
		       s->labels, s->labels[0] ? "}" : "", s->count);
}

char *svc_metrics_render(size_t *len)
{
	static const char *const kinds[] = {"counter", "gauge", "histogram"};
	struct svc_buf b;
	svc_buf_init(&b, 8u << 20);
	pthread_mutex_lock(&lock);
	for (struct series *s = head; s; s = s->next) {
		/* Emit each name once, with all its series, at its first sight. */
		bool seen = false;
		for (struct series *p = head; p != s && !seen; p = p->next)
			seen = strcmp(p->name, s->name) == 0;
		if (seen)
			continue;
		svc_buf_printf(&b, "# HELP %s %s\n# TYPE %s %s\n", s->name, s->help,
			       s->name, kinds[s->kind]);
		for (struct series *t = s; t; t = t->next)
			if (strcmp(t->name, s->name) == 0)
				render_series(&b, t);
	}
	pthread_mutex_unlock(&lock);
	return svc_buf_take(&b, len);
}

void svc_metrics_label_escape(const char *in, char *out, size_t n)
{
	size_t o = 0;
	for (; *in && o + 2 < n; in++) {
		if (*in == '"' || *in == '\\') {
			out[o++] = '\\';
			out[o++] = *in;
		} else if (*in == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *in;
		}
	}
	out[o] = '\0';
}
