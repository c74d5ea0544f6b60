"""Recurring tasks against the real stack: recurrence-service keeps each
series' next occurrence open as a task, made through task-service exactly
once per (series, occurrence), when an occurrence is completed or its due
time passes; dates follow the RRULE in the series' time zone."""
import collections
import datetime
import http.server
import json
import os
import subprocess
import threading

from conftest import (BIN, GATEWAY, auth, event_validators, eventually, free_port, kafka_events,
                      make_token, new_user, psql, publish_event, request, served, service_url,
                      stack, stack_service_env)

UTC = datetime.timezone.utc


def api(method, path, user, body=None, headers=None):
    h = auth(user)
    h.update(headers or {})
    return request(method, GATEWAY + path, body=body, headers=h)


def series_tasks(user, series_id):
    """Every task of the series, oldest occurrence first."""
    items, cursor = [], None
    while True:
        r = api("GET", "/api/tasks?limit=200&sort=due_at" + (f"&cursor={cursor}" if cursor else ""),
                user)
        assert r.status == 200, r.body
        page = r.json()
        items += [t for t in page["items"] if t["series_id"] == series_id]
        cursor = page["next_cursor"]
        if not cursor:
            return items


def utc(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).astimezone(UTC)


def iso(d):
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


def next_open(user, series_id, after_due, timeout=20):
    """The series' occurrence due after after_due, once it exists."""
    def find():
        later = [t for t in series_tasks(user, series_id)
                 if t["due_at"] and utc(t["due_at"]) > after_due]
        return later[0] if later else None
    return eventually(find, timeout=timeout, interval=0.3)


def walk(user, first, steps):
    """Completes the latest occurrence `steps` times; returns the due dates
    of the occurrences that followed (fewer when the series ends)."""
    dues, current = [], first
    for _ in range(steps):
        assert api("POST", f"/api/tasks/{current['id']}/complete", user).status == 200
        nxt = next_open(user, first["id"], utc(current["due_at"]), timeout=10)
        if not nxt:
            break
        dues.append(iso(utc(nxt["due_at"])))
        current = nxt
    return dues


def create(user, **fields):
    r = api("POST", "/api/tasks", user, fields)
    assert r.status == 201, r.body
    return r.json()


def test_a_daily_task_completed_three_times_yields_the_next_three():
    user = new_user()
    first = create(user, title="Water the plants", due_at="2027-03-01T09:00:00Z",
                   rrule="FREQ=DAILY", tags=["home"], priority="high",
                   remind_before_minutes=15)
    assert walk(user, first, 3) == ["2027-03-02T09:00:00Z", "2027-03-03T09:00:00Z",
                                    "2027-03-04T09:00:00Z"]
    tasks = series_tasks(user, first["id"])
    assert len(tasks) == 4
    assert [t["status"] for t in tasks] == ["completed"] * 3 + ["pending"]
    last = tasks[-1]
    # The occurrence carries the series' fields, and its reminder follows it.
    assert last["title"] == "Water the plants" and last["tags"] == ["home"]
    assert last["priority"] == "high" and last["rrule"] == "FREQ=DAILY"
    assert last["remind_before_minutes"] == 15
    assert utc(last["remind_at"]) == utc("2027-03-04T08:45:00Z")
    assert utc(last["occurrence_at"]) == utc("2027-03-04T09:00:00Z")


def test_rules_give_the_dates_a_calendar_would():
    user = new_user()
    cases = [
        ("FREQ=MONTHLY;BYMONTHDAY=-1", "2027-01-31T17:00:00Z",
         ["2027-02-28T17:00:00Z", "2027-03-31T17:00:00Z", "2027-04-30T17:00:00Z"]),
        ("FREQ=WEEKLY;BYDAY=MO,WE,FR", "2027-03-01T08:00:00Z",
         ["2027-03-03T08:00:00Z", "2027-03-05T08:00:00Z", "2027-03-08T08:00:00Z"]),
        ("FREQ=MONTHLY;BYDAY=2TU", "2027-01-12T12:00:00Z",
         ["2027-02-09T12:00:00Z", "2027-03-09T12:00:00Z", "2027-04-13T12:00:00Z"]),
        # COUNT=3: the first and two more, then the series ends.
        ("FREQ=DAILY;COUNT=3", "2027-05-01T09:00:00Z",
         ["2027-05-02T09:00:00Z", "2027-05-03T09:00:00Z"]),
        # UNTIL is inclusive.
        ("FREQ=WEEKLY;UNTIL=20270515T090000Z", "2027-05-01T09:00:00Z",
         ["2027-05-08T09:00:00Z", "2027-05-15T09:00:00Z"]),
    ]
    for rule, due, want in cases:
        first = create(user, title=rule, due_at=due, rrule=rule)
        ends = "COUNT" in rule or "UNTIL" in rule
        # For a rule that ends, one more completion must make nothing.
        assert walk(user, first, len(want) + ends) == want, rule


