/* E-mail over SMTP with libcurl, to the relay in SMTP_URL. Blocking,
 * bounded by a timeout: for worker threads. */
#ifndef NTF_EMAIL_H
#define NTF_EMAIL_H

#include "notifier_store.h"

struct ntf_email_cfg {
	const char *smtp_url; /* smtp:// or smtps://; NULL: no e-mail */
	const char *from;     /* envelope and header sender */
	long timeout_ms;
};

/* Sends job's notification to job->email and fills out: NTF_SENT when the
 * relay accepted it, NTF_CANCELLED when e-mail is not configured or the
 * user has turned it off, NTF_FAILED otherwise. */
void ntf_email_deliver(const struct ntf_email_cfg *cfg, const struct ntf_job *job,
		       struct ntf_outcome *out);

#endif
