"""The whole event-driven path, as a user meets it: a real account, a task
with a reminder a few seconds ahead, reminder-service firing it, notifier
storing it once, and the gateway's live stream delivering it once; and a
recurring task whose next occurrence is announced the same way."""
import datetime
import json
import os
import time

from conftest import (GATEWAY, bearer, eventually, open_stream, register, request, served,
                      stack)

UTC = datetime.timezone.utc


def iso(d):
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}Z"


def inbox(token):
    r = request("GET", GATEWAY + "/api/notifications?limit=200", headers=bearer(token))
    assert r.status == 200, r.body
    return r.json()["items"]


def create(token, **fields):
    r = request("POST", GATEWAY + "/api/tasks", fields, bearer(token))
    assert r.status == 201, r.body
    return r.json()


def events_until(stream, seconds):
    """Every notification the stream brings within seconds."""
    got, deadline = [], time.time() + seconds
    while time.time() < deadline:
        try:
            got.append(stream.next_event(timeout=max(0.1, deadline - time.time())))
        except TimeoutError:
            break
    return got


def test_a_reminder_reaches_the_stream_and_the_inbox_once_on_time():
    token = register()["access_token"]
    with open_stream(token=token, timeout=30) as live:
        assert live.status == 200
        at = datetime.datetime.now(UTC) + datetime.timedelta(seconds=3)
        task = create(token, title="Call the dentist", remind_at=iso(at))
        first = live.next_event(timeout=15)
        arrived = datetime.datetime.now(UTC)
        note = json.loads(first["data"])
        assert note["kind"] == "reminder" and note["task_id"] == task["id"]
        assert "Call the dentist" in note["title"]
        assert first["id"] == str(note["id"])
        # Not early, and within a few seconds of its time (bench measures
        # the real lateness).
        assert at - datetime.timedelta(milliseconds=50) <= arrived <= at + datetime.timedelta(seconds=5)
        # Nothing more comes for it.
        assert events_until(live, 4) == []
    mine = [n for n in inbox(token) if n["task_id"] == task["id"]]
    assert len(mine) == 1 and mine[0]["id"] == note["id"] and mine[0]["read_at"] is None


def test_with_two_reminder_services_each_reminder_arrives_once():
    token = register()["access_token"]
    stack("start", "reminder-service-2")
    try:
        with open_stream(token=token, timeout=30) as live:
            at = datetime.datetime.now(UTC) + datetime.timedelta(seconds=4)
            tasks = {create(token, title=f"twice? {i}", remind_at=iso(at))["id"] for i in range(8)}
            got = events_until(live, 12)
        seen = [json.loads(e["data"])["task_id"] for e in got]
        assert sorted(seen) == sorted(tasks), seen
        # Both replicas were ticking all along.
        for base in (os.environ["REMINDER_SERVICE_URL"], os.environ["REMINDER_SERVICE_2_URL"]):
            assert eventually(lambda: served(base, "POST", "/reminder-cron") >= 5, timeout=15), base
    finally:
        stack("stop", "reminder-service-2-daprd")
        stack("stop", "reminder-service-2")
    per_task = {}
    for n in inbox(token):
        per_task[n["task_id"]] = per_task.get(n["task_id"], 0) + 1
    assert per_task == {t: 1 for t in tasks}


def test_completed_tasks_are_not_reminded_and_moved_ones_at_their_new_time():
    token = register()["access_token"]
    now = datetime.datetime.now(UTC)
    done = create(token, title="already done", remind_at=iso(now + datetime.timedelta(seconds=3)))
    assert request("POST", GATEWAY + f"/api/tasks/{done['id']}/complete", None,
                   bearer(token)).status == 200
    due = now + datetime.timedelta(seconds=60)
    moved = create(token, title="moved", due_at=iso(due), remind_before_minutes=0)
    # Bring the due date (and the reminder with it) forward to 4 s from now.
    new_due = datetime.datetime.now(UTC) + datetime.timedelta(seconds=4)
    r = request("PATCH", GATEWAY + f"/api/tasks/{moved['id']}", {"due_at": iso(new_due)},
                bearer(token))
    assert r.status == 200, r.body
    with open_stream(token=token, timeout=30) as live:
        got = events_until(live, 9)
    notes = [json.loads(e["data"]) for e in got]
    assert [n["task_id"] for n in notes] == [moved["id"]]
    assert all(n["task_id"] != done["id"] for n in inbox(token))


def test_a_new_occurrence_is_announced_once():
    token = register()["access_token"]
    with open_stream(token=token, timeout=30) as live:
        first = create(token, title="Weekly review", due_at="2027-01-04T16:00:00Z",
                       rrule="FREQ=WEEKLY")
        assert request("POST", GATEWAY + f"/api/tasks/{first['id']}/complete", None,
                       bearer(token)).status == 200
        got = events_until(live, 8)
    notes = [json.loads(e["data"]) for e in got]
    assert [n["kind"] for n in notes] == ["recurrence"], notes
    occurrence = eventually(lambda: [t for t in request(
        "GET", GATEWAY + "/api/tasks?status=pending", None, bearer(token)).json()["items"]
        if t["series_id"] == first["id"]])
    assert notes[0]["task_id"] == occurrence[0]["id"]
    assert occurrence[0]["due_at"].startswith("2027-01-11T16:00:00")
