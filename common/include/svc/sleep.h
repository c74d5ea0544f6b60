/* A background thread's pause that ends early when the thread is kicked
 * (new work) or told to stop: what an outbox relay or a delivery queue
 * waits on between rounds. Thread-safe; caller-owned. */
#ifndef SVC_SLEEP_H
#define SVC_SLEEP_H

#include <pthread.h>
#include <stdbool.h>

struct svc_sleep {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool kicked;
	bool stop;
};

void svc_sleep_init(struct svc_sleep *s);
void svc_sleep_cleanup(struct svc_sleep *s);

/* Waits up to ms, or until stopped, or (when wake_on_kick) until kicked;
 * clears the kick. Returns true when stopping. A pause after a failure
 * passes wake_on_kick false, so kicks cannot turn a backoff into a busy
 * loop. */
bool svc_sleep_wait(struct svc_sleep *s, long ms, bool wake_on_kick);
/* Wakes every waiter that waits for kicks. */
void svc_sleep_kick(struct svc_sleep *s);
/* Wakes every waiter for good: each wait from now on returns true. */
void svc_sleep_stop(struct svc_sleep *s);
/* True once svc_sleep_stop was called. */
bool svc_sleep_stopping(struct svc_sleep *s);

/* A retry loop's next pause: min_ms the first time, then doubled, at most
 * max_ms. *current holds the last one; set it to 0 after a success. */
long svc_sleep_backoff(long *current, long min_ms, long max_ms);

#endif
