/* svc_log's batch on the loop thread: lines wait for a pass of the loop
 * with nothing else ready, a warning flushes them in order, a batch never
 * passes PIPE_BUF, and ending the batch writes what is left. stdout is a
 * pipe here, read back without blocking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "svc/log.h"
#include "svc/loop.h"

static int saved_stdout = -1;
static int pipe_rd = -1;

static int setup(void **state)
{
	(void)state;
	int p[2];
	if (pipe(p) != 0)
		return -1;
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	fflush(stdout);
	saved_stdout = dup(STDOUT_FILENO);
	dup2(p[1], STDOUT_FILENO);
	close(p[1]);
	pipe_rd = p[0];
	svc_log_init("test", SVC_LOG_INFO);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dup2(saved_stdout, STDOUT_FILENO);
	close(saved_stdout);
	close(pipe_rd);
	return 0;
}

/* Reads what the pipe holds now into out (len bytes); returns its number
 * of lines. */
static int drain(char *out, size_t cap, size_t *len)
{
	*len = 0;
	int lines = 0;
	for (;;) {
		ssize_t n = read(pipe_rd, out + *len, cap - 1 - *len);
		if (n <= 0)
			break;
		*len += (size_t)n;
	}
	out[*len] = '\0';
	for (size_t i = 0; i < *len; i++)
		lines += out[i] == '\n';
	return lines;
}

static void *batch_elsewhere(void *arg)
{
	static int rc;
	rc = svc_log_batch(arg);
	return &rc;
}

static void lines_wait_for_a_quiet_pass(void **state)
{
	(void)state;
	static char got[65536];
	size_t len;
	struct event_base *base = svc_loop_new();
	assert_non_null(base);

	svc_info(NULL, "before batching");
	assert_int_equal(drain(got, sizeof got, &len), 1);

	assert_int_equal(svc_log_batch(base), 0);
	/* One thread batches at a time: another is refused. */
	pthread_t t;
	void *rc;
	assert_int_equal(pthread_create(&t, NULL, batch_elsewhere, base), 0);
	pthread_join(t, &rc);
	assert_int_equal(*(int *)rc, -1);
	svc_info("r1", "first");
	svc_info("r2", "second");
	svc_debug("r3", "below the level");
	assert_int_equal(drain(got, sizeof got, &len), 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	assert_int_equal(drain(got, sizeof got, &len), 2);
	assert_non_null(strstr(got, "\"msg\":\"first\""));
	assert_true(strstr(got, "first") < strstr(got, "second"));

	/* A warning goes out at once, after what waited. */
	svc_info(NULL, "waiting");
	svc_warn(NULL, "trouble");
	assert_int_equal(drain(got, sizeof got, &len), 2);
	assert_true(strstr(got, "waiting") < strstr(got, "trouble"));

	/* The batch goes out before it would pass PIPE_BUF, in whole lines. */
	char word[300];
	memset(word, 'x', sizeof word - 1);
	word[sizeof word - 1] = '\0';
	int n = 0;
	size_t total = 0;
	while (total <= PIPE_BUF) {
		svc_info(NULL, "%s", word);
		total += sizeof word + 80;
		n++;
	}
	int early = drain(got, sizeof got, &len);
	assert_true(early > 0 && early < n);
	assert_true(len <= PIPE_BUF);
	assert_int_equal(got[len - 1], '\n');
	event_base_loop(base, EVLOOP_NONBLOCK);
	assert_int_equal(drain(got, sizeof got, &len), n - early);

	/* A line longer than a batch (a message is cut at 2 KiB, but control
	 * characters take six bytes each in JSON) goes out whole, after what
	 * waited. */
	static char big[2000];
	memset(big, '\x01', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	svc_info(NULL, "small");
	svc_info(NULL, "%s", big);
	assert_int_equal(drain(got, sizeof got, &len), 2);
	assert_true(len > PIPE_BUF);
	assert_true(strstr(got, "small") < strstr(got, "\\u0001"));

	/* Ending the batch writes what is left; later lines go out at once. */
	svc_info(NULL, "last in the batch");
	svc_log_batch_end();
	assert_int_equal(drain(got, sizeof got, &len), 1);
	svc_info(NULL, "after");
	assert_int_equal(drain(got, sizeof got, &len), 1);
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(lines_wait_for_a_quiet_pass, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
