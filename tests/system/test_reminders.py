"""Reminders against the real stack: tasks made through the gateway,
reminder-due read straight from Kafka. A reminder fires once, on time (not
early, well under the bound), never for a task completed or deleted before
its time, at the new time when moved, at once when already past, once with
two replicas ticking, and every reminder-due event matches its contract."""
import datetime
import os
import subprocess
import time
import urllib.error

from conftest import (BIN, GATEWAY, auth, derived_event_id, event_validators, eventually,
                      free_port, kafka_events, metric, new_user, request, stack,
                      stack_service_env)

BOUND_S = 3.0  # how late a reminder may be here (the goal is well under a second)


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def rfc3339(t):
    return t.isoformat(timespec="milliseconds")


def parse(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))


def to_ms(t):
    """t as the API keeps it: whole milliseconds (rfc3339 drops the rest)."""
    return t.replace(microsecond=t.microsecond // 1000 * 1000)


def ms(t):
    return round(to_ms(t).timestamp() * 1000)


def create(h, **fields):
    r = request("POST", GATEWAY + "/api/tasks", {"title": "remind me", **fields}, h)
    assert r.status == 201, r.body
    return r.json()


def patch(h, task, body):
    r = request("PATCH", GATEWAY + "/api/tasks/" + task["id"], body, h)
    assert r.status == 200, r.body
    return r.json()


def due_events(*task_ids):
    """reminder-due events on Kafka for these tasks, by task id."""
    out = {tid: [] for tid in task_ids}
    for e in kafka_events("reminder-due"):
        if e["key"] in out:
            out[e["key"]].append(e)
    return out


def wait_until(t):
    left = (t - now()).total_seconds()
    if left > 0:
        time.sleep(left)


def assert_on_time(e, remind_at):
    """One reminder-due record: for remind_at, published not before it and
    within the bound, both by fired_at and by the Kafka record's time."""
    data = e["event"]["data"]
    assert parse(data["remind_at"]) == to_ms(remind_at)
    late = (parse(data["fired_at"]) - parse(data["remind_at"])).total_seconds()
    assert 0 <= late < BOUND_S, late
    kafka_late = e["timestamp"] / 1000 - parse(data["remind_at"]).timestamp()
    assert -0.001 <= kafka_late < BOUND_S, kafka_late


def test_a_reminder_fires_once_close_to_its_time():
    user = new_user()
    h = auth(user)
    at = now() + datetime.timedelta(seconds=4)
    task = create(h, remind_at=rfc3339(at))
    assert parse(task["remind_at"]) == to_ms(at)
    wait_until(at)
    got = eventually(lambda: due_events(task["id"])[task["id"]], timeout=15, interval=0.5)
    assert got, "no reminder-due event"
    # Long enough for a second firing (a later tick, a retry) to show up.
    time.sleep(3)
    events = due_events(task["id"])[task["id"]]
    assert len(events) == 1, [e["event"]["data"]["fired_at"] for e in events]
    e = events[0]
    assert_on_time(e, at)
    ev = e["event"]
    assert ev["type"] == "reminder-due" and ev["source"] == "reminder-service"
    assert ev["subject"] == task["id"]
    assert ev["id"] == ev["data"]["event_id"] == derived_event_id(
        f"reminder:{task['id']}:{ms(parse(ev['data']['remind_at']))}")
    assert ev["data"]["user_id"] == user
    assert ev["data"]["task"]["id"] == task["id"]
    assert ev["data"]["task"]["title"] == "remind me"


def test_completed_or_deleted_before_its_time_never_fires():
    h = auth(new_user())
    at = now() + datetime.timedelta(seconds=4)
    done = create(h, remind_at=rfc3339(at))
    gone = create(h, remind_at=rfc3339(at))
    control = create(h, remind_at=rfc3339(at))
    r = request("POST", GATEWAY + f"/api/tasks/{done['id']}/complete", None, h)
    assert r.status == 200, r.body
    assert request("DELETE", GATEWAY + "/api/tasks/" + gone["id"], None, h).status == 204
    wait_until(at)
    # The control task proves reminders were firing at that moment.
    assert eventually(lambda: due_events(control["id"])[control["id"]], timeout=15,
                      interval=0.5), "the control reminder did not fire"
    time.sleep(2)
    events = due_events(done["id"], gone["id"], control["id"])
    assert events[done["id"]] == [], "fired for a completed task"
    assert events[gone["id"]] == [], "fired for a deleted task"
    assert len(events[control["id"]]) == 1


def test_moving_the_due_date_or_remind_at_moves_the_reminder():
    h = auth(new_user())
    base = now()
    first = base + datetime.timedelta(seconds=4)
    second = base + datetime.timedelta(seconds=9)
    # A reminder one minute before the due date, then the due date moves.
    by_due = create(h, due_at=rfc3339(first + datetime.timedelta(minutes=1)),
                    remind_before_minutes=1)
    assert parse(by_due["remind_at"]) == to_ms(first)
    by_at = create(h, remind_at=rfc3339(first))
    moved = patch(h, by_due, {"due_at": rfc3339(second + datetime.timedelta(minutes=1))})
    assert parse(moved["remind_at"]) == to_ms(second)
    patch(h, by_at, {"remind_at": rfc3339(second)})

    # Past the old time: nothing.
    wait_until(first + datetime.timedelta(seconds=2))
    events = due_events(by_due["id"], by_at["id"])
    assert events == {by_due["id"]: [], by_at["id"]: []}, "fired at the old time"
    # At the new time: once each.
    wait_until(second)
    got = eventually(lambda: all(due_events(by_due["id"], by_at["id"]).values()), timeout=15,
                     interval=0.5)
    assert got, "did not fire at the new time"
    time.sleep(2)
    events = due_events(by_due["id"], by_at["id"])
    for tid in (by_due["id"], by_at["id"]):
        assert len(events[tid]) == 1, events[tid]
        assert_on_time(events[tid][0], second)


def test_a_reminder_already_past_fires_at_once():
    h = auth(new_user())
    created = now()
    at = created - datetime.timedelta(hours=1)
    task = create(h, remind_at=rfc3339(at))
    got = eventually(lambda: due_events(task["id"])[task["id"]], timeout=15, interval=0.25)
    assert got, "a past reminder did not fire"
    data = got[0]["event"]["data"]
    assert parse(data["remind_at"]) == to_ms(at)
    assert (parse(data["fired_at"]) - created).total_seconds() < BOUND_S
    time.sleep(2)
    assert len(due_events(task["id"])[task["id"]]) == 1


def test_two_replicas_fire_a_batch_once_each():
    stack("start", "reminder-service-2")
    try:
        r2 = os.environ["REMINDER_SERVICE_2_URL"]
        assert request("GET", r2 + "/readyz").json()["status"] == "ready"
        h = auth(new_user())
        base = now() + datetime.timedelta(seconds=4)
        tasks = []
        for i in range(40):
            at = base + datetime.timedelta(milliseconds=50 * i)
            tasks.append((create(h, title=f"batch {i}", remind_at=rfc3339(at)), at))
        ids = [t["id"] for t, _ in tasks]
        wait_until(base + datetime.timedelta(seconds=2))
        got = eventually(lambda: all(due_events(*ids).values()), timeout=20, interval=0.5)
        assert got, "some reminders did not fire"
        time.sleep(3)
        events = due_events(*ids)
        for task, at in tasks:
            assert len(events[task["id"]]) == 1, (task["title"], len(events[task["id"]]))
            assert_on_time(events[task["id"]][0], at)
        # The second replica was there, ticking and competing for claims.
        metrics = request("GET", r2 + "/metrics").body.decode()
        assert 'binding_events_total{binding="reminder-cron",result="ok"}' in metrics
    finally:
        stack("stop", "reminder-service-2-daprd")
        stack("stop", "reminder-service-2")


def redis(*args):
    out = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", os.environ["REDIS_PORT"],
                          *args], capture_output=True, text=True, check=True, timeout=10)
    return out.stdout.strip()


