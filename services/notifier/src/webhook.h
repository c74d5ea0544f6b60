/* Webhooks over libcurl: the target check when settings are saved, and the
 * signed POST, which checks every address it connects to again (so DNS
 * cannot re-point a saved URL). Blocking, bounded by timeouts: for worker
 * threads. */
#ifndef NTF_WEBHOOK_H
#define NTF_WEBHOOK_H

#include "notifier_store.h"
#include "svc/net.h"
#include "svc/result.h"

struct ntf_webhook_cfg {
	struct svc_nets allow; /* WEBHOOK_ALLOW_NETS: special networks let through */
	long timeout_ms;       /* WEBHOOK_TIMEOUT_MS: a whole attempt */
};

/* Resolves url's host (a name through the system resolver, within the
 * timeout) without connecting, and refuses it unless every address is one
 * a webhook may reach (ntf_addr_allowed): SVC_EUNPROCESSABLE with field
 * webhook_url saying which address and why, or that the host does not
 * resolve. url has passed ntf_webhook_url_check. */
enum svc_result ntf_webhook_check_target(const struct ntf_webhook_cfg *cfg, const char *url,
					 struct svc_err *err);

/* POSTs {"event_id", "notification"} to job->webhook_url with the
 * X-Todo-Event-Id, X-Todo-Timestamp and X-Todo-Signature headers, no
 * redirects, no proxy, and fills out: NTF_SENT on a 2xx answer, NTF_REFUSED
 * when the only addresses were forbidden ones, NTF_CANCELLED when the user
 * has no webhook any more, NTF_FAILED otherwise. */
void ntf_webhook_deliver(const struct ntf_webhook_cfg *cfg, const struct ntf_job *job,
			 struct ntf_outcome *out);

#endif
