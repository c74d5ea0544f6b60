#include "svc/loop.h"

#include <event2/event.h>

struct event_base *svc_loop_new(void)
{
	struct event_config *cfg = event_config_new();
	if (!cfg)
		return NULL;
	event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	struct event_base *base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	/* Three priorities: every event gets the middle one (libevent's
	 * default, nqueues / 2), so the lowest is free for work that waits
	 * until a loop pass has nothing else ready (svc_log_batch). */
	if (base && event_base_priority_init(base, SVC_LOOP_PRIORITIES) != 0) {
		event_base_free(base);
		return NULL;
	}
	return base;
}