def test_a_series_keeps_its_local_time_across_dst():
    user = new_user()
    # 09:00 in Berlin; summer time ends on 31 October 2027.
    first = create(user, title="Berlin standup", due_at="2027-10-30T09:00:00+02:00",
                   rrule="FREQ=DAILY", time_zone="Europe/Berlin")
    assert walk(user, first, 2) == ["2027-10-31T08:00:00Z", "2027-11-01T08:00:00Z"]


def test_a_series_may_count_from_completion():
    user = new_user()
    first = create(user, title="Descale the kettle", due_at="2027-06-01T18:00:00Z",
                   rrule="FREQ=DAILY;INTERVAL=10", recur_from="completion")
    assert api("POST", f"/api/tasks/{first['id']}/complete", user).status == 200
    nxt = eventually(lambda: [t for t in series_tasks(user, first["id"])
                              if t["id"] != first["id"]], timeout=20)
    assert len(nxt) == 1
    # Ten days after today (the completion), at the series' 18:00.
    today = datetime.datetime.now(UTC).date()
    want = datetime.datetime.combine(today + datetime.timedelta(days=10),
                                     datetime.time(18, 0), UTC)
    assert utc(nxt[0]["due_at"]) == want


def test_passing_due_time_makes_the_next_occurrence():
    user = new_user()
    due = datetime.datetime.now(UTC).replace(microsecond=0) + datetime.timedelta(seconds=3)
    first = create(user, title="Stretch", due_at=iso(due), rrule="FREQ=HOURLY")
    # The cron tick (every 10 s) sees the due time pass; the task stays open.
    nxt = next_open(user, first["id"], due, timeout=30)
    assert nxt and utc(nxt["due_at"]) == due + datetime.timedelta(hours=1)
    tasks = series_tasks(user, first["id"])
    assert [t["status"] for t in tasks] == ["pending", "pending"]


def test_deleting_with_series_all_ends_the_series():
    user = new_user()
    first = create(user, title="Old habit", due_at="2027-07-01T07:00:00Z", rrule="FREQ=DAILY")
    assert walk(user, first, 1) == ["2027-07-02T07:00:00Z"]
    [second] = [t for t in series_tasks(user, first["id"]) if t["status"] == "pending"]
    bad = api("DELETE", f"/api/tasks/{second['id']}?series=some", user)
    assert bad.status == 400
    r = api("DELETE", f"/api/tasks/{second['id']}?series=all", user)
    assert r.status == 204
    # The completed first occurrence stays as history; nothing new comes.
    tasks = series_tasks(user, first["id"])
    assert [t["id"] for t in tasks] == [first["id"]]
    evs = eventually(lambda: [e for e in kafka_events("task-deleted") if e["key"] == second["id"]],
                     timeout=30)
    assert evs and evs[0]["event"]["data"]["ends_series"] is True


def test_deleting_the_open_occurrence_skips_to_the_next():
    user = new_user()
    first = create(user, title="Skippable", due_at="2027-08-02T07:00:00Z", rrule="FREQ=WEEKLY")
    assert api("DELETE", f"/api/tasks/{first['id']}", user).status == 204
    nxt = next_open(user, first["id"], utc(first["due_at"]))
    assert nxt and utc(nxt["due_at"]) == utc("2027-08-09T07:00:00Z")


def test_the_same_completion_delivered_twice_makes_one_occurrence():
    user = new_user()
    first = create(user, title="Once", due_at="2027-09-01T10:00:00Z", rrule="FREQ=DAILY")
    assert api("POST", f"/api/tasks/{first['id']}/complete", user).status == 200
    assert next_open(user, first["id"], utc(first["due_at"]))
    completed = eventually(lambda: [e for e in kafka_events("task-completed")
                                    if e["key"] == first["id"]], timeout=30)
    event = completed[0]["event"]
    # Deliver it again, exactly as it was, as task-service publishes it.
    publish_event("task-completed", event, key=first["id"])
    # recurrence-service acted on it (its delivery log) and made nothing new.
    def redelivered():
        with open(os.path.join(os.environ["STACK_RUN"], "logs", "recurrence-service.log")) as f:
            return sum(1 for line in f if event["id"] in line) >= 2
    eventually(redelivered, timeout=20)
    tasks = series_tasks(user, first["id"])
    assert len(tasks) == 2, [t["due_at"] for t in tasks]


