/* Static files: the pure path rules, content types and caching, then
 * gw_static_answer on a real folder (files, a directory, symlinks in and
 * out of the root). */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "static_files.h"

static enum gw_static_route route(const char *method, const char *path, char *rel)
{
	return gw_static_route(method, path, strlen(path), rel, PATH_MAX);
}

static void routes(void **state)
{
	(void)state;
	char rel[PATH_MAX];
	/* Not ours. */
	assert_int_equal(route("GET", "/api/tasks", rel), GW_STATIC_PASS);
	assert_int_equal(route("GET", "/api", rel), GW_STATIC_PASS);
	assert_int_equal(route("POST", "/", rel), GW_STATIC_PASS);
	assert_int_equal(route("DELETE", "/index.html", rel), GW_STATIC_PASS);
	assert_int_equal(route("OPTIONS", "/today", rel), GW_STATIC_PASS);
	/* Client-side routes get index.html. */
	assert_int_equal(route("GET", "/", rel), GW_STATIC_INDEX);
	assert_int_equal(route("HEAD", "/today", rel), GW_STATIC_INDEX);
	assert_int_equal(route("GET", "/settings/", rel), GW_STATIC_INDEX);
	assert_int_equal(route("GET", "/apix", rel), GW_STATIC_INDEX);
	assert_int_equal(route("GET", "/v1.0/tasks", rel), GW_STATIC_INDEX); /* dot not in the last */
	/* Files. */
	assert_int_equal(route("GET", "/assets/index-AbC123.js", rel), GW_STATIC_FILE);
	assert_string_equal(rel, "assets/index-AbC123.js");
	assert_int_equal(route("HEAD", "/favicon.ico", rel), GW_STATIC_FILE);
	assert_string_equal(rel, "favicon.ico");
	/* Never outside the root, never hidden files. */
	const char *refused[] = {
		"/..",          "/../etc/passwd", "/assets/../../x.js", "/a/./b.js", "/.env",
		"/assets/.git", "/.well-known/x", "//etc/passwd",       "/a//b.js",  "/a\\..\\b.js",
		"/a\tb.js",     "/a\x7f.js",      "no-slash.js",
	};
	for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
		if (route("GET", refused[i], rel) != GW_STATIC_REFUSED)
			fail_msg("%s was not refused", refused[i]);
	}
	/* A decoded %00: the path is longer than its string. */
	assert_int_equal(gw_static_route("GET", "/index.html", 15, rel, sizeof rel),
			 GW_STATIC_REFUSED);
	/* Longer than the caller's buffer. */
	char small[8];
	assert_int_equal(gw_static_route("GET", "/abcdefgh.js", 12, small, sizeof small),
			 GW_STATIC_REFUSED);
}

static void types_and_caching(void **state)
{
	(void)state;
	assert_string_equal(gw_static_type("index.html"), "text/html; charset=utf-8");
	assert_string_equal(gw_static_type("assets/index-x.JS"), "text/javascript; charset=utf-8");
	assert_string_equal(gw_static_type("assets/a.css"), "text/css; charset=utf-8");
	assert_string_equal(gw_static_type("a.svg"), "image/svg+xml");
	assert_string_equal(gw_static_type("f.woff2"), "font/woff2");
	assert_string_equal(gw_static_type("app.webmanifest"), "application/manifest+json");
	assert_string_equal(gw_static_type("x.unknown"), "application/octet-stream");
	assert_string_equal(gw_static_type("dir.js/noext"), "application/octet-stream");
	assert_string_equal(gw_static_cache("assets/index-x.js"), "public, max-age=31536000, immutable");
	assert_string_equal(gw_static_cache("index.html"), "no-cache");
	assert_string_equal(gw_static_cache("assetsx.js"), "no-cache");
}

/* ---- on a real folder ---------------------------------------------------- */

struct fixture {
	char base[256]; /* holds root/ and outside/ */
	char root[300];
	struct gw_static st;
};

