#ifndef NTF_ROUTES_H
#define NTF_ROUTES_H

struct svc_app;

/* Registers the notification and settings routes on app; handlers find
 * their struct ntf_ctx in req->ctx. */
int ntf_routes_register(struct svc_app *app);

#endif
