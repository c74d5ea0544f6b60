"""The transactional outbox and the event contracts, against the real stack:
every event on Kafka matches its schema in proto/events, changes made while
Kafka is down all arrive once and in order when it is back, and task-service
instances starting together apply the migrations once."""
import collections
import json
import os
import subprocess
import time
import uuid

from conftest import (BIN, GATEWAY, auth, database_url, event_validators, eventually,
                      dapr_token, free_port, kafka_events, new_user, psql, request, stack)

TASK_TOPICS = ("task-created", "task-updated", "task-completed", "task-deleted")


def test_every_task_event_on_kafka_matches_its_schema():
    user = new_user()
    h = auth(user)
    t = request("POST", GATEWAY + "/api/tasks", {"title": "contract", "tags": ["x"],
                                                 "due_at": "2026-12-24T18:00:00+01:00",
                                                 "remind_before_minutes": 15,
                                                 "rrule": "FREQ=YEARLY"}, h).json()
    base = GATEWAY + "/api/tasks/" + t["id"]
    assert request("PATCH", base, {"title": "contract 2", "due_at": None, "remind_at": None},
                   h).status == 200
    assert request("POST", base + "/complete", None, h).status == 200
    assert request("POST", base + "/reopen", None, h).status == 200
    assert request("DELETE", base, None, h).status == 204

    validators = event_validators(*TASK_TOPICS)
    assert set(validators) == set(TASK_TOPICS)
    def mine_on_kafka():
        evs = [e for e in kafka_events(*TASK_TOPICS) if e["key"] == t["id"]]
        return evs if len(evs) >= 5 else None
    mine = eventually(mine_on_kafka, timeout=60, interval=1)
    assert sorted(e["topic"] for e in mine) == sorted(
        ["task-created", "task-updated", "task-completed", "task-updated", "task-deleted"])
    # Every task event on the topics, from every test so far.
    everything = kafka_events(*TASK_TOPICS)
    for e in everything:
        errors = list(validators[e["topic"]].iter_errors(e["event"]))
        assert not errors, (e["topic"], e["event"]["id"], [x.message for x in errors[:3]])
        assert e["key"] == e["event"]["subject"] == e["event"]["data"]["task"]["id"]
        assert e["event"]["id"] == e["event"]["data"]["event_id"]


def test_changes_made_while_kafka_is_down_all_arrive_once_in_order():
    user = new_user()
    h = auth(user)
    ids = []
    stack("stop", "kafka")
    try:
        for i in range(200):
            r = request("POST", GATEWAY + "/api/tasks", {"title": f"offline {i}"}, h)
            assert r.status == 201, r.body
            ids.append(r.json()["id"])
        for i, tid in enumerate(ids):
            r = request("PATCH", GATEWAY + "/api/tasks/" + tid,
                        {"title": f"offline {i} edited", "priority": "high"}, h)
            assert r.status == 200, r.body
        pending = psql("SELECT count(*) FROM tasks.outbox o JOIN tasks.tasks t"
                       " ON t.id = o.aggregate_id WHERE t.user_id = :'p1'"
                       " AND o.published_at IS NULL", user)
        assert int(pending[0][0]) == 400, "nothing can be published while Kafka is down"
    finally:
        stack("start", "kafka")

    def drained():
        rows = psql("SELECT count(*) FROM tasks.outbox o JOIN tasks.tasks t"
                    " ON t.id = o.aggregate_id WHERE t.user_id = :'p1'"
                    " AND o.published_at IS NULL", user)
        return rows == [["0"]]
    assert eventually(drained, timeout=180, interval=1), "the relay did not catch up"

    written = psql("SELECT o.event_id, o.aggregate_id, o.topic FROM tasks.outbox o"
                   " JOIN tasks.tasks t ON t.id = o.aggregate_id WHERE t.user_id = :'p1'"
                   " ORDER BY o.id", user)
    assert len(written) == 400
    wanted = set(ids)
    seen = [e for e in kafka_events(*TASK_TOPICS) if e["key"] in wanted]
    counts = collections.Counter(e["event"]["id"] for e in seen)
    assert set(counts) == {row[0] for row in written}
    duplicated = [k for k, n in counts.items() if n != 1]
    assert not duplicated, f"{len(duplicated)} events arrived more than once"
    by_task = collections.defaultdict(list)
    for e in seen:
        by_task[e["key"]].append(e)
    for tid, evs in by_task.items():
        evs.sort(key=lambda e: e["event"]["data"]["task"]["version"])
        assert [e["topic"] for e in evs] == ["task-created", "task-updated"], tid
        assert evs[0]["timestamp"] <= evs[1]["timestamp"], tid


