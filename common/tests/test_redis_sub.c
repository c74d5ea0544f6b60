/* The Redis client and pattern subscriber against this test playing Redis
 * on a 127.0.0.1 socket (RESP by hand). The subscriber subscribes, hands
 * over messages, resubscribes after the connection breaks, and stops
 * promptly; the client's next command after Redis closed its connection
 * goes out on a new one. */
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "svc/redis.h"
#include "svc/util.h"

struct record {
	pthread_mutex_t lock;
	int ups, resumed_ups, msgs;
	char last_channel[64];
	char last_payload[64];
	size_t last_len;
};

static void on_msg(void *arg, const char *channel, const char *payload, size_t len)
{
	struct record *r = arg;
	pthread_mutex_lock(&r->lock);
	r->msgs++;
	snprintf(r->last_channel, sizeof r->last_channel, "%s", channel);
	snprintf(r->last_payload, sizeof r->last_payload, "%s", payload);
	r->last_len = len;
	pthread_mutex_unlock(&r->lock);
}

static void on_up(void *arg, bool resumed)
{
	struct record *r = arg;
	pthread_mutex_lock(&r->lock);
	r->ups++;
	if (resumed)
		r->resumed_ups++;
	pthread_mutex_unlock(&r->lock);
}

/* Reads *field (under the record's lock) until it reaches want, 5 s at most. */
static int wait_count(struct record *r, const int *field, int want)
{
	int v = 0;
	for (int i = 0; i < 500; i++) {
		pthread_mutex_lock(&r->lock);
		v = *field;
		pthread_mutex_unlock(&r->lock);
		if (v >= want)
			break;
		usleep(10 * 1000);
	}
	return v;
}

static int listener(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(fd, 4), 0);
	socklen_t len = sizeof a;
	getsockname(fd, (struct sockaddr *)&a, &len);
	*port = ntohs(a.sin_port);
	return fd;
}

/* Accepts the subscriber and reads its command until it holds pattern. */
static int accept_subscriber(int lfd, const char *pattern)
{
	struct pollfd p = {.fd = lfd, .events = POLLIN};
	assert_int_equal(poll(&p, 1, 5000), 1);
	int fd = accept(lfd, NULL, NULL);
	assert_true(fd >= 0);
	char cmd[256] = "";
	size_t have = 0;
	while (!strstr(cmd, pattern)) {
		struct pollfd q = {.fd = fd, .events = POLLIN};
		assert_int_equal(poll(&q, 1, 5000), 1);
		ssize_t n = read(fd, cmd + have, sizeof cmd - 1 - have);
		assert_true(n > 0);
		have += (size_t)n;
		cmd[have] = '\0';
	}
	assert_non_null(strstr(cmd, "PSUBSCRIBE"));
	return fd;
}

static void say(int fd, const char *resp)
{
	assert_int_equal(write(fd, resp, strlen(resp)), (ssize_t)strlen(resp));
}

#define CONFIRM "*3\r\n$10\r\npsubscribe\r\n$13\r\ntodo:notify:*\r\n:1\r\n"
#define MESSAGE(ch, chlen, body, bodylen)                                                          \
	"*4\r\n$8\r\npmessage\r\n$13\r\ntodo:notify:*\r\n$" chlen "\r\n" ch "\r\n$" bodylen        \
	"\r\n" body "\r\n"

