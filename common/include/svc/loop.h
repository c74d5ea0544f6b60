/* The event loops of ours: the app's, and each worker thread's own for
 * blocking upstream calls. */
#ifndef SVC_LOOP_H
#define SVC_LOOP_H

struct event_base;

/* A new event base. With epoll, the change list batches the adds and
 * deletes of one loop pass into as few epoll_ctl calls as possible: a
 * proxied request toggles reading and writing on three sockets, and
 * without it each toggle is a system call (libevent leaves it off by
 * default because it is unsafe with dup()ed descriptors, which we never
 * register). Thread-aware once evthread_use_pthreads() ran. NULL on OOM. */
struct event_base *svc_loop_new(void);

/* The bases svc_loop_new makes have this many priorities; events get the
 * middle one unless set otherwise, and SVC_LOOP_PRIORITIES - 1, the lowest,
 * runs only in a pass where nothing else was ready. */
#define SVC_LOOP_PRIORITIES 3

#endif
