#include "live.h"

#include <stdio.h>

#include "notify.h"

enum svc_result ntf_live_publish(const struct svc_redis_addr *redis, const char *user_id,
				 const char *json, struct svc_err *err)
{
	struct svc_redis *r = svc_redis_thread(redis->host, redis->port, 1000);
	if (!r)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	char channel[sizeof NTF_LIVE_PREFIX + NTF_USER_MAX + 1];
	snprintf(channel, sizeof channel, NTF_LIVE_PREFIX "%s", user_id);
	const char *argv[] = {"PUBLISH", channel, json};
	/* A connection Redis closed meanwhile (a restart) is replaced before
	 * the command goes out (svc_redis). */
	return svc_redis_argv(r, 3, argv, NULL, err);
}
