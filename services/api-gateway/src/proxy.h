/* Forwarding rules, no I/O: which request headers travel to a peer and
 * which response headers come back. */
#ifndef GW_PROXY_H
#define GW_PROXY_H

#include <stdbool.h>
#include <stddef.h>

/* True for request headers the gateway passes to a service. */
bool gw_forward_request_header(const char *name);

/* True when body is our JSON error shape {"error":{"code":..}}. */
bool gw_is_error_body(const char *body, size_t len);

#endif
