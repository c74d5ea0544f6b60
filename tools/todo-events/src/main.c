/* todo-events: reads the suite's topics straight from Kafka, as an external
 * consumer would, and prints each event as one JSON line:
 *   {"topic":..,"partition":..,"offset":..,"timestamp":..,"key":..,"event":{CloudEvent}}
 * (timestamp: the record's time in Kafka, milliseconds since 1970, or -1)
 * It also creates the suite's topics (--create-topics), for the stack
 * scripts. */
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <librdkafka/rdkafka.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: todo-events [options] TOPIC...\n"
		"  -b, --brokers LIST     bootstrap brokers (env TODO_KAFKA_BROKERS, default 127.0.0.1:9092)\n"
		"  -B, --from-beginning   start at the oldest message (default: only new ones)\n"
		"  -e, --until-end        exit once every partition is read to its end\n"
		"  -i, --idle SECONDS     exit after SECONDS without a message\n"
		"  -n, --max N            exit after N messages\n"
		"  -c, --create-topics    create TOPIC... (and nothing else) if missing\n"
		"  -p, --partitions N     partitions for --create-topics (default 3)\n");
}

static rd_kafka_t *new_client(rd_kafka_type_t type, const char *brokers)
{
	char err[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, sizeof err) ||
	    rd_kafka_conf_set(conf, "client.id", "todo-events", err, sizeof err) ||
	    rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof err) ||
	    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err)) {
		fprintf(stderr, "todo-events: %s\n", err);
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	if (type == RD_KAFKA_CONSUMER &&
	    rd_kafka_conf_set(conf, "group.id", "todo-events", err, sizeof err)) {
		fprintf(stderr, "todo-events: %s\n", err);
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof err);
	if (!rk)
		fprintf(stderr, "todo-events: %s\n", err);
	return rk;
}

static int create_topics(const char *brokers, char **topics, int n, int partitions)
{
	rd_kafka_t *rk = new_client(RD_KAFKA_PRODUCER, brokers);
	if (!rk)
		return 1;
	rd_kafka_NewTopic_t **nt = calloc((size_t)n, sizeof *nt);
	char err[512];
	for (int i = 0; i < n; i++) {
		nt[i] = rd_kafka_NewTopic_new(topics[i], partitions, 1, err, sizeof err);
		if (!nt[i]) {
			fprintf(stderr, "todo-events: %s: %s\n", topics[i], err);
			return 1;
		}
	}
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_AdminOptions_t *opt = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
	rd_kafka_AdminOptions_set_operation_timeout(opt, 15000, err, sizeof err);
	rd_kafka_AdminOptions_set_request_timeout(opt, 20000, err, sizeof err);
	rd_kafka_CreateTopics(rk, nt, (size_t)n, opt, q);
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
	int rc = 0;
	if (!ev) {
		fprintf(stderr, "todo-events: no answer from %s\n", brokers);
		rc = 1;
	} else if (rd_kafka_event_error(ev)) {
		fprintf(stderr, "todo-events: %s\n", rd_kafka_event_error_string(ev));
		rc = 1;
	} else {
		size_t cnt;
		const rd_kafka_topic_result_t **res =
			rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
		for (size_t i = 0; i < cnt; i++) {
			rd_kafka_resp_err_t e = rd_kafka_topic_result_error(res[i]);
			if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
				fprintf(stderr, "todo-events: %s: %s\n", rd_kafka_topic_result_name(res[i]),
					rd_kafka_topic_result_error_string(res[i]));
				rc = 1;
			}
		}
	}
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_AdminOptions_destroy(opt);
	rd_kafka_queue_destroy(q);
	rd_kafka_NewTopic_destroy_array(nt, (size_t)n);
	free(nt);
	rd_kafka_destroy(rk);
	return rc;
}