static void put(const char *dir, const char *name, const char *text)
{
	char p[1024];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	snprintf(fx->base, sizeof fx->base, "%.200s/gw-static-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(fx->base));
	snprintf(fx->root, sizeof fx->root, "%s/root", fx->base);
	char p[512];
	assert_int_equal(mkdir(fx->root, 0700), 0);
	snprintf(p, sizeof p, "%s/assets", fx->root);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof p, "%s/outside", fx->base);
	assert_int_equal(mkdir(p, 0700), 0);
	put(p, "secret.txt", "secret");
	put(fx->root, "index.html", "<!doctype html><p>app</p>");
	put(fx->root, "assets/index-abc.js", "console.log(1)");
	put(fx->root, "robots.txt", "");
	char target[512], link[512];
	snprintf(target, sizeof target, "%s/outside/secret.txt", fx->base);
	snprintf(link, sizeof link, "%s/leak.txt", fx->root);
	assert_int_equal(symlink(target, link), 0);
	snprintf(target, sizeof target, "%s/outside", fx->base);
	snprintf(link, sizeof link, "%s/out.d", fx->root);
	assert_int_equal(symlink(target, link), 0);
	snprintf(link, sizeof link, "%s/alias.js", fx->root);
	assert_int_equal(symlink("assets/index-abc.js", link), 0);
	assert_int_equal(gw_static_set_root(&fx->st, fx->root), 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	gw_static_cleanup(&fx->st);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->base);
	assert_int_equal(system(cmd), 0);
	free(fx);
	return 0;
}

struct answer {
	bool handled;
	struct svc_resp resp;
};

static const char *header(const struct answer *a, const char *name)
{
	for (size_t i = 0; i < a->resp.nheaders; i++)
		if (strcmp(a->resp.headers[i].name, name) == 0)
			return a->resp.headers[i].value;
	return NULL;
}

static void done(struct answer *a)
{
	for (size_t i = 0; i < a->resp.nheaders; i++) {
		free(a->resp.headers[i].name);
		free(a->resp.headers[i].value);
	}
	free(a->resp.body);
}

static struct answer ask(const struct gw_static *st, const char *method, const char *path,
			 const char *if_none_match)
{
	struct svc_kv h = {(char *)"If-None-Match", (char *)if_none_match};
	struct svc_req req = {.method = method, .path = path, .path_len = strlen(path),
			      .headers = &h, .nheaders = if_none_match ? 1 : 0};
	struct answer a = {.resp = {.status = 500}};
	a.handled = gw_static_answer(st, &req, &a.resp);
	return a;
}

static void body_is(const struct answer *a, const char *text)
{
	assert_int_equal(a->resp.body_len, strlen(text));
	assert_memory_equal(a->resp.body, text, strlen(text));
}

static void serves_files(void **state)
{
	struct fixture *fx = *state;
	struct answer a = ask(&fx->st, "GET", "/assets/index-abc.js", NULL);
	assert_true(a.handled);
	assert_int_equal(a.resp.status, 200);
	assert_string_equal(a.resp.content_type, "text/javascript; charset=utf-8");
	assert_string_equal(header(&a, "Cache-Control"), "public, max-age=31536000, immutable");
	body_is(&a, "console.log(1)");
	char etag[64];
	snprintf(etag, sizeof etag, "%s", header(&a, "ETag"));
	done(&a);

	/* Revalidation: 304 without a body. */
	a = ask(&fx->st, "GET", "/assets/index-abc.js", etag);
	assert_int_equal(a.resp.status, 304);
	assert_null(a.resp.body);
	done(&a);
	a = ask(&fx->st, "GET", "/assets/index-abc.js", "\"other\"");
	assert_int_equal(a.resp.status, 200);
	done(&a);

	/* HEAD: the length, no body. */
	a = ask(&fx->st, "HEAD", "/assets/index-abc.js", NULL);
	assert_int_equal(a.resp.status, 200);
	assert_string_equal(header(&a, "Content-Length"), "14");
	assert_int_equal(a.resp.body_len, 0);
	done(&a);

	/* An empty file is a file. A symlink that stays inside is followed. */
	a = ask(&fx->st, "GET", "/robots.txt", NULL);
	assert_int_equal(a.resp.status, 200);
	assert_int_equal(a.resp.body_len, 0);
	done(&a);
	a = ask(&fx->st, "GET", "/alias.js", NULL);
	assert_int_equal(a.resp.status, 200);
	body_is(&a, "console.log(1)");
	done(&a);
}

