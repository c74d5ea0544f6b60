"""Chat with the built-in planner, through the gateway on the real stack:
tasks made, listed, completed, changed and deleted in plain language go
through task-service (the same rows and Kafka events as through REST, a
reminder that fires on time), conversations are kept per user, and every
route of ai-agent needs a user's token."""
import datetime
import json
import time
import uuid

import pytest

from conftest import (GATEWAY, auth, bearer, event_validators, eventually, kafka_events,
                      make_token, metric, new_user, psql, register, request, service_url)

AGENT = "ai-agent"


def chat(h, message, conv=None, tz=None, expect=200):
    body = {"message": message}
    if conv:
        body["conversation_id"] = conv
    if tz:
        body["time_zone"] = tz
    r = request("POST", GATEWAY + "/api/chat", body, h, timeout=60)
    assert r.status == expect, r.body
    return r.json()


def tasks_of(h, **query):
    q = "&".join(f"{k}={v}" for k, v in query.items())
    r = request("GET", GATEWAY + "/api/tasks?limit=200&" + q, None, h)
    assert r.status == 200, r.body
    return r.json()["items"]


def calls(answer):
    return [(c["name"], c["error"]["code"] if c["error"] else None) for c in answer["tool_calls"]]


def test_the_acceptance_conversation():
    """The issue's words: add with a due time in the user's zone, a
    priority and a reminder; show; complete it; complete 1."""
    acct = register()
    h = bearer(acct["access_token"])
    a = chat(h, "add call the dentist next tuesday at 10am, high priority, remind me an hour before",
             tz="America/New_York")
    assert calls(a) == [("add_task", None)], a
    assert a["tasks_changed"] is True
    assert uuid.UUID(a["conversation_id"]) and uuid.UUID(a["message_id"])
    task = a["tool_calls"][0]["result"]["task"]
    args = a["tool_calls"][0]["arguments"]
    assert task["title"] == "call the dentist" and task["priority"] == "high"
    assert task["remind_before_minutes"] == 60
    # Next Tuesday at 10:00 in New York, with the offset in force that day.
    due = datetime.datetime.fromisoformat(args["due_at"])
    assert (due.hour, due.minute, due.weekday()) == (10, 0, 1)
    assert due.utcoffset() in (datetime.timedelta(hours=-5), datetime.timedelta(hours=-4))
    today = datetime.datetime.now(due.tzinfo).date()
    assert 1 <= (due.date() - today).days <= 8
    assert datetime.datetime.fromisoformat(task["due_at"]) == due
    assert datetime.datetime.fromisoformat(task["remind_at"]) == due - datetime.timedelta(hours=1)
    assert "call the dentist" in a["reply"] and "high priority" in a["reply"]
    assert "reminder 1 hour before" in a["reply"] and "10:00" in a["reply"]
    conv = a["conversation_id"]

    shown = chat(h, "show my tasks", conv)
    assert calls(shown) == [("list_tasks", None)]
    assert "1. call the dentist" in shown["reply"]
    assert shown["tasks_changed"] is False

    done = chat(h, "complete it", conv)
    assert calls(done) == [("complete_task", None)]
    assert done["tool_calls"][0]["result"]["task"]["id"] == task["id"]
    assert "call the dentist" in done["reply"] and "done" in done["reply"]
    r = request("GET", GATEWAY + "/api/tasks/" + task["id"], None, h)
    assert r.json()["status"] == "completed"

    # "complete 1" after a list: the first task shown.
    chat(h, "add water the plants tomorrow", conv)
    listed = chat(h, "show my tasks", conv)
    assert "1. water the plants" in listed["reply"]
    one = chat(h, "complete 1", conv)
    assert calls(one) == [("complete_task", None)]
    assert one["tool_calls"][0]["result"]["task"]["title"] == "water the plants"
    assert tasks_of(h, status="pending") == []
    agent = service_url(AGENT)
    assert metric(agent, 'agent_tool_calls_total{tool="complete_task",result="ok"}') >= 2
    assert metric(agent, 'agent_turns_total{planner="builtin",outcome="ok"}') >= 6


