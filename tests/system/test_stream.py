"""GET /api/notifications/stream: notifications live as Server-Sent Events,
fed by Redis pub/sub. Notifications are PUBLISHed with redis-cli on
todo:notify:<user> exactly as notifier does; the resume test makes real ones
through notifier (reminder-due events on Kafka)."""
import itertools
import json
import os
import time
import uuid
from datetime import datetime, timezone

import pytest

from conftest import (GATEWAY, RUN, bearer, eventually, make_token, new_user, open_stream,
                      publish_event, publish_notification, request, stack)
from conftest import own_gateway

_ids = itertools.count(int(time.time()))


def notification(id=None, **fields):
    """A notification as notifier makes it (contract of issue 4)."""
    n = {"id": id if id is not None else next(_ids), "kind": "reminder",
         "title": "Water the plants", "body": "due at 18:00", "task_id": str(uuid.uuid4()),
         "event_id": str(uuid.uuid4()), "created_at": "2026-01-02T03:04:05.678Z",
         "read_at": None}
    n.update(fields)
    return n


def gateway_logs():
    """The stack gateway's log and its sidecar's, as text."""
    out = ""
    for name in ("api-gateway.log", "api-gateway-daprd.log"):
        with open(os.path.join(RUN, "logs", name), errors="replace") as f:
            out += f.read()
    return out


def test_a_notification_arrives_once_with_its_id_and_only_on_its_users_stream():
    user, other = new_user(), new_user()
    with open_stream(token=make_token(user)) as mine, \
            open_stream(token=make_token(other)) as theirs:
        assert mine.status == 200
        assert mine.headers["content-type"] == "text/event-stream"
        assert mine.headers["cache-control"] == "no-store"
        assert mine.headers["x-accel-buffering"] == "no"
        assert mine.headers["x-request-id"]
        assert mine.next_block() == {"comments": [], "retry": "3000"}

        n = notification()
        text, reached = publish_notification(user, n)
        assert reached >= 1  # the gateway's subscription
        assert mine.next_event() == {"comments": [], "id": str(n["id"]),
                                     "event": "notification", "data": text}

        # The same id again, an older one and a message that is no
        # notification never reach the client; the next one does.
        publish_notification(user, n)
        publish_notification(user, notification(id=n["id"] - 1))
        publish_notification(user, "not json")
        publish_notification(user, {"kind": "reminder"})
        later = notification()
        publish_notification(user, later)
        assert mine.next_event()["id"] == str(later["id"])

        # The other user's stream got none of that: its first is its own.
        own = notification()
        publish_notification(other, own)
        assert theirs.next_event()["id"] == str(own["id"])


@pytest.mark.parametrize("token", [None, "nonsense", "expired", "service", "forged"])
def test_a_missing_or_bad_token_gets_401_before_any_stream(token):
    user = new_user()
    tokens = {"expired": make_token(user, ttl=-10), "service": make_token(user, typ="service"),
              "forged": make_token(user, key=b"k" * 48)}
    token = tokens.get(token, token)
    for s in (open_stream(token=token),
              open_stream(query={"access_token": token} if token else None)):
        assert s.status == 401, s.body
        assert s.headers["content-type"] == "application/json"
        assert s.json()["error"]["code"] == "unauthenticated"


def test_a_bad_resume_point_gets_400_naming_it():
    token = make_token(new_user())
    s = open_stream(token=token, headers={"Last-Event-ID": "seven"})
    assert s.status == 400
    assert s.json()["error"]["field"] == "Last-Event-ID"
    s = open_stream(token=token, query={"last_event_id": "-1"})
    assert s.status == 400
    assert s.json()["error"]["field"] == "last_event_id"


def test_the_access_token_query_works_and_never_reaches_the_logs():
    user = new_user()
    token = make_token(user)
    rid = "sse-" + uuid.uuid4().hex[:12]
    with open_stream(query={"access_token": token}, headers={"X-Request-Id": rid}) as s:
        assert s.status == 200
        n = notification()
        publish_notification(user, n)
        assert s.next_event()["id"] == str(n["id"])
    # Resuming sends the token on to notifier (in a header): whatever
    # notifier answers, the token stays out of the logs too.
    open_stream(query={"access_token": token, "last_event_id": "0"}).close()
    # The access log line comes when the stream ends.
    assert eventually(lambda: rid in gateway_logs(), timeout=10)
    logs = gateway_logs()
    assert "GET /api/notifications/stream 200" in logs
    assert token not in logs
    assert token.rsplit(".", 1)[1] not in logs  # not even its signature
    assert "access_token" not in logs


def test_heartbeats_come_every_sse_heartbeat_ms():
    with own_gateway(SSE_HEARTBEAT_MS="300") as (url, *_):
        with open_stream(url, token=make_token(new_user())) as s:
            assert s.status == 200
            t0 = time.time()
            beats = 0
            while beats < 3:
                beats += "heartbeat" in s.next_block(timeout=3)["comments"]
            assert time.time() - t0 < 3


def _until_the_end(stream):
    """Reads blocks until the stream ends; raises TimeoutError if it does
    not within 10 s."""
    deadline = time.time() + 10
    with pytest.raises(EOFError):
        while True:
            stream.next_block(timeout=max(0.05, deadline - time.time()))


def test_a_stream_ends_when_its_token_expires():
    with own_gateway(SSE_HEARTBEAT_MS="300") as (url, *_):
        with open_stream(url, token=make_token(new_user(), ttl=2)) as s:
            assert s.status == 200
            t0 = time.time()
            _until_the_end(s)
            assert 0.5 <= time.time() - t0 < 5  # exp is in whole seconds