def test_two_replicas_with_both_crons_make_each_occurrence_once():
    user = new_user()
    stack("start", "recurrence-service-2")
    try:
        due = datetime.datetime.now(UTC).replace(microsecond=0) + datetime.timedelta(seconds=4)
        firsts = [create(user, title=f"replicated {i}", due_at=iso(due), rrule="FREQ=HOURLY")
                  for i in range(12)]
        for f in firsts:
            assert next_open(user, f["id"], due, timeout=40), f["id"]
        # Each replica's cron must tick twice more now that every occurrence
        # exists: a duplicate would be made then if the unique key did not
        # hold. Waited for by the replicas' own /metrics, not by a sleep (the
        # cron fires every 10 s from its sidecar's start, so a fixed sleep
        # races the second replica's schedule).
        bases = (os.environ["RECURRENCE_SERVICE_URL"], os.environ["RECURRENCE_SERVICE_2_URL"])
        ticks = lambda: {b: served(b, "POST", "/recurrence-cron") for b in bases}
        before = ticks()
        assert eventually(lambda: all(n >= before[b] + 2 for b, n in ticks().items()),
                          timeout=45), (before, ticks())
        for f in firsts:
            tasks = series_tasks(user, f["id"])
            assert len(tasks) == 2, (f["id"], [t["due_at"] for t in tasks])
    finally:
        stack("stop", "recurrence-service-2-daprd")
        stack("stop", "recurrence-service-2")
    ids = {f["id"] for f in firsts}
    generated = [e for e in kafka_events("recurring-task-generated")
                 if e["event"]["data"]["series_id"] in ids]
    per_occurrence = collections.defaultdict(set)
    for e in generated:
        d = e["event"]["data"]
        per_occurrence[(d["series_id"], d["occurrence_at"])].add(e["event"]["id"])
    assert len(per_occurrence) == len(ids)
    assert all(len(v) == 1 for v in per_occurrence.values())


def test_every_recurring_task_generated_event_matches_its_schema():
    user = new_user()
    first = create(user, title="schema", due_at="2027-10-01T10:00:00Z", rrule="FREQ=DAILY")
    assert walk(user, first, 1) == ["2027-10-02T10:00:00Z"]
    validators = event_validators("recurring-task-generated")
    mine = eventually(lambda: [e for e in kafka_events("recurring-task-generated")
                               if e["event"]["data"]["series_id"] == first["id"]], timeout=30)
    assert len(mine) == 1
    d = mine[0]["event"]["data"]
    assert d["previous_task_id"] == first["id"] and d["task"]["series_id"] == first["id"]
    for e in kafka_events("recurring-task-generated"):
        errors = list(validators["recurring-task-generated"].iter_errors(e["event"]))
        assert not errors, [x.message for x in errors[:3]]


def test_occurrences_are_for_recurrence_service_only():
    url = service_url("task-service") + "/internal/series/6f1c2d4e-0000-4000-8000-000000000001/occurrences"
    body = {"user_id": "u", "occurrence_at": "2027-01-01T00:00:00Z", "task": {"title": "x"}}
    assert request("POST", url, body).status == 401
    assert request("POST", url, body, auth(new_user())).status == 401  # an access token
    # Not reachable through the gateway at all.
    r = request("POST", GATEWAY + "/internal/series/6f1c2d4e-0000-4000-8000-000000000001/occurrences",
                body, auth(new_user()))
    assert r.status == 404


def test_an_occurrence_is_made_once_even_after_its_task_is_deleted():
    """task-service's key per (series, occurrence) outlives the task: asked
    again, it answers the task made before, and once that task is deleted
    (skipped) it never makes it again, however late the request comes."""
    user = new_user()
    first = create(user, title="Keyed", due_at="2027-12-01T09:00:00Z", rrule="FREQ=DAILY")
    url = service_url("task-service") + f"/internal/series/{first['id']}/occurrences"
    svc = {"Authorization": "Bearer " + make_token("recurrence-service", typ="service")}
    at = "2027-12-05T09:00:00Z"
    body = {"user_id": user, "occurrence_at": at,
            "task": {"title": "Keyed", "due_at": at, "rrule": "FREQ=DAILY"}}
    made = request("POST", url, body, svc)
    assert made.status == 201, made.body
    again = request("POST", url, body, svc)
    assert again.status == 200 and again.json()["id"] == made.json()["id"]
    assert api("DELETE", f"/api/tasks/{made.json()['id']}", user).status == 204
    gone = request("POST", url, body, svc)
    assert gone.status == 410 and gone.json()["error"]["code"] == "gone", gone.body
    assert not [t for t in series_tasks(user, first["id"])
                if t["occurrence_at"] and utc(t["occurrence_at"]) == utc(at)]