def test_curl_style_turns_one_by_one():
    """The issue's curl: a JSON body as curl -d sends it (form-encoded by
    label), and each turn its own request with no conversation id: "complete
    1" and "complete it" still mean what the user's last turn showed."""
    h = auth(new_user())

    def say(message):
        r = request("POST", GATEWAY + "/api/chat", headers={
            **h, "Content-Type": "application/x-www-form-urlencoded"},
            raw=json.dumps({"message": message}).encode())
        assert r.status == 200, r.body
        return r.json()
    added = say("add call the dentist next tuesday at 10am, high priority, remind me an hour before")
    task = added["tool_calls"][0]["result"]["task"]
    assert task["priority"] == "high" and task["remind_before_minutes"] == 60
    assert "call the dentist" in say("show my tasks")["reply"]
    assert say("complete 1")["tool_calls"][0]["name"] == "complete_task"
    assert tasks_of(h, status="completed")[0]["id"] == task["id"]
    say("reopen it")
    assert say("complete it")["tool_calls"][0]["result"]["task"]["status"] == "completed"
    # Something else than a JSON object, labelled so: a clear 400.
    r = request("POST", GATEWAY + "/api/chat", headers={
        **h, "Content-Type": "application/x-www-form-urlencoded"}, raw=b"message=hi")
    assert r.status == 400, r.body


def test_list_complete_by_position_and_delete_by_title():
    h = auth(new_user())
    conv = chat(h, "add buy groceries tomorrow at 5pm #errands")["conversation_id"]
    chat(h, "add file the taxes on Dec 3 p1", conv)
    chat(h, "add call mom tonight", conv)
    shown = chat(h, "show my tasks", conv)
    titles = [t["title"] for t in shown["tool_calls"][0]["result"]["items"]]
    assert set(titles) == {"buy groceries", "file the taxes", "call mom"}
    second = titles[1]
    done = chat(h, "complete 2", conv)
    assert done["tool_calls"][0]["result"]["task"]["title"] == second
    gone = chat(h, "delete the groceries task", conv)
    assert calls(gone) == [("delete_task", None)]
    assert "buy groceries" in gone["reply"]
    left = {t["title"]: t["status"] for t in tasks_of(h)}
    assert set(left) == {"file the taxes", "call mom"}
    if second != "buy groceries":
        assert left[second] == "completed"


def test_an_ambiguous_title_gets_a_question_and_changes_nothing():
    h = auth(new_user())
    conv = chat(h, "add buy milk tomorrow")["conversation_id"]
    chat(h, "add buy milk for the party on friday", conv)
    before = tasks_of(h)
    q = chat(h, "complete the milk task", conv)
    assert calls(q) == [("complete_task", "conflict")]
    assert q["tasks_changed"] is False
    assert "Which one" in q["reply"] and "1." in q["reply"] and "2." in q["reply"]
    assert "buy milk for the party" in q["reply"]
    assert tasks_of(h) == before  # nothing changed, not even a version
    # The question's numbers are the next turn's list.
    pick = chat(h, "complete 2", conv)
    assert calls(pick) == [("complete_task", None)]
    picked = pick["tool_calls"][0]["result"]["task"]
    assert picked["status"] == "completed"
    assert sum(t["status"] == "completed" for t in tasks_of(h)) == 1


def test_another_users_tasks_and_conversations_are_unreachable():
    alice, bob = auth(new_user()), auth(new_user())
    a = chat(alice, "add renew the passport next week")
    task_id = a["tool_calls"][0]["result"]["task"]["id"]
    # By title: bob has no such task.
    b = chat(bob, "complete the passport task")
    assert calls(b) == [("complete_task", "not_found")]
    # Alice's conversation is a 404 for bob, on every route.
    conv = a["conversation_id"]
    assert chat(bob, "show my tasks", conv, expect=404)["error"]["code"] == "not_found"
    for method in ("GET", "DELETE"):
        r = request(method, GATEWAY + "/api/conversations/" + conv, None, bob)
        assert r.status == 404, r.body
    r = request("GET", GATEWAY + "/api/tasks/" + task_id, None, alice)
    assert r.json()["status"] == "pending"
    assert request("GET", GATEWAY + "/api/conversations/" + conv, None, alice).status == 200


def _snapshot(task):
    """A task's fields that do not depend on when or by whom it was made."""
    drop = {"id", "user_id", "created_at", "updated_at", "version"}
    return {k: v for k, v in task.items() if k not in drop}


