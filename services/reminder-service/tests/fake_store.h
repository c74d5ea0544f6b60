/* An in-memory stand-in for reminder_store.c (one task's state with
 * numbered ETags, and a record of the index and claim calls), so the unit
 * tests drive the handlers and the firing without Dapr or Redis. The store
 * is a boundary: linking this instead of reminder_store.o replaces it. */
#ifndef REM_FAKE_STORE_H
#define REM_FAKE_STORE_H

#include "reminder_store.h"

struct fake_store {
	char *json;      /* the stored state, NULL when none */
	int etag;        /* its ETag, counting from 1 */
	enum svc_result get_fails, put_fails, index_fails; /* SVC_OK: work */
	/* Runs once before the next put, as a concurrent writer would. */
	void (*before_put)(void);
	int puts, gets;
	int index_calls;
	long index_version;
	long long index_at;
	int done, retried, released;
	/* What rem_store_claim hands out, once each. */
	struct rem_claim claims[8];
	size_t nclaims;
	int claim_calls;
};

extern struct fake_store fake;

void fake_reset(void);
/* Stores s as the current state (a new ETag), as another writer would. */
void fake_store_state(const struct rem_state *s);
/* Decodes the stored state into *out (free with rem_state_cleanup). */
void fake_stored(struct rem_state *out);

#endif
