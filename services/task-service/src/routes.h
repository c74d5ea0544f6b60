#ifndef TSK_ROUTES_H
#define TSK_ROUTES_H

struct svc_app;
struct svc_auth;
struct tsk_relay;

/* Shared by every handler (req->ctx). */
struct tsk_ctx {
	struct svc_app *app;
	struct svc_auth *auth;
	const char *conninfo;
	struct tsk_relay *relay;
};

/* Registers the task routes on app; handlers find their struct tsk_ctx in
 * req->ctx. */
int tsk_routes_register(struct svc_app *app);

#endif
