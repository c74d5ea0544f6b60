/* The asynchronous Redis client against this test playing Redis on a
 * 127.0.0.1 socket (RESP by hand, one thread): replies reach their
 * callbacks on the loop thread, an error reply is SVC_EUPSTREAM, a silent
 * Redis times the command out and the client reconnects, a closed
 * connection fails what was pending and the client comes back. */
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <event2/event.h>
#include <event2/thread.h>

#include "loop_thread.h"
#include "svc/redis.h"

/* What the fake does with the next command on a connection. */
enum mode { ANSWER, ERROR_REPLY, SILENT, CLOSE };

struct fake {
	int lfd;
	int port;
	pthread_t thread;
	_Atomic enum mode mode;
	atomic_int accepted;
	atomic_int commands;
	atomic_bool stop;
};

static struct fake fake;

/* Reads one line ending in \r\n into buf; -1 at EOF. */
static int read_line(int fd, char *buf, size_t n)
{
	size_t i = 0;
	while (i + 1 < n) {
		char c;
		if (read(fd, &c, 1) != 1)
			return -1;
		buf[i++] = c;
		if (i >= 2 && buf[i - 2] == '\r' && buf[i - 1] == '\n') {
			buf[i - 2] = '\0';
			return 0;
		}
	}
	return -1;
}

/* Reads one RESP command (an array of bulk strings); -1 at EOF. */
static int read_command(int fd)
{
	char line[256];
	if (read_line(fd, line, sizeof line) != 0 || line[0] != '*')
		return -1;
	int n = atoi(line + 1);
	for (int i = 0; i < n; i++) {
		if (read_line(fd, line, sizeof line) != 0 || line[0] != '$')
			return -1;
		int len = atoi(line + 1);
		char *skip = malloc((size_t)len + 2);
		size_t got = 0;
		while (got < (size_t)len + 2) {
			ssize_t r = read(fd, skip + got, (size_t)len + 2 - got);
			if (r <= 0) {
				free(skip);
				return -1;
			}
			got += (size_t)r;
		}
		free(skip);
	}
	return 0;
}

static void *fake_loop(void *arg)
{
	struct fake *f = arg;
	while (!atomic_load(&f->stop)) {
		int c = accept(f->lfd, NULL, NULL);
		if (c < 0)
			break;
		atomic_fetch_add(&f->accepted, 1);
		while (read_command(c) == 0) {
			atomic_fetch_add(&f->commands, 1);
			enum mode m = atomic_load(&f->mode);
			if (m == ANSWER) {
				const char *r = "*2\r\n:7\r\n:60000\r\n";
				if (write(c, r, strlen(r)) < 0)
					break;
			} else if (m == ERROR_REPLY) {
				const char *r = "-ERR no such thing\r\n";
				if (write(c, r, strlen(r)) < 0)
					break;
			} else if (m == CLOSE) {
				break;
			} /* SILENT: read on, answer nothing */
		}
		close(c);
	}
	return NULL;
}

static struct loop_thread cli;
static struct svc_redis_async *client;

/* Runs fn(arg) on the client's loop thread and waits for it. */
static void on_client(void (*fn)(void *), void *arg)
{
	loop_thread_run(&cli, fn, arg);
}

struct result {
	atomic_int done;
	enum svc_result r;
	long long first;
	pthread_t thread;
	char message[256];
};

static void on_reply(void *arg, enum svc_result r, const redisReply *reply,
		     const struct svc_err *err)
{
	struct result *res = arg;
	res->r = r;
	res->thread = pthread_self();
	if (r == SVC_OK && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2)
		res->first = reply->element[0]->integer;
	if (err)
		snprintf(res->message, sizeof res->message, "%s", err->message);
	atomic_store(&res->done, 1);
}

struct send_args {
	struct result *res;
	int rc;
};

static void do_send(void *arg)
{
	struct send_args *a = arg;
	const char *argv[] = {"INCR", "todo:test"};
	size_t lens[] = {4, 9};
	struct svc_err err = {0};
	a->rc = svc_redis_async_argv(client, 2, argv, lens, on_reply, a->res, &err);
}

/* Sends one command once the client is connected; waits for its end. */
static void send_and_wait(struct result *res)
{
	for (int i = 0; i < 500 && !svc_redis_async_ready(client); i++)
		usleep(10000);
	assert_true(svc_redis_async_ready(client));
	struct send_args a = {res, -1};
	on_client(do_send, &a);
	assert_int_equal(a.rc, 0);
	for (int i = 0; i < 500 && !atomic_load(&res->done); i++)
		usleep(10000);
	assert_true(atomic_load(&res->done));
}

static void do_new(void *arg)
{
	(void)arg;
	client = svc_redis_async_new(cli.base, "127.0.0.1", fake.port, 200);
}

static int setup(void **state)
{
	(void)state;
	evthread_use_pthreads();
	fake.lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	assert_int_equal(bind(fake.lfd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(fake.lfd, 4), 0);
	socklen_t len = sizeof a;
	getsockname(fake.lfd, (struct sockaddr *)&a, &len);
	fake.port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&fake.thread, NULL, fake_loop, &fake), 0);
	assert_int_equal(loop_thread_start(&cli), 0);
	on_client(do_new, NULL);
	assert_non_null(client);
	return 0;
}

static void do_free(void *arg)
{
	(void)arg;
	svc_redis_async_free(client);
}

static int teardown(void **state)
{
	(void)state;
	on_client(do_free, NULL);
	loop_thread_stop(&cli);
	event_base_free(cli.base);
	atomic_store(&fake.stop, true);
	shutdown(fake.lfd, SHUT_RDWR);
	close(fake.lfd);
	pthread_join(fake.thread, NULL);
	return 0;
}

static void replies_come_back_on_the_loop(void **state)
{
	(void)state;
	atomic_store(&fake.mode, ANSWER);
	for (int i = 0; i < 10; i++) {
		struct result r = {0};
		send_and_wait(&r);
		assert_int_equal(r.r, SVC_OK);
		assert_int_equal(r.first, 7);
		assert_true(pthread_equal(r.thread, cli.thread));
	}
}

static void an_error_reply_is_upstream(void **state)
{
	(void)state;
	atomic_store(&fake.mode, ERROR_REPLY);
	struct result r = {0};
	send_and_wait(&r);
	assert_int_equal(r.r, SVC_EUPSTREAM);
	assert_non_null(strstr(r.message, "no such thing"));
}

static void silence_times_out_and_reconnects(void **state)
{
	(void)state;
	atomic_store(&fake.mode, SILENT);
	int before = atomic_load(&fake.accepted);
	struct result r = {0};
	send_and_wait(&r);
	assert_int_equal(r.r, SVC_ETIMEOUT);
	/* The silent connection was dropped; a new one answers. */
	atomic_store(&fake.mode, ANSWER);
	struct result again = {0};
	send_and_wait(&again);
	assert_int_equal(again.r, SVC_OK);
	assert_true(atomic_load(&fake.accepted) > before);
}

static void a_closed_connection_fails_and_comes_back(void **state)
{
	(void)state;
	atomic_store(&fake.mode, CLOSE);
	struct result r = {0};
	send_and_wait(&r);
	assert_int_equal(r.r, SVC_EUNAVAIL);
	atomic_store(&fake.mode, ANSWER);
	struct result again = {0};
	send_and_wait(&again);
	assert_int_equal(again.r, SVC_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(replies_come_back_on_the_loop),
		cmocka_unit_test(an_error_reply_is_upstream),
		cmocka_unit_test(silence_times_out_and_reconnects),
		cmocka_unit_test(a_closed_connection_fails_and_comes_back),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
