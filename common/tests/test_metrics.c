#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "svc/metrics.h"

static void renders_prometheus_text(void **state)
{
	(void)state;
	svc_metrics_inc("reqs_total", "Requests.", "code=\"200\"", 2);
	svc_metrics_inc("reqs_total", "Requests.", "code=\"404\"", 1);
	svc_metrics_inc("reqs_total", "Requests.", "code=\"200\"", 1);
	svc_metrics_observe("lat_seconds", "Latency.", "route=\"/x\"", 0.003);
	svc_metrics_observe("lat_seconds", "Latency.", "route=\"/x\"", 2.0);
	size_t len;
	char *t = svc_metrics_render(&len);
	assert_non_null(t);
	assert_int_equal(strlen(t), len);
	assert_non_null(strstr(t, "# TYPE reqs_total counter\n"));
	assert_non_null(strstr(t, "reqs_total{code=\"200\"} 3\n"));
	assert_non_null(strstr(t, "reqs_total{code=\"404\"} 1\n"));
	assert_non_null(strstr(t, "# TYPE lat_seconds histogram\n"));
	assert_non_null(strstr(t, "lat_seconds_bucket{route=\"/x\",le=\"0.001\"} 0\n"));
	assert_non_null(strstr(t, "lat_seconds_bucket{route=\"/x\",le=\"0.005\"} 1\n"));
	assert_non_null(strstr(t, "lat_seconds_bucket{route=\"/x\",le=\"+Inf\"} 2\n"));
	assert_non_null(strstr(t, "lat_seconds_count{route=\"/x\"} 2\n"));
	/* Each HELP/TYPE appears once. */
	char *first = strstr(t, "# TYPE reqs_total");
	assert_null(strstr(first + 1, "# TYPE reqs_total"));
	free(t);
}

static void escapes_labels(void **state)
{
	(void)state;
	char out[32];
	svc_metrics_label_escape("a\"b\\c\nd", out, sizeof out);
	assert_string_equal(out, "a\\\"b\\\\c\\nd");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(renders_prometheus_text),
		cmocka_unit_test(escapes_labels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
