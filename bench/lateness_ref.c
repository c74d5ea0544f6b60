/* bench-lateness-ref: the reference for reminder lateness, measured in the
 * same run as the service. A plain thread sleeps until each deadline
 * (clock_nanosleep on CLOCK_REALTIME, as absolute times) and, on waking,
 * produces one record straight to Kafka with librdkafka. So:
 *   woke - deadline              what a bare timer on this machine costs
 *   record timestamp - deadline  plus a raw Kafka produce (read back with
 *                                todo-events)
 * The deadlines are spread evenly like the bench's reminders.
 *
 *   bench-lateness-ref BROKERS TOPIC COUNT START_MS SPREAD_MS
 *
 * Prints one JSON line per deadline: {"deadline_ms", "woke_ms"}; the record
 * carries the same JSON. Exits 0 when every record was delivered. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int failed;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	(void)rk;
	(void)opaque;
	if (m->err) {
		fprintf(stderr, "bench-lateness-ref: delivery failed: %s\n", rd_kafka_err2str(m->err));
		failed++;
	}
}

static int parse_ll(const char *s, long long *out)
{
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	long long count, start, spread;
	if (argc != 6 || parse_ll(argv[3], &count) || parse_ll(argv[4], &start) ||
	    parse_ll(argv[5], &spread) || count < 1 || count > 100000 || spread < 0) {
		fprintf(stderr, "usage: bench-lateness-ref BROKERS TOPIC COUNT START_MS SPREAD_MS\n");
		return 2;
	}
	char err[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	/* No batching delay: each record goes out when produced, as the
	 * sidecar's publish does. */
	if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], err, sizeof err) ||
	    rd_kafka_conf_set(conf, "linger.ms", "0", err, sizeof err) ||
	    rd_kafka_conf_set(conf, "client.id", "bench-lateness-ref", err, sizeof err)) {
		fprintf(stderr, "bench-lateness-ref: %s\n", err);
		rd_kafka_conf_destroy(conf);
		return 1;
	}
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
	if (!rk) {
		fprintf(stderr, "bench-lateness-ref: %s\n", err);
		return 1;
	}
	for (long long i = 0; i < count; i++) {
		long long deadline = start + (count > 1 ? i * spread / (count - 1) : 0);
		struct timespec at = {(time_t)(deadline / 1000), (long)(deadline % 1000) * 1000000L};
		while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &at, NULL) == EINTR)
			;
		long long woke = now_ms();
		char line[128];
		int n = snprintf(line, sizeof line, "{\"deadline_ms\":%lld,\"woke_ms\":%lld}",
				 deadline, woke);
		rd_kafka_resp_err_t e = rd_kafka_producev(
			rk, RD_KAFKA_V_TOPIC(argv[2]), RD_KAFKA_V_VALUE(line, (size_t)n),
			RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
		if (e) {
			fprintf(stderr, "bench-lateness-ref: produce: %s\n", rd_kafka_err2str(e));
			failed++;
		}
		rd_kafka_poll(rk, 0);
		puts(line);
	}
	if (rd_kafka_flush(rk, 30000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
		fprintf(stderr, "bench-lateness-ref: records left undelivered\n");
		failed++;
	}
	rd_kafka_destroy(rk);
	return failed ? 1 : 0;
}
