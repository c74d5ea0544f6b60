/* The notification stream's inputs from its peers: a notification as
 * notifier publishes it on Redis (its id), a page of notifier's replay
 * answer turned into SSE frames, and a Redis channel name. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sse.h"

#define MAX_FRAMES 4096

/* Every frame ends in an empty line, and no data line holds a line break
 * of its own (a client would read it as the end of the frame). */
static void check_frames(const struct svc_buf *b)
{
	if (!b->len)
		return;
	SVC_FUZZ_CHECK(b->len >= 2 && memcmp(b->data + b->len - 2, "\n\n", 2) == 0);
	SVC_FUZZ_CHECK(!memchr(b->data, '\r', b->len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	long long id = 0, last = 0;
	if (gw_sse_notification_id(text, size, &id) == 0) {
		SVC_FUZZ_CHECK(id >= 1 && id <= GW_SSE_MAX_ID);
		struct svc_buf b;
		svc_buf_init(&b, 1 << 20);
		SVC_FUZZ_CHECK(gw_sse_frame(&b, id, text, size) == 0);
		check_frames(&b);
		svc_buf_cleanup(&b);
	}
	struct svc_buf page;
	svc_buf_init(&page, MAX_FRAMES);
	size_t items = 0;
	bool full = false;
	if (gw_sse_page(text, size, &page, MAX_FRAMES, &last, &items, &full) == 0) {
		SVC_FUZZ_CHECK(page.len <= MAX_FRAMES && last >= 0);
		check_frames(&page);
	}
	svc_buf_cleanup(&page);
	char *s = svc_fuzz_str(data, size);
	const char *user = s ? gw_sse_channel_user(s) : NULL;
	SVC_FUZZ_CHECK(!user || (*user && user > s));
	free(s);
	return 0;
}
