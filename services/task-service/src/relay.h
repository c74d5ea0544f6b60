/* The outbox relay: a background thread that publishes pending events
 * through the sidecar, in order, retrying with backoff while Dapr or Kafka
 * is unavailable, and deleting published events once they are older than
 * the retention. */
#ifndef TSK_RELAY_H
#define TSK_RELAY_H

#include "svc/dapr.h"

struct tsk_relay;

/* dapr and pubsub are borrowed for the relay's life; the relay makes its
 * own Postgres handle for conninfo (it never waits behind requests). NULL
 * on OOM or when the thread cannot start. */
struct tsk_relay *tsk_relay_start(const char *conninfo, const struct svc_dapr *dapr,
				  const char *pubsub, long retention_s);
/* Wakes the relay now (something was just written to the outbox). */
void tsk_relay_kick(struct tsk_relay *r);
/* Stops the thread after its current batch and frees the relay. */
void tsk_relay_stop(struct tsk_relay *r);

#endif