static void subscribes_delivers_and_resubscribes_after_a_break(void **state)
{
	(void)state;
	static struct record rec = {.lock = PTHREAD_MUTEX_INITIALIZER};
	int port;
	int lfd = listener(&port);
	struct svc_redis_sub *sub =
		svc_redis_sub_start("127.0.0.1", port, "todo:notify:*", on_msg, on_up, &rec);
	assert_non_null(sub);

	int fd = accept_subscriber(lfd, "todo:notify:*");
	/* The confirmation and a first message in one write. */
	say(fd, CONFIRM MESSAGE("todo:notify:u1", "14", "{\"id\":1}", "8"));
	assert_int_equal(wait_count(&rec, &rec.msgs, 1), 1);
	assert_int_equal(wait_count(&rec, &rec.ups, 1), 1);
	assert_int_equal(rec.resumed_ups, 0);
	assert_true(svc_redis_sub_ready(sub));
	struct svc_err err = {0};
	assert_int_equal(svc_redis_sub_ready_check(sub, &err), SVC_OK);
	pthread_mutex_lock(&rec.lock);
	assert_string_equal(rec.last_channel, "todo:notify:u1");
	assert_string_equal(rec.last_payload, "{\"id\":1}");
	assert_int_equal(rec.last_len, 8);
	pthread_mutex_unlock(&rec.lock);

	say(fd, MESSAGE("todo:notify:u2", "14", "{\"id\":22}", "9"));
	assert_int_equal(wait_count(&rec, &rec.msgs, 2), 2);
	pthread_mutex_lock(&rec.lock);
	assert_string_equal(rec.last_channel, "todo:notify:u2");
	pthread_mutex_unlock(&rec.lock);

	/* Redis goes away: the subscriber comes back by itself. */
	close(fd);
	fd = accept_subscriber(lfd, "todo:notify:*");
	say(fd, CONFIRM);
	assert_int_equal(wait_count(&rec, &rec.resumed_ups, 1), 1);
	assert_true(svc_redis_sub_ready(sub));
	say(fd, MESSAGE("todo:notify:u1", "14", "{\"id\":3}", "8"));
	assert_int_equal(wait_count(&rec, &rec.msgs, 3), 3);

	/* Gone for good: not ready, and still stops at once. */
	close(fd);
	close(lfd);
	for (int i = 0; i < 500 && svc_redis_sub_ready(sub); i++)
		usleep(10 * 1000);
	assert_false(svc_redis_sub_ready(sub));
	assert_int_equal(svc_redis_sub_ready_check(sub, &err), SVC_EUNAVAIL);
	long long t0 = svc_now_ms();
	svc_redis_sub_stop(sub);
	assert_true(svc_now_ms() - t0 < 1000);
}

/* Plays a Redis that answers one PING per connection and closes the first
 * one after answering, as a restart does. */
struct restarting {
	int lfd;
	int accepted;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool first_closed;
};

static int answer_ping(int lfd)
{
	struct pollfd p = {.fd = lfd, .events = POLLIN};
	if (poll(&p, 1, 5000) != 1)
		return -1;
	int fd = accept(lfd, NULL, NULL);
	char cmd[128] = "";
	size_t have = 0;
	while (fd >= 0 && !strstr(cmd, "PING")) {
		struct pollfd q = {.fd = fd, .events = POLLIN};
		ssize_t n = poll(&q, 1, 5000) == 1 ? read(fd, cmd + have, sizeof cmd - 1 - have) : -1;
		if (n <= 0) {
			close(fd);
			return -1;
		}
		have += (size_t)n;
		cmd[have] = '\0';
	}
	if (fd >= 0 && write(fd, "+PONG\r\n", 7) != 7) {
		close(fd);
		return -1;
	}
	return fd;
}

static void *restarting_redis(void *arg)
{
	struct restarting *s = arg;
	int fd = answer_ping(s->lfd);
	pthread_mutex_lock(&s->lock);
	s->accepted += fd >= 0;
	if (fd >= 0)
		close(fd);
	s->first_closed = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	fd = answer_ping(s->lfd);
	pthread_mutex_lock(&s->lock);
	s->accepted += fd >= 0;
	pthread_mutex_unlock(&s->lock);
	if (fd >= 0) {
		char buf[64];
		struct pollfd q = {.fd = fd, .events = POLLIN};
		while (poll(&q, 1, 5000) == 1 && read(fd, buf, sizeof buf) > 0)
			; /* until the client goes */
		close(fd);
	}
	return NULL;
}

static void a_command_after_redis_closed_the_connection_goes_out_on_a_new_one(void **state)
{
	(void)state;
	struct restarting s = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	int port;
	s.lfd = listener(&port);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, restarting_redis, &s), 0);
	struct svc_redis *r = svc_redis_new("127.0.0.1", port, 2000);
	assert_non_null(r);
	struct svc_err err = {0};
	assert_int_equal(svc_redis_ping(r, &err), SVC_OK);
	pthread_mutex_lock(&s.lock);
	while (!s.first_closed)
		pthread_cond_wait(&s.cond, &s.lock);
	pthread_mutex_unlock(&s.lock);
	usleep(50 * 1000); /* the FIN on its way */
	assert_int_equal(svc_redis_ping(r, &err), SVC_OK);
	svc_redis_free(r);
	pthread_join(t, NULL);
	close(s.lfd);
	assert_int_equal(s.accepted, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(subscribes_delivers_and_resubscribes_after_a_break),
		cmocka_unit_test(a_command_after_redis_closed_the_connection_goes_out_on_a_new_one),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