def test_two_task_services_starting_at_once_migrate_once():
    db = "migrate_" + uuid.uuid4().hex[:10]
    psql(f"CREATE DATABASE {db}")
    procs, logs = [], []
    try:
        for _ in range(2):
            port = free_port()
            log = open(os.path.join(os.environ["STACK_RUN"], "logs", f"{db}-{port}.log"), "w+")
            env = {"PATH": os.environ["PATH"], "HOST": "127.0.0.1", "PORT": str(port),
                   "DATABASE_URL": database_url(db),
                   "DAPR_HTTP_ENDPOINT": os.environ["TASK_SERVICE_DAPR_URL"],
                   "DAPR_API_TOKEN": dapr_token("task-service")}
            procs.append((subprocess.Popen([os.path.join(BIN, "task-service")], env=env,
                                           stdout=log, stderr=subprocess.STDOUT), port))
            logs.append(log)

        def serving(port):
            try:
                return request("GET", f"http://127.0.0.1:{port}/healthz", timeout=2).status == 200
            except OSError:
                return False  # not listening yet

        def both_serving():
            return all(serving(port) for _, port in procs)
        assert eventually(lambda: _alive(procs) and both_serving(), timeout=60)
        rows = psql("SELECT version, count(*) FROM tasks.schema_migrations"
                    " GROUP BY version ORDER BY version", dbname=db)
        assert rows and all(n == "1" for _, n in rows), rows
        assert [v for v, _ in rows] == [str(v) for v in range(1, len(rows) + 1)]
        for log in logs:
            log.seek(0)
            for line in log:
                if line.startswith("{"):
                    assert json.loads(line).get("level") != "error", line
    finally:
        for p, _ in procs:
            p.terminate()
        for p, _ in procs:
            p.wait(timeout=30)
        for log in logs:
            log.close()
        psql(f"DROP DATABASE IF EXISTS {db}")


def _alive(procs):
    return all(p.poll() is None for p, _ in procs)


def test_published_events_are_cleaned_up_after_their_retention():
    user = new_user()
    t = request("POST", GATEWAY + "/api/tasks", {"title": "short-lived event"}, auth(user)).json()
    published = "SELECT count(*) FROM tasks.outbox WHERE aggregate_id = :'p1' AND published_at IS NOT NULL"
    assert eventually(lambda: psql(published, t["id"]) == [["1"]], timeout=30)
    time.sleep(1.5)
    # A second instance with a one-second retention sweeps at start.
    port = free_port()
    env = {"PATH": os.environ["PATH"], "HOST": "127.0.0.1", "PORT": str(port),
           "DATABASE_URL": database_url(), "OUTBOX_RETENTION_SECONDS": "1",
           "DAPR_HTTP_ENDPOINT": os.environ["TASK_SERVICE_DAPR_URL"],
           "DAPR_API_TOKEN": dapr_token("task-service")}
    with open(os.path.join(os.environ["STACK_RUN"], "logs", f"cleanup-{port}.log"), "w") as log:
        proc = subprocess.Popen([os.path.join(BIN, "task-service")], env=env, stdout=log,
                                stderr=subprocess.STDOUT)
        try:
            gone = "SELECT count(*) FROM tasks.outbox WHERE aggregate_id = :'p1'"
            assert eventually(lambda: psql(gone, t["id"]) == [["0"]], timeout=30)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    # The task itself is untouched.
    assert request("GET", GATEWAY + "/api/tasks/" + t["id"], None, auth(user)).status == 200
