#include "svc/sleep.h"

#include <errno.h>
#include <time.h>

void svc_sleep_init(struct svc_sleep *s)
{
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	s->kicked = false;
	s->stop = false;
}

void svc_sleep_cleanup(struct svc_sleep *s)
{
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
}

bool svc_sleep_wait(struct svc_sleep *s, long ms, bool wake_on_kick)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->lock);
	while (!(wake_on_kick && s->kicked) && !s->stop &&
	       pthread_cond_timedwait(&s->cond, &s->lock, &until) != ETIMEDOUT)
		;
	s->kicked = false;
	bool stop = s->stop;
	pthread_mutex_unlock(&s->lock);
	return stop;
}

void svc_sleep_kick(struct svc_sleep *s)
{
	pthread_mutex_lock(&s->lock);
	s->kicked = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

void svc_sleep_stop(struct svc_sleep *s)
{
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

bool svc_sleep_stopping(struct svc_sleep *s)
{
	pthread_mutex_lock(&s->lock);
	bool stop = s->stop;
	pthread_mutex_unlock(&s->lock);
	return stop;
}

long svc_sleep_backoff(long *current, long min_ms, long max_ms)
{
	long next = *current ? *current * 2 : min_ms;
	*current = next > max_ms ? max_ms : next;
	return *current;
}
