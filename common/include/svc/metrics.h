/* Process-wide Prometheus metrics: counters and latency histograms keyed by
 * name + label set. Thread-safe; series are created on first use and live
 * until the process ends (the label sets are bounded: routes, topics). */
#ifndef SVC_METRICS_H
#define SVC_METRICS_H

#include <stddef.h>

/* labels is the inside of the braces, e.g. "route=\"/x\",code=\"200\"",
 * or "" for none. help is used the first time a name is seen. */
void svc_metrics_inc(const char *name, const char *help, const char *labels,
		     double by);
void svc_metrics_set(const char *name, const char *help, const char *labels,
		     double value);
/* Records a duration in seconds into a histogram with fixed buckets
 * (1 ms .. 10 s). */
void svc_metrics_observe(const char *name, const char *help, const char *labels,
			 double seconds);

/* Renders the exposition text; caller frees with free(). */
char *svc_metrics_render(size_t *len);

/* Escapes a label value for use inside quotes into out (size n). */
void svc_metrics_label_escape(const char *in, char *out, size_t n);

#endif