class StalledUpstream:
    """An HTTP server on 127.0.0.1 that holds every request until released,
    then answers 503: a task-service that hangs."""

    def __init__(self):
        self.arrived = threading.Event()
        self.release = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.arrived.set()
                outer.release.wait(60)
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def test_a_call_to_task_service_that_hangs_holds_no_lock():
    """A replica whose call to task-service hangs holds no transaction and no
    row lock meanwhile: the stack's own replica advances the same series at
    once, instead of waiting for the call to time out."""
    user = new_user()
    first = create(user, title="Stalled", due_at="2027-11-01T09:00:00Z", rrule="FREQ=DAILY")
    assert api("POST", f"/api/tasks/{first['id']}/complete", user).status == 200
    second = next_open(user, first["id"], utc(first["due_at"]))
    assert second and utc(second["due_at"]) == utc("2027-11-02T09:00:00Z")
    completed = eventually(lambda: [e for e in kafka_events("task-completed")
                                    if e["key"] == first["id"]], timeout=30)
    upstream = StalledUpstream()
    # A third replica, without a sidecar of its own, whose task-service hangs.
    env = stack_service_env("recurrence-service")
    app = "rec-stalled-%d" % free_port()
    env.update({"PORT": str(free_port()), "TASK_SERVICE_URL": upstream.url,
                "UPSTREAM_TIMEOUT_MS": "60000",
                "DATABASE_URL": env["DATABASE_URL"] + " application_name=" + app})
    base = "http://127.0.0.1:" + env["PORT"]
    log = open(os.path.join(os.environ["STACK_RUN"], "logs", app + ".log"), "w")
    proc = subprocess.Popen([os.path.join(BIN, "recurrence-service")], env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    delivery, caller = [], None
    try:
        def ready():
            try:
                return request("GET", base + "/readyz", timeout=2).status == 200
            except OSError:
                return False
        assert eventually(ready, timeout=60)
        # The completion delivered again, to that replica: it plans the
        # occurrence after the first and calls task-service, which hangs.
        headers = {"Content-Type": "application/cloudevents+json",
                   "dapr-api-token": env.get("APP_API_TOKEN", "")}
        body = json.dumps(completed[0]["event"]).encode()
        caller = threading.Thread(target=lambda: delivery.append(
            request("POST", base + "/events/task-completed", raw=body, headers=headers,
                    timeout=90)))
        caller.start()
        assert upstream.arrived.wait(30)
        # Meanwhile its connections hold no transaction and no lock ...
        rows = psql("SELECT a.state, count(l.pid) FROM pg_stat_activity a"
                    " LEFT JOIN pg_locks l ON l.pid = a.pid"
                    " WHERE a.application_name = :'p1' GROUP BY a.pid, a.state", app)
        assert rows and all(state == "idle" and n == "0" for state, n in rows), rows
        # ... and the stack's replica moves the same series on at once.
        assert api("POST", f"/api/tasks/{second['id']}/complete", user).status == 200
        third = next_open(user, first["id"], utc(second["due_at"]), timeout=15)
        assert third and utc(third["due_at"]) == utc("2027-11-03T09:00:00Z")
        assert not upstream.release.is_set()  # the call still hangs
    finally:
        upstream.close()
        if caller:
            caller.join(60)
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
    # The hung call failed: that replica asked for the event again.
    assert delivery and json.loads(delivery[0].body)["status"] == "RETRY"
    # Nothing was made twice, and the series did not move backwards.
    tasks = series_tasks(user, first["id"])
    assert [t["due_at"] and iso(utc(t["due_at"])) for t in tasks] == [
        "2027-11-01T09:00:00Z", "2027-11-02T09:00:00Z", "2027-11-03T09:00:00Z"]
    latest = psql("SELECT latest_task_id FROM recurrence.series WHERE series_id = :'p1'",
                  first["id"])
    assert latest == [[third["id"]]]