static void client_routes_get_the_index(void **state)
{
	struct fixture *fx = *state;
	const char *paths[] = {"/", "/today", "/settings/", "/upcoming"};
	for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
		struct answer a = ask(&fx->st, "GET", paths[i], NULL);
		assert_true(a.handled);
		assert_int_equal(a.resp.status, 200);
		assert_string_equal(a.resp.content_type, "text/html; charset=utf-8");
		assert_string_equal(header(&a, "Cache-Control"), "no-cache");
		assert_non_null(header(&a, "Content-Security-Policy"));
		body_is(&a, "<!doctype html><p>app</p>");
		done(&a);
	}
}

static void refuses_what_is_not_a_file_inside(void **state)
{
	struct fixture *fx = *state;
	const char *paths[] = {"/missing.js", "/assets",      "/assets/", "/leak.txt",
			       "/out.d/secret.txt", "/../outside/secret.txt", "/assets/x.css"};
	for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
		struct answer a = ask(&fx->st, "GET", paths[i], NULL);
		assert_true(a.handled);
		/* "/assets" and "/assets/" are routes of the app: index.html,
		 * never a listing. */
		if (strncmp(paths[i], "/assets", 7) == 0 && !strchr(paths[i] + 1, '.')) {
			assert_int_equal(a.resp.status, 200);
			body_is(&a, "<!doctype html><p>app</p>");
		} else {
			if (a.resp.status != 404)
				fail_msg("%s answered %d", paths[i], a.resp.status);
			assert_non_null(strstr(a.resp.body, "\"not_found\""));
		}
		done(&a);
	}
	/* A directory named like a file: 404, no listing. */
	char p[512];
	snprintf(p, sizeof p, "%s/dir.js", fx->root);
	assert_int_equal(mkdir(p, 0700), 0);
	struct answer a = ask(&fx->st, "GET", "/dir.js", NULL);
	assert_int_equal(a.resp.status, 404);
	done(&a);
	/* /api and other methods are not ours. */
	a = ask(&fx->st, "GET", "/api/tasks", NULL);
	assert_false(a.handled);
	a = ask(&fx->st, "POST", "/index.html", NULL);
	assert_false(a.handled);
	/* Nor is a path a route claims (the probes). */
	struct svc_req probe = {.method = "GET", .path = "/readyz", .path_len = 7,
				.route = "/readyz"};
	assert_false(gw_static_answer(&fx->st, &probe, &a.resp));
}

static void off_without_a_root(void **state)
{
	(void)state;
	struct gw_static st = {0};
	struct answer a = ask(&st, "GET", "/", NULL);
	assert_false(a.handled);
	unsetenv("WEB_ROOT");
	struct svc_config cfg;
	svc_config_init(&cfg);
	gw_static_init(&st, &cfg);
	assert_null(st.root);
	setenv("WEB_ROOT", "/nonexistent/web/dist", 1);
	gw_static_init(&st, &cfg);
	assert_int_equal(cfg.count, 1);
	assert_non_null(strstr(cfg.errors, "WEB_ROOT"));
	gw_static_cleanup(&st);
	unsetenv("WEB_ROOT");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(routes),
		cmocka_unit_test(types_and_caching),
		cmocka_unit_test_setup_teardown(serves_files, setup, teardown),
		cmocka_unit_test_setup_teardown(client_routes_get_the_index, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_what_is_not_a_file_inside, setup, teardown),
		cmocka_unit_test(off_without_a_root),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