static void print_message(const rd_kafka_message_t *m)
{
	cJSON *line = cJSON_CreateObject();
	cJSON_AddStringToObject(line, "topic", rd_kafka_topic_name(m->rkt));
	cJSON_AddNumberToObject(line, "partition", m->partition);
	cJSON_AddNumberToObject(line, "offset", (double)m->offset);
	cJSON_AddNumberToObject(line, "timestamp", (double)rd_kafka_message_timestamp(m, NULL));
	if (m->key) {
		char *k = strndup(m->key, m->key_len);
		cJSON_AddStringToObject(line, "key", k ? k : "");
		free(k);
	} else {
		cJSON_AddNullToObject(line, "key");
	}
	cJSON *ev = cJSON_ParseWithLength(m->payload, m->len);
	if (ev) {
		cJSON_AddItemToObject(line, "event", ev); /* line owns ev */
	} else {
		char *raw = strndup(m->payload ? m->payload : "", m->len);
		cJSON_AddStringToObject(line, "raw", raw ? raw : "");
		free(raw);
	}
	char *s = cJSON_PrintUnformatted(line);
	if (s) {
		puts(s);
		fflush(stdout);
	}
	free(s);
	cJSON_Delete(line);
}

static int consume(const char *brokers, char **topics, int n, bool from_beginning,
		   bool until_end, long idle_s, long max)
{
	rd_kafka_t *rk = new_client(RD_KAFKA_CONSUMER, brokers);
	if (!rk)
		return 1;
	rd_kafka_poll_set_consumer(rk);
	/* Assign every partition ourselves: no group rebalancing, no commits. */
	rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(16);
	for (int i = 0; i < n; i++) {
		rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topics[i], NULL);
		const struct rd_kafka_metadata *md = NULL;
		rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, t, &md, 10000);
		if (e || md->topic_cnt != 1 || md->topics[0].err) {
			fprintf(stderr, "todo-events: no topic %s: %s\n", topics[i],
				rd_kafka_err2str(e ? e : md->topics[0].err));
			if (md)
				rd_kafka_metadata_destroy(md);
			rd_kafka_topic_destroy(t);
			rd_kafka_topic_partition_list_destroy(parts);
			rd_kafka_destroy(rk);
			return 1;
		}
		for (int p = 0; p < md->topics[0].partition_cnt; p++)
			rd_kafka_topic_partition_list_add(parts, topics[i], md->topics[0].partitions[p].id)
				->offset = from_beginning ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END;
		rd_kafka_metadata_destroy(md);
		rd_kafka_topic_destroy(t);
	}
	int remaining = parts->cnt;
	rd_kafka_assign(rk, parts);
	rd_kafka_topic_partition_list_destroy(parts);

	long count = 0;
	time_t last = time(NULL);
	int rc = 0;
	while (!stop) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
		if (!m) {
			if (idle_s > 0 && time(NULL) - last >= idle_s)
				break;
			continue;
		}
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			rd_kafka_message_destroy(m);
			if (until_end && --remaining <= 0)
				break;
			continue;
		}
		if (m->err) {
			fprintf(stderr, "todo-events: %s\n", rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
			if (m->err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
				rc = 1;
				break;
			}
			continue;
		}
		last = time(NULL);
		print_message(m);
		rd_kafka_message_destroy(m);
		if (max > 0 && ++count >= max)
			break;
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return rc;
}

int main(int argc, char **argv)
{
	const char *brokers = getenv("TODO_KAFKA_BROKERS");
	if (!brokers || !*brokers)
		brokers = "127.0.0.1:9092";
	bool from_beginning = false, until_end = false, create = false;
	long idle = 0, max = 0;
	int partitions = 3;
	static const struct option opts[] = {
		{"brokers", required_argument, NULL, 'b'},
		{"from-beginning", no_argument, NULL, 'B'},
		{"until-end", no_argument, NULL, 'e'},
		{"idle", required_argument, NULL, 'i'},
		{"max", required_argument, NULL, 'n'},
		{"create-topics", no_argument, NULL, 'c'},
		{"partitions", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "b:Bei:n:cp:h", opts, NULL)) != -1) {
		switch (c) {
		case 'b': brokers = optarg; break;
		case 'B': from_beginning = true; break;
		case 'e': until_end = true; break;
		case 'i': idle = strtol(optarg, NULL, 10); break;
		case 'n': max = strtol(optarg, NULL, 10); break;
		case 'c': create = true; break;
		case 'p': partitions = (int)strtol(optarg, NULL, 10); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc || partitions < 1) {
		usage(stderr);
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (create)
		return create_topics(brokers, argv + optind, argc - optind, partitions);
	return consume(brokers, argv + optind, argc - optind, from_beginning, until_end, idle, max);
}