def test_a_stopping_gateway_ends_its_streams_at_once():
    with own_gateway() as (url, *_):
        s = open_stream(url, token=make_token(new_user()))
        assert s.status == 200
        t0 = time.time()
    # The drain did not wait out its grace (10 s) for the open stream.
    assert time.time() - t0 < 5
    _until_the_end(s)
    s.close()


def test_streams_on_two_gateways_both_get_their_users_notification():
    user = new_user()
    token = make_token(user)
    with own_gateway() as (url, *_):
        with open_stream(GATEWAY, token=token) as a, open_stream(url, token=token) as b:
            assert a.status == b.status == 200
            n = notification()
            text, reached = publish_notification(user, n)
            assert reached >= 2  # one subscription per gateway process
            assert a.next_event()["data"] == text
            assert b.next_event()["data"] == text


def test_a_stream_survives_a_redis_restart_and_gets_later_notifications():
    user = new_user()
    with open_stream(token=make_token(user)) as s:
        first = notification()
        publish_notification(user, first)
        assert s.next_event()["id"] == str(first["id"])
        stack("stop", "redis")
        try:
            assert eventually(lambda: request("GET", GATEWAY + "/readyz").status == 503, timeout=30)
        finally:
            stack("start", "redis")
        # The gateway resubscribes by itself (backoff up to 5 s).
        assert eventually(lambda: request("GET", GATEWAY + "/readyz").status == 200, timeout=30)
        later = notification()
        _, reached = publish_notification(user, later)
        assert reached >= 1
        assert s.next_event()["id"] == str(later["id"])


# ---- resume from notifier --------------------------------------------------

def _now():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _remind(token):
    """A task of the token's user, and its reminder-due event published the
    way reminder-service does; notifier makes a notification of it."""
    r = request("POST", GATEWAY + "/api/tasks", {"title": "resume " + uuid.uuid4().hex[:6]},
                bearer(token))
    assert r.status == 201, r.body
    task = r.json()
    now = _now()
    event_id = str(uuid.uuid4())
    event = {"specversion": "1.0", "id": event_id, "type": "reminder-due",
             "source": "reminder-service", "subject": task["id"], "time": now,
             "datacontenttype": "application/json",
             "data": {"event_id": event_id, "event_type": "reminder-due", "schema_version": 1,
                      "occurred_at": now, "user_id": task["user_id"], "task": task,
                      "remind_at": now, "fired_at": now}}
    publish_event("reminder-due", event, key=task["id"])
    return task["id"]


def test_a_fresh_stream_gets_what_was_stored_while_redis_was_down():
    """A stream opened without Last-Event-ID starts from the newest stored
    notification, so it has a position to be caught up from after the
    subscription broke: what notifier stored meanwhile (its live push
    failed) reaches it once Redis is back, and nothing older does."""
    token = make_token(new_user())

    def inbox(n):
        r = request("GET", GATEWAY + "/api/notifications?limit=10", headers=bearer(token))
        items = r.json()["items"] if r.status == 200 else []
        return items if len(items) == n else None
    _remind(token)
    assert eventually(lambda: inbox(1), timeout=30)  # before the stream: not for it
    with open_stream(token=token) as s:
        stack("stop", "redis")
        try:
            assert eventually(lambda: request("GET", GATEWAY + "/readyz").status == 503, timeout=30)
            during = _remind(token)
            assert eventually(lambda: inbox(2), timeout=30)
        finally:
            stack("start", "redis")
        caught_up = s.next_event(timeout=40)
        assert json.loads(caught_up["data"])["task_id"] == during
        later = _remind(token)
        live = s.next_event(timeout=30)
        assert json.loads(live["data"])["task_id"] == later
        assert int(live["id"]) > int(caught_up["id"])


def test_a_resumed_stream_replays_what_it_missed_from_notifier_then_goes_live():
    token = make_token(new_user())
    r = request("GET", GATEWAY + "/api/notifications?limit=1", headers=bearer(token))
    assert r.status == 200, r.body  # notifier's inbox, through the gateway

    with open_stream(token=token) as live:
        tasks = {_remind(token) for _ in range(3)}
        seen = [live.next_event(timeout=30) for _ in range(3)]
    ids = [int(e["id"]) for e in seen]
    assert ids == sorted(set(ids))
    assert {json.loads(e["data"])["task_id"] for e in seen} == tasks

    # Two more while no stream is open.
    for _ in range(2):
        _remind(token)

    def missed():
        r = request("GET", f"{GATEWAY}/api/notifications?after_id={ids[-1]}&limit=200",
                    headers=bearer(token))
        items = r.json()["items"] if r.status == 200 else []
        return items if len(items) == 2 else None
    items = eventually(missed, timeout=30)
    assert items

    # Resumed after the first: the rest, oldest first and each once, then live.
    with open_stream(token=token, headers={"Last-Event-ID": str(ids[0])}) as resumed:
        replayed = [resumed.next_event() for _ in range(4)]
        assert [int(e["id"]) for e in replayed] == ids[1:] + [i["id"] for i in items]
        assert [json.loads(e["data"]) for e in replayed[2:]] == items
        new_task = _remind(token)
        newest = resumed.next_event(timeout=30)
        assert int(newest["id"]) > items[-1]["id"]
        assert json.loads(newest["data"])["task_id"] == new_task

    # The same through the query, as EventSource's first connection does.
    with open_stream(query={"access_token": token, "last_event_id": str(items[0]["id"])}) as q:
        assert [int(q.next_event()["id"]) for _ in range(2)] == [items[1]["id"],
                                                                 int(newest["id"])]
