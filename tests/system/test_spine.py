"""The spine: a task created through the gateway becomes a row, an event on
Kafka, and a delivery to notifier through its Dapr subscription."""
import datetime
import json
import os
import subprocess
import uuid

from conftest import (GATEWAY, RUN, SERVICES, auth, eventually, kafka_events,
                      make_token, new_user, psql, request, service_url, stack_service_env)


def test_every_service_is_ready():
    for name in SERVICES:
        r = request("GET", service_url(name) + "/readyz")
        assert r.status == 200, (name, r.body)
        assert r.json()["status"] == "ready"
        assert request("GET", service_url(name) + "/healthz").status == 200


def test_created_task_reaches_postgres_kafka_and_notifier():
    user = new_user()
    r = request("POST", GATEWAY + "/api/tasks", {"title": "Buy milk"}, auth(user))
    assert r.status == 201, r.body
    task = r.json()
    assert task["title"] == "Buy milk"
    assert task["status"] == "pending" and task["priority"] == "medium"
    assert task["user_id"] == user
    assert r.headers.get("ETag") == '"1"'

    rows = psql("SELECT title, user_id FROM tasks.tasks WHERE id = :'p1'", task["id"])
    assert rows == [["Buy milk", user]]

    def find_event():
        for line in kafka_events("task-created"):
            ev = line["event"]
            if ev["data"]["task"]["id"] == task["id"]:
                return line
        return None
    line = eventually(find_event, timeout=30)
    assert line, "task-created never reached Kafka"
    ev = line["event"]
    assert line["key"] == task["id"]
    assert ev["specversion"] == "1.0" and ev["type"] == "task-created"
    assert ev["id"] == ev["data"]["event_id"]
    assert ev["data"]["user_id"] == user
    assert ev["data"]["schema_version"] == 1
    assert ev["data"]["task"]["title"] == "Buy milk"

    got = eventually(lambda: psql(
        "SELECT topic, user_id, subject FROM notify.processed_events WHERE event_id = :'p1'",
        ev["id"]), timeout=30)
    assert got == [["task-created", user, task["id"]]]


def test_task_is_visible_to_its_owner_only():
    owner, other = new_user(), new_user()
    task = request("POST", GATEWAY + "/api/tasks", {"title": "mine"}, auth(owner)).json()
    r = request("GET", GATEWAY + f"/api/tasks/{task['id']}", headers=auth(owner))
    assert r.status == 200 and r.json()["id"] == task["id"]
    r = request("GET", GATEWAY + f"/api/tasks/{task['id']}", headers=auth(other))
    assert r.status == 404
    assert r.json()["error"]["code"] == "not_found"
    missing = request("GET", GATEWAY + "/api/tasks/00000000-0000-4000-8000-000000000000",
                      headers=auth(owner))
    assert missing.status == 404 and missing.body == r.body


def test_tokens_are_checked_at_the_gateway_and_at_the_service():
    user = new_user()
    good = make_token(user)
    tampered = good[:-3] + ("AAA" if good[-3:] != "AAA" else "BBB")
    expired = make_token(user, ttl=-10)
    forged = make_token(user, key=b"x" * 48)
    unsigned = make_token(user, alg="none")
    refresh_kind = make_token(user, typ="service")
    for base in (GATEWAY, service_url("task-service")):
        for tok in (None, tampered, expired, forged, unsigned, refresh_kind):
            h = {"Authorization": "Bearer " + tok} if tok else {}
            r = request("POST", base + "/api/tasks", {"title": "nope"}, h)
            assert r.status == 401, (base, tok, r.body)
            assert r.json()["error"]["code"] == "unauthenticated"
    assert psql("SELECT count(*) FROM tasks.tasks WHERE user_id = :'p1'", user) == [["0"]]


def test_event_and_binding_routes_take_calls_from_their_sidecar_only():
    user = new_user()
    r = request("POST", GATEWAY + "/api/tasks", {"title": "forged"}, auth(user))
    assert r.status == 201, r.body
    task = r.json()
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")
    event_id = str(uuid.uuid4())
    event = {"specversion": "1.0", "id": event_id, "type": "reminder-due",
             "source": "reminder-service", "subject": task["id"], "time": now,
             "datacontenttype": "application/json",
             "data": {"event_id": event_id, "event_type": "reminder-due", "schema_version": 1,
                      "occurred_at": now, "user_id": user, "task": task,
                      "remind_at": now, "fired_at": now}}
    url = service_url("notifier") + "/events/reminder-due"

    def deliver(extra):
        return request("POST", url, raw=json.dumps(event).encode(),
                       headers={"Content-Type": "application/cloudevents+json", **extra})
    for extra in ({}, {"dapr-api-token": "not-the-sidecars"}):
        r = deliver(extra)
        assert r.status == 401, (extra, r.body)
        assert r.json()["error"]["code"] == "unauthenticated"
    for name, route in (("reminder-service", "/reminder-cron"),
                        ("recurrence-service", "/recurrence-cron")):
        r = request("POST", service_url(name) + route, raw=b"")
        assert r.status == 401, (name, r.body)
    assert psql("SELECT count(*) FROM notify.notifications WHERE user_id = :'p1'",
                user) == [["0"]]
    # With the sidecar's token it is an ordinary delivery.
    r = deliver({"dapr-api-token": stack_service_env("notifier")["APP_API_TOKEN"]})
    assert r.status == 200 and r.json() == {"status": "SUCCESS"}, r.body
    assert psql("SELECT count(*) FROM notify.notifications WHERE user_id = :'p1'",
                user) == [["1"]]


