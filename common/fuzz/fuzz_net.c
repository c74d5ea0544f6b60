/* net.c: address lists from configuration (TRUSTED_PROXIES, webhook
 * allow-lists) and addresses from requests (X-Forwarded-For hops) and from
 * DNS answers for webhook targets. Input: a list, a newline, an address. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "svc/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *f[2];
	char *s = svc_fuzz_split(data, size, f, 2);
	if (!s)
		return 0;
	struct svc_nets nets;
	char err[160];
	if (svc_nets_parse(f[0], &nets, err, sizeof err) != 0)
		SVC_FUZZ_CHECK(nets.n == 0 && nets.v == NULL && err[0]);
	const char *addr = f[1];
	bool in = svc_nets_contains(&nets, addr);
	const char *why = svc_addr_special(addr);
	char canon[46], again[46];
	if (!why || strcmp(why, "not an IP address") != 0) {
		/* An address: its canonical text is the same address. */
		SVC_FUZZ_CHECK(svc_addr_canonical(addr, strlen(addr), canon, sizeof canon));
		SVC_FUZZ_CHECK(svc_addr_canonical(canon, strlen(canon), again, sizeof again));
		SVC_FUZZ_CHECK(strcmp(canon, again) == 0);
		SVC_FUZZ_CHECK(svc_nets_contains(&nets, canon) == in);
		const char *why2 = svc_addr_special(canon);
		SVC_FUZZ_CHECK(why == why2 || (why && why2 && strcmp(why, why2) == 0));
	} else {
		SVC_FUZZ_CHECK(!in);
	}
	svc_nets_cleanup(&nets);
	free(s);
	return 0;
}
