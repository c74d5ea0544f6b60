/* The built-in planner's input: any message, in a zone picked by the
 * first line (one of a few, across DST and offsets), with a listed
 * context. Every call it plans passes the catalogue's checks, the reply
 * is valid UTF-8, and the same input plans the same way twice. */
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "chat.h"
#include "fuzz.h"
#include "planner.h"
#include "svc/json.h"
#include "svc/util.h"

static const char *const zones[] = {"America/New_York", "Europe/Berlin",  "Asia/Kolkata", "UTC",
				    "Australia/Sydney", "Pacific/Chatham"};
static const struct agt_task_ref listed[] = {
	{"11111111-1111-4111-8111-111111111111", "Buy groceries"},
	{"22222222-2222-4222-8222-222222222222", "Call the dentist"},
	{"33333333-3333-4333-8333-333333333333", "Pay rent"},
};

static bool same(const struct agt_plan *a, const struct agt_plan *b)
{
	if (a->kind != b->kind || a->n_calls != b->n_calls || strcmp(a->reply, b->reply) != 0)
		return false;
	for (size_t i = 0; i < a->n_calls; i++)
		if (strcmp(a->calls[i].tool, b->calls[i].tool) != 0 ||
		    !cJSON_Compare(a->calls[i].arguments, b->calls[i].arguments, true))
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *f[2];
	char *s = svc_fuzz_split(data, size, f, 2);
	if (!s)
		return 0;
	size_t zi = strlen(f[0]) % (sizeof zones / sizeof *zones);
	/* Now moves with the input too, over two years from March 2026. */
	long long now = 1772739000LL + (long long)(size * 7919 % (2 * 365 * 86400));
	struct agt_plan_context ctx = {.now = now,
				       .time_zone = zones[zi],
				       .listed = listed,
				       .n_listed = 3,
				       .last = &listed[1],
				       .quick_add = (size & 1) != 0};
	struct agt_plan plan, again;
	struct svc_err err = {0};
	enum svc_result r = agt_plan_make(f[1], &ctx, &plan, &err);
	if (r != SVC_OK) {
		SVC_FUZZ_CHECK(r == SVC_EINVAL);
		SVC_FUZZ_CHECK(!svc_utf8_valid(f[1], strlen(f[1])) ||
			       svc_utf8_len(f[1]) > AGT_MESSAGE_MAX);
		svc_fuzz_check_err(&err);
		agt_plan_cleanup(&plan);
		free(s);
		return 0;
	}
	SVC_FUZZ_CHECK(plan.reply && svc_utf8_valid(plan.reply, strlen(plan.reply)));
	SVC_FUZZ_CHECK((plan.kind == AGT_PLAN_CALLS) == (plan.n_calls > 0));
	for (size_t i = 0; i < plan.n_calls; i++) {
		const struct agt_tool *tool =
			agt_catalogue_find(agt_catalogue_builtin(), plan.calls[i].tool);
		SVC_FUZZ_CHECK(tool != NULL);
		SVC_FUZZ_CHECK(agt_tool_check_args(tool, plan.calls[i].arguments, &err) == SVC_OK);
	}
	SVC_FUZZ_CHECK(agt_plan_make(f[1], &ctx, &again, &err) == SVC_OK);
	SVC_FUZZ_CHECK(same(&plan, &again));
	cJSON *answer = agt_parse_answer(&plan);
	SVC_FUZZ_CHECK(answer != NULL);
	cJSON_Delete(answer);
	agt_plan_cleanup(&again);
	agt_plan_cleanup(&plan);
	free(s);
	return 0;
}
