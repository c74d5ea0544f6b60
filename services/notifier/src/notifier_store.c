#include "notifier_store.h"

#include <stdlib.h>

#include "svc/pg.h"

static const struct svc_migration migrations[] = {
	{1, "processed events",
	 "CREATE TABLE notify.processed_events ("
	 "  event_id text PRIMARY KEY,"
	 "  topic text NOT NULL,"
	 "  user_id text,"
	 "  subject text,"
	 "  received_at timestamptz NOT NULL DEFAULT now()"
	 ");"},
};

enum svc_result ntf_store_migrate(const char *conninfo, struct svc_err *err)
{
	return svc_pg_migrate_at_start(conninfo, "notify", migrations,
				       sizeof migrations / sizeof migrations[0], 60000, err);
}

enum svc_result ntf_store_mark_event(const char *conninfo, const char *event_id,
				     const char *topic, const char *user_id,
				     const char *subject, bool *first,
				     struct svc_err *err)
{
	*first = false;
	struct svc_pg *pg = svc_pg_thread(conninfo);
	if (!pg)
		return svc_err_set(err, SVC_ENOMEM, NULL, "out of memory");
	const char *p[] = {event_id, topic, user_id, subject};
	PGresult *res = NULL;
	enum svc_result r = svc_pg_query(pg,
					 "INSERT INTO notify.processed_events"
					 " (event_id, topic, user_id, subject) VALUES ($1, $2, $3, $4)"
					 " ON CONFLICT (event_id) DO NOTHING",
					 4, p, &res, err);
	if (r == SVC_OK) {
		*first = atoi(PQcmdTuples(res)) == 1;
		PQclear(res);
	}
	return r;
}