def test_rows_and_events_are_the_same_as_through_rest():
    user = new_user()
    h = auth(user)
    a = chat(h, "add pay the rent on Dec 1 at 9am, high priority, #home, remind me 30 minutes before",
             tz="Europe/Berlin")
    via_chat = a["tool_calls"][0]["result"]["task"]
    args = a["tool_calls"][0]["arguments"]
    r = request("POST", GATEWAY + "/api/tasks", args, h)
    assert r.status == 201, r.body
    via_rest = r.json()
    assert _snapshot(via_chat) == _snapshot(via_rest)
    cols = ("title, description, status, priority, tags, due_at, remind_at, remind_before_minutes,"
            " rrule, time_zone, recur_from")
    rows = psql(f"SELECT {cols} FROM tasks.tasks WHERE id IN (:'p1', :'p2') ORDER BY created_at",
                via_chat["id"], via_rest["id"])
    assert len(rows) == 2 and rows[0] == rows[1]
    # Complete both, one each way: the same events on Kafka.
    chat(h, "complete the rent task", a["conversation_id"], expect=200)  # ambiguous: asks
    done = chat(h, "complete 1", a["conversation_id"])
    done_id = done["tool_calls"][0]["result"]["task"]["id"]
    other = via_rest["id"] if done_id == via_chat["id"] else via_chat["id"]
    assert request("POST", GATEWAY + f"/api/tasks/{other}/complete", None, h).status == 200
    validators = event_validators("task-created", "task-completed")

    def events():
        out = {}
        for e in kafka_events("task-created", "task-completed"):
            if e["key"] in (via_chat["id"], via_rest["id"]):
                out.setdefault(e["key"], []).append(e)
        return out if all(len(v) == 2 for v in out.values()) and len(out) == 2 else None
    got = eventually(events, timeout=30, interval=1)
    assert got, "the events of both tasks"
    for tid, evs in got.items():
        assert [e["topic"] for e in evs] == ["task-created", "task-completed"]
        for e in evs:
            validators[e["topic"]].validate(e["event"])
            assert e["event"]["data"]["user_id"] == user
    created = [_snapshot(got[t][0]["event"]["data"]["task"]) for t in (via_chat["id"], via_rest["id"])]
    assert created[0] == created[1]


