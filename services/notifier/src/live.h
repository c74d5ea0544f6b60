/* Live push: each new notification goes to Redis pub/sub, channel
 * todo:notify:<user_id>, where any api-gateway replica's SSE stream for
 * that user picks it up. */
#ifndef NTF_LIVE_H
#define NTF_LIVE_H

#include "svc/redis.h"
#include "svc/result.h"

#define NTF_LIVE_PREFIX "todo:notify:"

/* PUBLISHes json on the user's channel (this thread's Redis connection,
 * 1 s timeout). Nothing is queued on failure: the inbox holds the
 * notification and a stream resumes from it. */
enum svc_result ntf_live_publish(const struct svc_redis_addr *redis, const char *user_id,
				 const char *json, struct svc_err *err);

#endif
