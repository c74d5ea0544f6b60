#include "webhook.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>

#include "svc/util.h"

#define RESPONSE_KEEP 200  /* bytes of an answer kept for the delivery log */
#define RESOLVE_MAX_MS 5000

/* What the connect-time check saw. */
struct guard {
	const struct svc_nets *allow;
	bool probe;    /* record addresses, never connect */
	int seen;      /* addresses curl wanted to connect to */
	int tried;     /* of those, the allowed ones it got a socket for */
	bool refused;  /* at least one address was forbidden */
	char addr[INET6_ADDRSTRLEN];
	const char *why;
	char answer[RESPONSE_KEEP + 1];
	size_t answer_len;
};

/* curl asks for every socket through here: the address it is about to
 * connect to, after DNS, is the one that is checked. */
static curl_socket_t open_socket(void *clientp, curlsocktype purpose,
				 struct curl_sockaddr *a)
{
	struct guard *g = clientp;
	char text[INET6_ADDRSTRLEN] = "";
	const void *raw = NULL;
	if (a->family == AF_INET)
		raw = &((const struct sockaddr_in *)(const void *)&a->addr)->sin_addr;
	else if (a->family == AF_INET6)
		raw = &((const struct sockaddr_in6 *)(const void *)&a->addr)->sin6_addr;
	if (purpose != CURLSOCKTYPE_IPCXN || !raw ||
	    !inet_ntop(a->family, raw, text, sizeof text)) {
		g->refused = true;
		g->why = "not an IP address";
		return CURL_SOCKET_BAD;
	}
	g->seen++;
	const char *why = NULL;
	if (!ntf_addr_allowed(text, g->allow, &why)) {
		if (!g->refused)
			snprintf(g->addr, sizeof g->addr, "%s", text);
		g->refused = true;
		g->why = why;
		return CURL_SOCKET_BAD;
	}
	if (g->probe)
		return CURL_SOCKET_BAD;
	g->tried++;
	return socket(a->family, a->socktype, a->protocol);
}

/* Keeps the start of the answer for the log, as printable ASCII (it goes
 * into a text column whatever the receiver sent); reads and drops the
 * rest. */
static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct guard *g = arg;
	size_t len = size * n, room = RESPONSE_KEEP - g->answer_len;
	size_t take = len < room ? len : room;
	for (size_t i = 0; i < take; i++)
		g->answer[g->answer_len++] = p[i] >= ' ' && p[i] < 0x7f ? p[i] : '?';
	g->answer[g->answer_len] = '\0';
	return len;
}

/* Options every webhook request shares: http(s) only, no redirects, no
 * proxy from the environment (it would hide the real target), every
 * socket through the guard. */
static void common_opts(CURL *c, const char *url, struct guard *g, long timeout_ms)
{
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			 timeout_ms < RESOLVE_MAX_MS ? timeout_ms : RESOLVE_MAX_MS);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, g);
	curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
}

enum svc_result ntf_webhook_check_target(const struct ntf_webhook_cfg *cfg, const char *url,
					 struct svc_err *err)
{
	CURL *c = curl_easy_init();
	if (!c)
		return svc_err_set(err, SVC_ENOMEM, NULL, "curl init failed");
	struct guard g = {.allow = &cfg->allow, .probe = true};
	common_opts(c, url, &g, RESOLVE_MAX_MS);
	curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
	CURLcode rc = curl_easy_perform(c);
	curl_easy_cleanup(c);
	if (g.refused)
		return svc_err_set(err, SVC_EUNPROCESSABLE, "webhook_url",
				   "webhook_url leads to %s (%s), which webhooks may not reach",
				   g.addr[0] ? g.addr : "an address", g.why);
	if (g.seen == 0)
		return svc_err_set(err, SVC_EUNPROCESSABLE, "webhook_url",
				   "the host of webhook_url does not resolve (%s)",
				   curl_easy_strerror(rc));
	return SVC_OK;
}

void ntf_webhook_deliver(const struct ntf_webhook_cfg *cfg, const struct ntf_job *job,
			 struct ntf_outcome *out)
{
	if (!job->webhook_url || !job->webhook_secret) {
		out->result = NTF_CANCELLED;
		snprintf(out->error, sizeof out->error, "the user has removed their webhook");
		return;
	}
	snprintf(out->target, sizeof out->target, "%s", job->webhook_url);
	out->result = NTF_FAILED;
	char *body = ntf_webhook_body(job->event_id, job->notification);
	CURL *c = body ? curl_easy_init() : NULL;
	if (!c) {
		free(body);
		snprintf(out->error, sizeof out->error, "out of memory");
		return;
	}
	long long ts = (long long)time(NULL);
	char sig[NTF_SIGNATURE_BUF], h_sig[128], h_ts[64], h_id[96];
	ntf_webhook_sign(job->webhook_secret, ts, body, strlen(body), sig);
	snprintf(h_sig, sizeof h_sig, "X-Todo-Signature: %s", sig);
	snprintf(h_ts, sizeof h_ts, "X-Todo-Timestamp: %lld", ts);
	snprintf(h_id, sizeof h_id, "X-Todo-Event-Id: %s", job->event_id);
	struct curl_slist *hl = NULL;
	const char *const hs[] = {"Content-Type: application/json", h_id, h_ts, h_sig,
				  "User-Agent: todo-notifier", "Expect:"};
	for (size_t i = 0; i < sizeof hs / sizeof hs[0]; i++)
		hl = curl_slist_append(hl, hs[i]);

	struct guard g = {.allow = &cfg->allow};
	common_opts(c, job->webhook_url, &g, cfg->timeout_ms);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &g);
	long long t0 = svc_now_ms();
	CURLcode rc = curl_easy_perform(c);
	out->duration_ms = (long)(svc_now_ms() - t0);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	if (rc == CURLE_OK && out->status >= 200 && out->status < 300) {
		out->result = NTF_SENT;
	} else if (rc == CURLE_OK) {
		snprintf(out->error, sizeof out->error, "HTTP %ld: %.200s", out->status, g.answer);
	} else if (g.refused && g.tried == 0) {
		out->result = NTF_REFUSED;
		snprintf(out->error, sizeof out->error, "refused %s (%s)", g.addr, g.why);
	} else {
		snprintf(out->error, sizeof out->error, "%s%s%s%s", curl_easy_strerror(rc),
			 g.refused ? " (refused " : "", g.refused ? g.addr : "", g.refused ? ")" : "");
	}
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	free(body);
}
