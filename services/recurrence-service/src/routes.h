#ifndef REC_ROUTES_H
#define REC_ROUTES_H

struct svc_pubsub;
struct rec_ctx;

/* Subscribes to the task events and takes the recurrence-cron binding;
 * handlers find ctx as their argument. */
int rec_routes_register(struct svc_pubsub *ps, struct rec_ctx *ctx);

#endif
