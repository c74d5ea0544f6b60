/* The notify schema. */
#ifndef NTF_STORE_H
#define NTF_STORE_H

#include <stdbool.h>

#include "svc/result.h"

enum svc_result ntf_store_migrate(const char *conninfo, struct svc_err *err);

/* Records that event_id was handled. *first is true the first time only, so
 * a redelivered event acts once. */
enum svc_result ntf_store_mark_event(const char *conninfo, const char *event_id,
				     const char *topic, const char *user_id,
				     const char *subject, bool *first,
				     struct svc_err *err);

#endif
