/* The agent schema: conversations (per user, with what the next turn
 * needs: the last list shown, the task last touched, the time zone) and
 * their messages, the assistant's with the tool calls it made and their
 * results. Every function runs on the caller's handle pg; the one that
 * writes several rows (a turn) begins and finishes its own transaction,
 * which holds no network I/O. Another user's conversation is the same
 * SVC_ENOTFOUND as a missing one. */
#ifndef AGT_AGENT_STORE_H
#define AGT_AGENT_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "svc/pg.h"
#include "svc/result.h"

#define AGT_TITLE_MAX 80 /* code points of a conversation's title */

enum svc_result agt_store_migrate(const char *conninfo, struct svc_err *err);

struct agt_conv {
	char id[37];
	char time_zone[65]; /* "" when none was given yet */
	cJSON *context;     /* {"listed": [{"id","title"}], "last": {"id","title"}|null} */
};
void agt_conv_cleanup(struct agt_conv *c);

/* The user's conversation id into *out (context: caller releases with
 * agt_conv_cleanup). SVC_ENOTFOUND when there is none of theirs. */
enum svc_result agt_store_conv_get(struct svc_pg *pg, const char *user, const char *id,
				   struct agt_conv *out, struct svc_err *err);

/* The user's conversation that moved last, if it moved in the last
 * max_age_s seconds, into *out (as agt_store_conv_get): what a new
 * conversation starts from, so that "complete 1" after "show my tasks"
 * works across separate requests (curl) and the user's time zone carries
 * over. SVC_ENOTFOUND when there is none. */
enum svc_result agt_store_conv_recent(struct svc_pg *pg, const char *user, long max_age_s,
				      struct agt_conv *out, struct svc_err *err);

/* The newest max messages of a conversation, oldest first, as a JSON array
 * of {"role","content"} (caller frees with cJSON_Delete). */
enum svc_result agt_store_history(struct svc_pg *pg, const char *conv_id, size_t max,
				  cJSON **out, struct svc_err *err);

/* One turn, written at once: the conversation (made when create, titled
 * from the message; else its time zone, context and updated_at moved on),
 * the user's message and the assistant's reply with its tool calls (JSON
 * text of an array). Fills the two messages' ids. */
struct agt_turn_rows {
	const char *user;
	const char *conv_id;
	bool create;
	const char *time_zone;
	const char *context; /* JSON text */
	const char *message;
	const char *reply;
	const char *tool_calls; /* JSON text */
	char user_msg_id[37];
	char reply_msg_id[37];
};
enum svc_result agt_store_save_turn(struct svc_pg *pg, struct agt_turn_rows *t,
				    struct svc_err *err);

/* A page of the user's conversations, newest activity first:
 * {"items": [{"id","title","created_at","updated_at"}], "next_cursor"}.
 * cursor (may be NULL) is a previous page's next_cursor; limit 1..200.
 * *out: JSON text, caller frees with free(). SVC_EINVAL naming "cursor"
 * for a cursor of another query. */
enum svc_result agt_store_conv_page(struct svc_pg *pg, const char *user, const char *cursor,
				    long limit, char **out, struct svc_err *err);

/* The user's conversation with a page of its messages, oldest first:
 * {"id","title","created_at","updated_at","messages": [{"id","role",
 * "content","tool_calls","created_at"}], "next_cursor"}. SVC_ENOTFOUND
 * when it is not theirs. */
enum svc_result agt_store_conv_show(struct svc_pg *pg, const char *user, const char *id,
				    const char *cursor, long limit, char **out,
				    struct svc_err *err);

/* Deletes the user's conversation and its messages. SVC_ENOTFOUND when
 * there is none of theirs. */
enum svc_result agt_store_conv_delete(struct svc_pg *pg, const char *user, const char *id,
				      struct svc_err *err);

#endif
