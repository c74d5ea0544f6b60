/* GET /api/openapi.yaml: proto/openapi.yaml, embedded at build time. */
#ifndef GW_OPENAPI_H
#define GW_OPENAPI_H

#include <stddef.h>

struct svc_app;

/* The document's bytes (NUL-terminated) and size, from the generated
 * openapi_yaml.c. */
extern const unsigned char gw_openapi_yaml[];
extern const size_t gw_openapi_yaml_len;

/* Registers the route (no auth). Returns 0 or -1. */
int gw_openapi_register(struct svc_app *app);

#endif
