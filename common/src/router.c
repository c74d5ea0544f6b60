#include "svc/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

struct svc_router {
	struct svc_route *routes;
	size_t n;
};

void svc_kv_free_all(struct svc_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].name);
		free(kv[i].value);
	}
	free(kv);
}

static int kv_push(struct svc_kv **kv, size_t *n, const char *name, size_t nlen,
		   const char *value, size_t vlen)
{
	struct svc_kv *p = realloc(*kv, (*n + 1) * sizeof **kv);
	if (!p)
		return -1;
	*kv = p;
	p[*n].name = strndup(name, nlen);
	p[*n].value = strndup(value, vlen);
	if (!p[*n].name || !p[*n].value) {
		free(p[*n].name);
		free(p[*n].value);
		return -1;
	}
	(*n)++;
	return 0;
}

int svc_query_parse(const char *q, struct svc_kv **kv, size_t *n)
{
	*kv = NULL;
	*n = 0;
	struct evkeyvalq qs;
	TAILQ_INIT(&qs);
	int rc = evhttp_parse_query_str(q, &qs) == 0 ? 0 : -1;
	for (struct evkeyval *e = qs.tqh_first; e && rc == 0; e = e->next.tqe_next)
		rc = kv_push(kv, n, e->key, strlen(e->key), e->value, strlen(e->value));
	evhttp_clear_headers(&qs);
	if (rc != 0) {
		svc_kv_free_all(*kv, *n);
		*kv = NULL;
		*n = 0;
	}
	return rc;
}

bool svc_route_match(const char *pattern, const char *path, struct svc_kv **params,
		     size_t *nparams)
{
	*params = NULL;
	*nparams = 0;
	const char *p = pattern, *s = path;
	while (*p && *s) {
		if (*p != '/' || *s != '/')
			goto fail;
		p++;
		s++;
		const char *pe = strchrnul(p, '/');
		const char *se = strchrnul(s, '/');
		if (*p == '{' && pe > p + 1 && pe[-1] == '}') {
			if (se == s)
				goto fail; /* empty parameter */
			if (kv_push(params, nparams, p + 1, (size_t)(pe - p - 2), s,
				    (size_t)(se - s)) != 0)
				goto fail;
		} else if (pe - p != se - s || strncmp(p, s, (size_t)(pe - p)) != 0) {
			goto fail;
		}
		p = pe;
		s = se;
	}
	if (*p == '\0' && *s == '\0')
		return true;
fail:
	svc_kv_free_all(*params, *nparams);
	*params = NULL;
	*nparams = 0;
	return false;
}

struct svc_router *svc_router_new(void)
{
	return calloc(1, sizeof(struct svc_router));
}

void svc_router_free(struct svc_router *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->routes[i].pattern);
	free(r->routes);
	free(r);
}

int svc_router_add(struct svc_router *r, const struct svc_route *route)
{
	struct svc_route *p = realloc(r->routes, (r->n + 1) * sizeof *p);
	if (!p)
		return -1;
	r->routes = p;
	p = &r->routes[r->n];
	*p = *route;
	snprintf(p->method, sizeof p->method, "%s", route->method);
	p->pattern = strdup(route->pattern);
	if (!p->pattern)
		return -1;
	r->n++;
	return 0;
}

enum svc_route_found svc_router_find(const struct svc_router *r, const char *method,
				     const char *path, const struct svc_route **out,
				     struct svc_kv **params, size_t *nparams)
{
	bool path_known = false;
	*out = NULL;
	*params = NULL;
	*nparams = 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct svc_route *rt = &r->routes[i];
		struct svc_kv *kv;
		size_t n;
		if (!svc_route_match(rt->pattern, path, &kv, &n))
			continue;
		path_known = true;
		if (strcmp(rt->method, "*") == 0 || strcmp(rt->method, method) == 0) {
			*out = rt;
			*params = kv;
			*nparams = n;
			return SVC_ROUTE_FOUND;
		}
		svc_kv_free_all(kv, n);
	}
	return path_known ? SVC_ROUTE_NO_METHOD : SVC_ROUTE_NO_PATH;
}

void svc_router_visit(const struct svc_router *r, svc_route_visit_fn fn, void *arg)
{
	for (size_t i = 0; i < r->n; i++)
		fn(arg, r->routes[i].method, r->routes[i].pattern);
}