def test_bad_input_gets_a_clear_4xx_and_changes_nothing():
    user = new_user()
    h = auth(user)
    cases = [
        (dict(raw=b'{"title": "x"'), 400, None),
        (dict(raw=b'{"title": "x"} trailing'), 400, None),
        (dict(raw=b'[]'), 400, None),
        (dict(body={}), 400, "title"),
        (dict(body={"title": ""}), 400, "title"),
        (dict(body={"title": 7}), 400, "title"),
        (dict(body={"title": "x" * 501}), 400, "title"),
        (dict(body={"title": "x", "owner": "someone"}), 400, "owner"),
        (dict(body={"title": "x", "priority": "urgent"}), 400, "priority"),
        (dict(raw=b'{"title":"x","title":"y"}'), 400, "title"),
        (dict(raw=b'{"title":"\xff"}'), 400, None),
        (dict(body={"title": "x" * 70000}), 413, None),
        (dict(raw=b'{"title":"x"}', headers={"Content-Type": "text/plain"}), 415, None),
    ]
    for kwargs, status, field in cases:
        headers = dict(h)
        headers.update(kwargs.pop("headers", {}))
        r = request("POST", GATEWAY + "/api/tasks", headers=headers, **kwargs)
        assert r.status == status, (kwargs, r.status, r.body)
        err = r.json()["error"]
        assert err["code"] and err["message"]
        if field:
            assert err.get("field") == field, err
    assert psql("SELECT count(*) FROM tasks.tasks WHERE user_id = :'p1'", user) == [["0"]]


def test_routes_not_built_yet_answer_404_json():
    for name, path in [("ai-agent", "/api/agents"), ("reminder-service", "/api/reminders"),
                       ("recurrence-service", "/api/series")]:
        r = request("GET", service_url(name) + path)
        assert r.status == 404, name
        assert r.json()["error"]["code"] == "not_found"
    assert request("DELETE", GATEWAY + "/api/tasks").status == 405


def test_metrics_are_prometheus_text():
    request("GET", GATEWAY + "/healthz")
    r = request("GET", GATEWAY + "/metrics")
    assert r.status == 200
    text = r.body.decode()
    assert "# TYPE http_requests_total counter" in text
    assert 'http_request_duration_seconds_bucket{method="GET",route="/healthz",le="+Inf"}' in text
    assert "process_resident_memory_bytes" in text
    n = request("GET", service_url("notifier") + "/metrics").body.decode()
    assert 'events_in_total{topic="task-created",result="success"}' in n


def test_every_listener_of_ours_is_on_loopback():
    pids = set()
    piddir = os.path.join(RUN, "pids")
    for f in os.listdir(piddir):
        pid = open(os.path.join(piddir, f)).read().strip()
        pids.add(pid)
        # Children too (postgres forks, the JVM's threads share its pid).
        kids = subprocess.run(["pgrep", "-P", pid], capture_output=True, text=True).stdout
        pids.update(kids.split())
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
    ours = []
    for line in out.splitlines():
        cols = line.split()
        local = cols[3]
        owners = {p.split("=")[1].rstrip(",)") for p in line.split() if "pid=" in p
                  for p in p.split(",") if p.startswith("pid=")}
        if owners & pids:
            ours.append(local)
    assert len(ours) >= 6 * 5 + 3, ours  # apps, sidecar ports, infrastructure
    wide = [a for a in ours if not (a.startswith("127.") or a.startswith("[::1]"))]
    assert wide == [], wide


def test_missing_configuration_stops_start_up_with_a_clear_message():
    env = {"PATH": os.environ.get("PATH", ""), "PORT": "notaport"}
    out = subprocess.run([os.path.join(os.environ["TODO_BIN"], "task-service")], env=env,
                         capture_output=True, text=True, timeout=10)
    assert out.returncode == 2
    assert "PORT must be an integer from 1 to 65535" in out.stderr
    assert "DATABASE_URL is required but not set" in out.stderr

