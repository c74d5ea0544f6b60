#include "svc/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "svc/util.h"

static char service_name[64] = "svc";
static enum svc_log_level min_level = SVC_LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void svc_log_init(const char *service, enum svc_log_level min)
{
	snprintf(service_name, sizeof service_name, "%s", service);
	min_level = min;
}

int svc_log_level_parse(const char *s, enum svc_log_level *out)
{
	for (int i = 0; i < 4; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum svc_log_level)i;
			return 0;
		}
	}
	return -1;
}

void svc_log(enum svc_log_level level, const char *id, const char *fmt, ...)
{
	if (level < min_level)
		return;
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);

	char ts[40];
	svc_time_now_rfc3339(ts, sizeof ts);
	struct svc_buf line;
	svc_buf_init(&line, 4096);
	svc_buf_printf(&line, "{\"ts\":\"%s\",\"level\":\"%s\",\"service\":",
		       ts, level_names[level]);
	svc_buf_json_string(&line, service_name);
	if (id && *id) {
		svc_buf_append(&line, ",\"id\":", 6);
		svc_buf_json_string(&line, id);
	}
	svc_buf_append(&line, ",\"msg\":", 7);
	svc_buf_json_string(&line, msg);
	svc_buf_append(&line, "}\n", 2);
	/* One write per line keeps lines whole across threads. */
	if (line.data) {
		ssize_t w = write(STDOUT_FILENO, line.data, line.len);
		(void)w;
	}
	svc_buf_cleanup(&line);
}
