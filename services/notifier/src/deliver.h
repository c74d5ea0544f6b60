/* The delivery workers: threads that drain notify.deliveries (webhooks and
 * e-mail), oldest due first, retrying with exponential backoff. The queue
 * lives in Postgres, so a restart loses nothing, and every replica's
 * workers share it. */
#ifndef NTF_DELIVER_H
#define NTF_DELIVER_H

#include "email.h"
#include "notifier_store.h"
#include "webhook.h"

struct ntf_deliver_cfg {
	const char *conninfo;
	struct ntf_retry retry;
	struct ntf_webhook_cfg webhook;
	struct ntf_email_cfg email;
	int threads;
};

struct ntf_deliver;

/* Starts cfg->threads workers, each with a Postgres handle of its own (a
 * worker never waits behind requests for one); cfg is borrowed for their
 * life. NULL when a thread cannot start. */
struct ntf_deliver *ntf_deliver_start(const struct ntf_deliver_cfg *cfg);
/* Wakes the workers now (deliveries were just queued). */
void ntf_deliver_kick(struct ntf_deliver *d);
/* Stops the workers after their current delivery and frees d. */
void ntf_deliver_stop(struct ntf_deliver *d);

#endif
