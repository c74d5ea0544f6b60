/* util.c's readers of untrusted text: RFC 3339 times (every timestamp in a
 * body, a query or an event), base64url (cursors, refresh tokens) and
 * UUIDs (ids in paths and events). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuzz.h"
#include "svc/util.h"

/* A time we accept, written again in UTC, reads back as the same instant
 * (when that UTC year still has four digits). */
static void time_round_trip(const char *s)
{
	long long epoch = 0;
	if (svc_time_parse_rfc3339(s, &epoch) != 0)
		return;
	time_t t = (time_t)epoch;
	struct tm tm;
	SVC_FUZZ_CHECK(gmtime_r(&t, &tm) != NULL);
	if (tm.tm_year + 1900 < 1 || tm.tm_year + 1900 > 9999)
		return;
	char utc[32];
	snprintf(utc, sizeof utc, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	long long again = 0;
	SVC_FUZZ_CHECK(svc_time_parse_rfc3339(utc, &again) == 0);
	SVC_FUZZ_CHECK(again == epoch);
}

/* Decoding accepts only canonical text, so encoding what it decoded gives
 * the text back; and any bytes survive encoding and decoding. */
static void b64url_round_trip(const char *s, const uint8_t *data, size_t size)
{
	size_t len = 0;
	unsigned char *raw = svc_b64url_decode(s, &len);
	if (raw) {
		char *text = svc_b64url_encode(raw, len);
		SVC_FUZZ_CHECK(text && strcmp(text, s) == 0);
		free(text);
		free(raw);
	}
	char *text = svc_b64url_encode(data, size);
	SVC_FUZZ_CHECK(text != NULL);
	raw = svc_b64url_decode(text, &len);
	SVC_FUZZ_CHECK(raw && len == size && memcmp(raw, data, size) == 0);
	free(raw);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = svc_fuzz_str(data, size);
	if (!s)
		return 0;
	time_round_trip(s);
	b64url_round_trip(s, data, size);
	SVC_FUZZ_CHECK(!svc_uuid_valid(s) || strlen(s) == 36);
	long v;
	svc_parse_long(s, 1, 200, &v);
	free(s);
	return 0;
}