def extra_replica(**env):
    """Another reminder-service process (no sidecar of its own: it publishes
    through the stack's, and gets no cron ticks unless the test sends one)."""
    e = {**stack_service_env("reminder-service"), "PORT": str(free_port()), **env}
    proc = subprocess.Popen([os.path.join(BIN, "reminder-service")], env=e,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{e['PORT']}"

    def up():
        try:
            return request("GET", url + "/healthz", timeout=2).status == 200
        except (urllib.error.URLError, OSError):
            return False
    assert eventually(up, timeout=20), "the extra replica did not start"
    return proc, url


def claimed_by(url, task, at):
    """Indexes task's reminder, then has the replica at url claim it (its
    look-ahead reaches it; the stack's own replicas' does not yet)."""
    assert eventually(lambda: redis("ZSCORE", "todo:reminders:due", task["id"]), timeout=15)
    token = stack_service_env("reminder-service")["APP_API_TOKEN"]
    assert request("POST", url + "/reminder-cron", raw=b"",
                   headers={"dapr-api-token": token}).status == 200
    member = f"{task['id']}|{ms(at)}"
    assert redis("ZSCORE", "todo:reminders:claimed", member), "not claimed"
    return member


def consuming(h):
    """Waits until the stack's reminder-service takes task events in again:
    after another test's replica left, their consumer group may rebalance
    for seconds, and an event held that long fires its reminder before the
    test can see it indexed. Task events are keyed by task id over the
    topic's 3 partitions: 20 probes reach every partition but for a chance
    of 3 * (2/3)**20 (0.09 %)."""
    at = rfc3339(now() + datetime.timedelta(hours=1))
    probes = [create(h, title="probe", remind_at=at)["id"] for _ in range(20)]
    assert eventually(lambda: all(redis("ZSCORE", "todo:reminders:due", p) for p in probes),
                      timeout=60)


def test_a_replica_that_dies_holding_a_claim_loses_nothing():
    h = auth(new_user())
    consuming(h)
    ahead = {"REMINDER_LOOKAHEAD_MS": "20000", "REMINDER_LEASE_MS": "1000"}
    # Each reminder is set 8 s ahead once its replica is up, so the replica
    # claims it well before the stack's own replicas' look-ahead (2 s)
    # reaches it, however long the replica took to start.
    # Killed after claiming: the claim's lease (1 s past its time) runs out
    # and another replica's pass gives it back and fires it.
    proc, url = extra_replica(**ahead)
    try:
        at_killed = now() + datetime.timedelta(seconds=8)
        killed = create(h, remind_at=rfc3339(at_killed))
        claimed_by(url, killed, at_killed)
    finally:
        proc.kill()
        proc.wait(timeout=10)
    # Stopped (SIGTERM) after claiming: the claim goes back at once.
    proc, url = extra_replica(**ahead)
    try:
        at_stopped = max(at_killed + datetime.timedelta(seconds=1),
                         now() + datetime.timedelta(seconds=8))
        stopped = create(h, remind_at=rfc3339(at_stopped))
        member = claimed_by(url, stopped, at_stopped)
    finally:
        proc.terminate()
        assert proc.wait(timeout=20) == 0
    assert redis("ZSCORE", "todo:reminders:claimed", member) == ""
    assert redis("ZSCORE", "todo:reminders:due", stopped["id"]) == str(ms(at_stopped))

    wait_until(at_stopped + datetime.timedelta(seconds=1))
    ids = (killed["id"], stopped["id"])
    assert eventually(lambda: all(due_events(*ids).values()), timeout=20, interval=0.5), \
        "a claimed reminder was lost"
    time.sleep(2)
    events = due_events(*ids)
    assert len(events[killed["id"]]) == len(events[stopped["id"]]) == 1
    assert_on_time(events[stopped["id"]][0], at_stopped)
    data = events[killed["id"]][0]["event"]["data"]
    late = (parse(data["fired_at"]) - parse(data["remind_at"])).total_seconds()
    assert 0.9 <= late < 1 + BOUND_S, late  # after the lease, then promptly


def test_an_unreadable_state_drops_its_claim_once_and_the_next_change_replaces_it():
    h = auth(new_user())
    url = os.environ["REMINDER_SERVICE_URL"]

    def outcomes(result):
        return metric(url, f'reminders_fired_total{{result="{result}"}}')
    at = now() + datetime.timedelta(seconds=4)
    task = create(h, remind_at=rfc3339(at))
    key = f"reminder-service||reminder:{task['id']}"
    assert eventually(lambda: redis("HGET", key, "data"), timeout=15)
    redis("HSET", key, "data", "not a reminder state")  # ETag (version) unchanged
    unreadable, retries = outcomes("unreadable"), outcomes("retry")
    wait_until(at)
    assert eventually(lambda: outcomes("unreadable") == unreadable + 1, timeout=10)
    time.sleep(3)  # a few more ticks: dropped, not retried every second
    assert outcomes("unreadable") == unreadable + 1
    assert outcomes("retry") == retries
    assert due_events(task["id"])[task["id"]] == []
    # The task's next change stores a state again, and its reminder fires.
    again = now() + datetime.timedelta(seconds=3)
    patch(h, task, {"remind_at": rfc3339(again)})
    wait_until(again)
    fired = eventually(lambda: due_events(task["id"])[task["id"]], timeout=15)
    assert len(fired) == 1
    assert_on_time(fired[0], again)


def test_every_reminder_due_event_on_kafka_matches_its_schema():
    validator = event_validators("reminder-due")["reminder-due"]
    events = kafka_events("reminder-due")
    assert events, "the tests above published reminder-due events"
    fired = []
    for e in events:
        errors = list(validator.iter_errors(e["event"]))
        assert not errors, (e["event"]["id"], [x.message for x in errors[:3]])
        ev = e["event"]
        assert e["key"] == ev["subject"] == ev["data"]["task"]["id"]
        assert ev["id"] == ev["data"]["event_id"]
        # Other tests publish reminder-due events of their own (some twice,
        # on purpose); reminder-service's carry the id derived from the
        # task and its time.
        if ev["id"] == derived_event_id(
                f"reminder:{ev['subject']}:{ms(parse(ev['data']['remind_at']))}"):
            fired.append(ev["id"])
    # Once each: none of reminder-service's event ids twice on the topic.
    assert fired and len(set(fired)) == len(fired)
