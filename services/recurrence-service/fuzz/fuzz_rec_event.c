/* A task event as recurrence-service receives it (a CloudEvent body): the
 * task snapshot becomes a series row (rec_row_from, or rec_row_follow on a
 * row it knows), and the row's next occurrence is found and turned into
 * the fields of the task to make, as materializing does before it calls
 * task-service. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "recur.h"
#include "series.h"
#include "series_store.h"
#include "svc/event.h"
#include "svc/util.h"

static const char *str(const cJSON *o, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
}

/* The occurrence after the row's latest, and the task made for it. */
static void next_occurrence(const struct rec_row *row)
{
	struct rec_series s = {
		.rrule = str(row->latest, "rrule"),
		.time_zone = str(row->latest, "time_zone"),
		.from_completion = false,
		.dtstart = row->dtstart,
		.generated = row->generated,
	};
	long long after = row->has_latest_at ? row->latest_at : row->dtstart, next = 0;
	bool ended = false;
	struct svc_err err = {0};
	if (!s.rrule || rec_next(&s, after, &next, &ended, &err) != SVC_OK || ended)
		return;
	cJSON *fields = rec_occurrence_fields(row->latest, next);
	SVC_FUZZ_CHECK(fields != NULL);
	long long due = 0;
	SVC_FUZZ_CHECK(rec_time_member(fields, "due_at", &due) && due == next);
	cJSON_Delete(fields);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct svc_event ev;
	struct svc_err err = {0};
	if (svc_event_parse((const char *)data, size, &ev, &err) != SVC_OK)
		return 0;
	const cJSON *task = cJSON_GetObjectItemCaseSensitive(ev.data, "task");
	struct rec_row row;
	/* What rec_on_task asks of a snapshot before it looks for its row. */
	if (svc_uuid_valid(str(task, "series_id")) && str(task, "id") && str(task, "user_id") &&
	    rec_row_from(&row, task, &err) == SVC_OK) {
		next_occurrence(&row);
		/* The same snapshot again, as a later delivery of it. */
		SVC_FUZZ_CHECK(rec_row_follow(&row, task, &err) == SVC_OK);
		next_occurrence(&row);
		rec_row_cleanup(&row);
	}
	svc_event_cleanup(&ev);
	return 0;
}