def test_a_chat_made_task_reminds_on_time():
    user = new_user()
    h = auth(user)
    a = chat(h, "add stretch your legs in 1 minute, remind me")
    task = a["tool_calls"][0]["result"]["task"]
    assert task["remind_before_minutes"] == 0
    remind_at = datetime.datetime.fromisoformat(task["remind_at"])
    left = (remind_at - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    assert 30 < left <= 61, left

    def fired():
        return [e for e in kafka_events("reminder-due") if e["key"] == task["id"]]
    time.sleep(max(0, left - 1))
    got = eventually(fired, timeout=20, interval=0.5)
    assert len(got) == 1, got
    data = got[0]["event"]["data"]
    assert data["user_id"] == user and data["task"]["title"] == "stretch your legs"
    fired_at = datetime.datetime.fromisoformat(data["fired_at"].replace("Z", "+00:00"))
    late = (fired_at - remind_at).total_seconds()
    assert 0 <= late < 3.0, late


def test_the_turn_streams_as_server_sent_events_through_the_gateway():
    h = auth(new_user())
    conv = chat(h, "add book the flights tomorrow")["conversation_id"]
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", int(GATEWAY.rsplit(":", 1)[1]), timeout=30)
    c.request("POST", "/api/chat", json.dumps({"message": "complete it", "conversation_id": conv}),
              {**h, "Content-Type": "application/json", "Accept": "text/event-stream"})
    resp = c.getresponse()
    assert resp.status == 200
    assert resp.getheader("Content-Type").startswith("text/event-stream")
    assert resp.getheader("Cache-Control") in ("no-store", "no-cache")
    events, block = [], {}
    while True:
        line = resp.readline().decode()
        if not line:
            break
        line = line.rstrip("\n")
        if not line:
            events.append((block.get("event"), json.loads(block["data"])))
            block = {}
            continue
        name, _, value = line.partition(": ")
        block[name] = value
    c.close()
    names = [e[0] for e in events]
    assert names[:2] == ["tool_call", "tool_result"] and names[-1] == "done", names
    assert "delta" in names
    assert events[0][1] == {"name": "complete_task", "arguments": events[0][1]["arguments"]}
    assert events[1][1]["result"]["task"]["status"] == "completed"
    done = events[-1][1]
    assert done["conversation_id"] == conv and done["tasks_changed"] is True
    assert "".join(e[1]["text"] for e in events if e[0] == "delta") == done["reply"]


def test_conversations_are_listed_shown_in_pages_and_deleted():
    h = auth(new_user())
    names = ["alpha", "beta", "gamma"]
    convs = [chat(h, f"add water plant {n} tomorrow")["conversation_id"] for n in names]
    for i in range(3):
        chat(h, "show my tasks", convs[0])
    r = request("GET", GATEWAY + "/api/conversations?limit=2", None, h)
    assert r.status == 200, r.body
    page = r.json()
    assert [c["id"] for c in page["items"]] == [convs[0], convs[2]]  # newest activity first
    assert page["items"][0]["title"] == "add water plant alpha tomorrow"
    r = request("GET", GATEWAY + "/api/conversations?limit=2&cursor=" + page["next_cursor"], None, h)
    assert [c["id"] for c in r.json()["items"]] == [convs[1]]
    assert r.json()["next_cursor"] is None

    r = request("GET", GATEWAY + f"/api/conversations/{convs[0]}?limit=3", None, h)
    first = r.json()
    assert [m["role"] for m in first["messages"]] == ["user", "assistant", "user"]
    assert first["messages"][1]["tool_calls"][0]["name"] == "add_task"
    assert first["messages"][1]["tool_calls"][0]["result"]["task"]["title"] == "water plant alpha"
    r = request("GET", GATEWAY + f"/api/conversations/{convs[0]}?cursor="
                + first["next_cursor"], None, h)
    rest = r.json()["messages"]
    assert len(rest) == 5 and r.json()["next_cursor"] is None
    assert request("GET", GATEWAY + "/api/conversations?cursor=" + first["next_cursor"],
                   None, h).status == 400  # another query's cursor

    assert request("DELETE", GATEWAY + f"/api/conversations/{convs[1]}", None, h).status == 204
    assert request("GET", GATEWAY + f"/api/conversations/{convs[1]}", None, h).status == 404
    assert request("DELETE", GATEWAY + f"/api/conversations/{convs[1]}", None, h).status == 404
    assert psql("SELECT count(*) FROM agent.messages WHERE conversation_id = :'p1'",
                convs[1]) == [["0"]]
    # A malformed id is the same 404, and never reaches ai-agent.
    assert request("GET", GATEWAY + "/api/conversations/not-a-uuid", None, h).status == 404


def test_bad_bodies_get_clear_errors_and_change_nothing():
    h = auth(new_user())
    for body, field in (({"message": ""}, "message"), ({"message": "x" * 4001}, "message"),
                        ({"message": "hi", "time_zone": "Mars/Base"}, "time_zone"),
                        ({"message": "hi", "conversation_id": "nope"}, "conversation_id"),
                        ({"message": "hi", "extra": 1}, "extra"), ({}, "message")):
        r = request("POST", GATEWAY + "/api/chat", body, h)
        assert r.status == 400, (body, r.body)
        assert r.json()["error"]["field"] == field, r.body
    # Asking for a stream changes nothing about bad input: still a 400.
    r = request("POST", GATEWAY + "/api/chat", {"message": ""}, {**h, "Accept": "text/event-stream"})
    assert r.status == 400 and r.json()["error"]["field"] == "message", r.body
    r = request("POST", GATEWAY + "/api/chat", None, h, raw=b"message=hi")
    assert r.status in (400, 415)
    assert request("GET", GATEWAY + "/api/conversations", None, h).json()["items"] == []
    # An unknown conversation id.
    assert chat(h, "hi", str(uuid.uuid4()), expect=404)["error"]["code"] == "not_found"


def test_parse_previews_without_running():
    h = auth(new_user())
    r = request("POST", GATEWAY + "/api/chat/parse",
                {"text": "buy milk tomorrow at 5pm !!", "time_zone": "Asia/Tokyo"}, h)
    assert r.status == 200, r.body
    p = r.json()
    assert p["understood"] is True and p["tool"] == "add_task"
    assert p["arguments"]["title"] == "buy milk" and p["arguments"]["priority"] == "high"
    assert p["arguments"]["due_at"].endswith("T17:00:00+09:00")
    assert tasks_of(h) == []


ROUTES = [("POST", "/api/chat"), ("POST", "/api/chat/parse"), ("GET", "/api/conversations"),
          ("GET", "/api/conversations/" + str(uuid.uuid4())),
          ("DELETE", "/api/conversations/" + str(uuid.uuid4())), ("POST", "/api/mcp"),
          ("GET", "/api/mcp")]


@pytest.mark.parametrize("method,path", ROUTES)
def test_no_route_of_ai_agent_answers_without_a_users_token(method, path):
    body = {"message": "show my tasks", "text": "x"} if method == "POST" else None
    for base in (GATEWAY, service_url(AGENT)):
        for headers in ({}, {"Authorization": "Bearer nonsense"},
                        {"Authorization": "Bearer " + make_token("svc", typ="service")},
                        {"Authorization": "Bearer " + make_token(new_user(), ttl=-10)},
                        {"Authorization": "Bearer " + make_token(new_user(), key=b"k" * 40)}):
            r = request(method, base + path, body, headers)
            assert r.status == 401, (base, headers, r.status, r.body)
            assert r.json()["error"]["code"] == "unauthenticated"
