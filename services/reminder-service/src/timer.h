/* Claimed reminders waiting for their time: a min-heap by fire time served
 * by a few threads, so a reminder claimed ahead of its time (the look-ahead)
 * fires at its time and not at the next cron tick. Times are wall-clock
 * milliseconds (CLOCK_REALTIME), like remind_at. */
#ifndef REM_TIMER_H
#define REM_TIMER_H

#include <stddef.h>

#include "reminder.h"

struct rem_timer;

/* The wall clock in milliseconds since 1970, the timer's time. */
long long rem_timer_now_ms(void);

/* Called on a timer thread with a claim whose time has come (or, from
 * rem_timer_stop, with one that will not fire here). c is borrowed for the
 * call. May block. */
typedef void (*rem_timer_fn)(void *arg, const struct rem_claim *c);

/* Starts threads (1..64) that call fire(arg, c) for each claim at its
 * time. NULL on failure. Stop with rem_timer_stop. */
struct rem_timer *rem_timer_start(int threads, rem_timer_fn fire, void *arg);

/* Queues a copy of c for c->at_ms (at once when that has passed). Returns 0,
 * or -1 when out of memory or stopping (the caller keeps c). */
int rem_timer_add(struct rem_timer *t, const struct rem_claim *c);

/* Claims queued and not yet handed to fire. */
size_t rem_timer_pending(struct rem_timer *t);

/* Stops taking claims, lets the fires in progress finish, joins the
 * threads, calls leftover(arg, c) for each claim still queued, frees t. */
void rem_timer_stop(struct rem_timer *t, rem_timer_fn leftover, void *arg);

#endif
