#include "svc/httpc.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "svc/util.h"

static pthread_key_t handle_key;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void handle_free(void *p)
{
	curl_easy_cleanup(p);
}

static void init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	pthread_key_create(&handle_key, handle_free);
}

static CURL *thread_handle(void)
{
	pthread_once(&once, init_once);
	CURL *c = pthread_getspecific(handle_key);
	if (!c) {
		c = curl_easy_init();
		if (c)
			pthread_setspecific(handle_key, c);
	} else {
		curl_easy_reset(c);
	}
	return c;
}

struct sink {
	struct svc_buf buf;
	struct svc_httpc_resp *out;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	if (svc_buf_append(&s->buf, p, size * n) != 0)
		return 0; /* over the cap: curl aborts the transfer */
	return size * n;
}

static void copy_header_value(char *dst, size_t n, const char *v, size_t len)
{
	while (len && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
		len--;
	if (len >= n)
		len = n - 1;
	memcpy(dst, v, len);
	dst[len] = '\0';
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t len = size * n;
	if (len > 13 && strncasecmp(p, "Content-Type:", 13) == 0)
		copy_header_value(s->out->content_type, sizeof s->out->content_type,
				  p + 13, len - 13);
	else if (len > 5 && strncasecmp(p, "ETag:", 5) == 0)
		copy_header_value(s->out->etag, sizeof s->out->etag, p + 5, len - 5);
	else if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0)
		copy_header_value(s->out->retry_after, sizeof s->out->retry_after, p + 12,
				  len - 12);
	return len;
}

enum svc_result svc_httpc_request(const char *method, const char *url,
				  const char *const *headers, const char *body,
				  size_t body_len, long timeout_ms, size_t max_resp,
				  struct svc_httpc_resp *out, struct svc_err *err)
{
	memset(out, 0, sizeof *out);
	CURL *c = thread_handle();
	if (!c)
		return svc_err_set(err, SVC_ENOMEM, NULL, "curl init failed");
	struct sink s = {.out = out};
	svc_buf_init(&s.buf, max_resp);
	struct curl_slist *hl = NULL;
	for (const char *const *h = headers; h && *h; h++)
		hl = curl_slist_append(hl, *h);
	/* No "Expect: 100-continue" round trip on larger bodies. */
	hl = curl_slist_append(hl, "Expect:");

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 2000 ? timeout_ms : 2000);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &s);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (body || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
	    strcmp(method, "PATCH") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? body_len : 0));
	}
	CURLcode rc = curl_easy_perform(c);
	curl_slist_free_all(hl);
	enum svc_result r = SVC_OK;
	if (rc != CURLE_OK) {
		enum svc_result code = SVC_EUPSTREAM;
		if (rc == CURLE_COULDNT_CONNECT)
			code = SVC_EUNAVAIL;
		else if (rc == CURLE_OPERATION_TIMEDOUT)
			code = SVC_ETIMEOUT;
		else if (rc == CURLE_WRITE_ERROR && s.buf.failed)
			code = SVC_EUPSTREAM;
		r = svc_err_set(err, code, NULL, "%s %s: %s", method, url,
				s.buf.failed ? "response too large" : curl_easy_strerror(rc));
		svc_buf_cleanup(&s.buf);
		memset(out, 0, sizeof *out);
		return r;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	out->body = svc_buf_take(&s.buf, &out->body_len);
	return r;
}

void svc_httpc_resp_cleanup(struct svc_httpc_resp *r)
{
	free(r->body);
	memset(r, 0, sizeof *r);
}
