#include "loop_thread.h"

#include <stdatomic.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "svc/loop.h"

static void *run(void *arg)
{
	struct loop_thread *l = arg;
	event_base_loop(l->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

int loop_thread_start(struct loop_thread *l)
{
	evthread_use_pthreads();
	l->base = svc_loop_new();
	if (!l->base)
		return -1;
	return pthread_create(&l->thread, NULL, run, l) == 0 ? 0 : -1;
}

struct call {
	void (*fn)(void *);
	void *arg;
	atomic_int done;
};

static void on_call(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct call *c = arg;
	c->fn(c->arg);
	atomic_store(&c->done, 1);
}

void loop_thread_run(struct loop_thread *l, void (*fn)(void *), void *arg)
{
	struct call c = {fn, arg, 0};
	event_base_once(l->base, -1, EV_TIMEOUT, on_call, &c, NULL);
	while (!atomic_load(&c.done))
		usleep(1000);
}

static void on_break(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

void loop_thread_stop(struct loop_thread *l)
{
	event_base_once(l->base, -1, EV_TIMEOUT, on_break, l->base, NULL);
	pthread_join(l->thread, NULL);
}
