/* RRULE expansion with libical: any rule, time zone, start and point in the
 * series, as they reach recurrence-service in task snapshots. Input lines:
 * the rule, the zone, the series' start and the time to find the next
 * occurrence after (RFC 3339; bad ones fall back to a fixed time), and
 * "completion" to count from the completion time. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "recur.h"
#include "svc/util.h"

#define START 1767603600 /* 2026-01-05T09:00:00Z */

static long long time_or(const char *s, long long dflt)
{
	long long t;
	return svc_time_parse_rfc3339(s, &t) == 0 ? t : dflt;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *f[5];
	char *s = svc_fuzz_split(data, size, f, 5);
	if (!s)
		return 0;
	struct rec_series series = {
		.rrule = f[0],
		.time_zone = f[1],
		.dtstart = time_or(f[2], START),
		.from_completion = strcmp(f[4], "completion") == 0,
		.generated = 1,
	};
	long long after = time_or(f[3], series.dtstart), next = 0, later = 0;
	bool ended = false;
	struct svc_err err = {0};
	if (rec_next(&series, after, &next, &ended, &err) == SVC_OK && !ended) {
		SVC_FUZZ_CHECK(next > after);
		/* Skipping to now (here: that occurrence) moves on past it. */
		if (rec_next_after_now(&series, after, next, &later, &ended, &err) == SVC_OK &&
		    !ended)
			SVC_FUZZ_CHECK(later > next);
	}
	free(s);
	return 0;
}
