/* Forwarding rules, no I/O: which request headers travel to a peer and
 * which response headers come back. */
#ifndef GW_PROXY_H
#define GW_PROXY_H

#include <stdbool.h>

/* True for request headers the gateway passes to a service. */
bool gw_forward_request_header(const char *name);

#endif
