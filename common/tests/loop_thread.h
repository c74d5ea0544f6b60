/* For tests: an event loop on a thread of its own, and a way to run code
 * on it (what the services' loop-only functions require). */
#ifndef TEST_LOOP_THREAD_H
#define TEST_LOOP_THREAD_H

#include <pthread.h>

struct event_base;

struct loop_thread {
	struct event_base *base;
	pthread_t thread;
};

/* Makes a base (thread-aware) and runs it on a new thread until
 * loop_thread_stop. Returns 0 or -1. */
int loop_thread_start(struct loop_thread *l);
/* Runs fn(arg) on the loop's thread and waits until it returned. */
void loop_thread_run(struct loop_thread *l, void (*fn)(void *), void *arg);
/* Breaks the loop from inside it (a break asked before the loop started
 * would be forgotten) and joins the thread; the base stays for the caller
 * to free with event_base_free once what lives on it is freed. */
void loop_thread_stop(struct loop_thread *l);

#endif
