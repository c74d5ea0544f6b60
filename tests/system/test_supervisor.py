"""The supervised stack (issue 9): every process of the stack runs under
scripts/supervise.sh. A process killed with SIGKILL mid-load comes back by
itself, and afterwards every accepted write has its event on Kafka exactly
once and no reminder fires twice. A deliberate stop stays a stop, restarts
are counted in `stack.sh status`, and a service whose own sidecar is gone
says it is not ready."""
import collections
import datetime
import os
import signal
import subprocess
import threading
import time

import pytest

from conftest import (GATEWAY, ROOT, RUN, auth, eventually, kafka_events, new_user, psql,
                      request, service_url, stack)


def pid_of(name):
    try:
        with open(os.path.join(RUN, "pids", name + ".pid")) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def running(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(")")[-1].split()[0] != "Z"


def restarts(name):
    out = subprocess.run([os.path.join(ROOT, "scripts", "stack.sh"), "restarts", name],
                         capture_output=True, text=True, check=True, timeout=30)
    return int(out.stdout.strip())


def status():
    return subprocess.run([os.path.join(ROOT, "scripts", "stack.sh"), "status"],
                          capture_output=True, text=True, check=True, timeout=60).stdout


def http_ok(url):
    try:
        return request("GET", url, timeout=3).status in (200, 204)
    except OSError:
        return False


def redis_ok():
    return subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", os.environ["REDIS_PORT"], "ping"],
                          capture_output=True, text=True).stdout.strip() == "PONG"


def postgres_ok():
    try:
        return psql("SELECT 1") == [["1"]]
    except subprocess.CalledProcessError:
        return False


def kafka_ok():
    try:
        kafka_events("reminder-due", timeout=20)
        return True
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
        return False


def sidecar_ok(app):
    return http_ok(os.environ[app.upper().replace("-", "_") + "_DAPR_URL"] + "/v1.0/healthz")


def sentry_ok():
    port = int(os.environ["SENTRY_ADDRESS"].rsplit(":", 1)[1]) + 1
    return http_ok(f"http://127.0.0.1:{port}/healthz")


# Each kind of process, and how to tell it serves again.
KINDS = {
    "task-service": lambda: http_ok(service_url("task-service") + "/readyz"),
    "task-service-daprd": lambda: sidecar_ok("task-service"),
    "reminder-service": lambda: http_ok(service_url("reminder-service") + "/readyz"),
    "sentry": sentry_ok,
    "redis": redis_ok,
    "kafka": kafka_ok,
    "postgres": postgres_ok,
}


class Load:
    """Creates tasks through the gateway until stopped, half of them with a
    reminder a few seconds ahead. accepted: the ids the API answered 201 for."""

    def __init__(self, user):
        self.user = user
        self.accepted = []
        self.failed = collections.Counter()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        i = 0
        while not self.stop.is_set():
            i += 1
            body = {"title": f"load {i}"}
            if i % 2:
                at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=3)
                body["remind_at"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
            try:
                r = request("POST", GATEWAY + "/api/tasks", body, auth(self.user), timeout=15)
            except OSError as e:
                self.failed[type(e).__name__] += 1
                continue
            if r.status == 201:
                self.accepted.append((r.json()["id"], "remind_at" in body))
            else:
                self.failed[r.status] += 1
            time.sleep(0.05)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=60)


def events_by_task(topic, ids):
    """{task id: set of event ids} for the events on topic about ids."""
    out = collections.defaultdict(set)
    for e in kafka_events(topic, timeout=120):
        task = (e["event"].get("data") or {}).get("task") or {}
        if task.get("id") in ids:
            out[task["id"]].add(e["event"]["id"])
    return out


@pytest.mark.parametrize("name", list(KINDS))
def test_a_process_killed_mid_load_comes_back_and_nothing_is_lost_or_doubled(name):
    user = new_user()
    before = restarts(name)
    old = pid_of(name)
    assert old and running(old), status()
    with Load(user) as load:
        assert eventually(lambda: len(load.accepted) >= 5, timeout=30), load.failed
        os.kill(old, signal.SIGKILL)
        back = eventually(lambda: (pid_of(name) not in (None, old) and running(pid_of(name))
                                   and KINDS[name]()), timeout=120, interval=0.5)
        assert back, f"{name} did not come back by itself\n" + status()
        n = len(load.accepted)
        # The stack serves again: more writes are accepted after it.
        assert eventually(lambda: len(load.accepted) >= n + 5, timeout=90), load.failed
    assert restarts(name) == before + 1
    assert eventually(lambda: http_ok(GATEWAY + "/readyz"), timeout=60)

    ids = {i for i, _ in load.accepted}
    reminded = {i for i, r in load.accepted if r}
    # Every accepted write has its task-created event, exactly one event id
    # (a relay retried across the crash republishes the same id).
    created = eventually(lambda: (lambda m: m if set(m) == ids else None)(
        events_by_task("task-created", ids)), timeout=180, interval=2)
    assert created, sorted(ids - set(events_by_task("task-created", ids)))[:5]
    assert all(len(v) == 1 for v in created.values()), created
    # Every reminder fires, once: one reminder-due event id and one
    # notification per task.
    fired = eventually(lambda: (lambda m: m if set(m) == reminded else None)(
        events_by_task("reminder-due", reminded)), timeout=180, interval=2)
    assert fired, sorted(reminded - set(events_by_task("reminder-due", reminded)))[:5]
    assert all(len(v) == 1 for v in fired.values()), fired
    rows = eventually(lambda: (lambda r: r if len(r) == len(reminded) else None)(psql(
        "SELECT task_id, count(*) FROM notify.notifications WHERE user_id = :'p1'"
        " AND kind = 'reminder' GROUP BY task_id", user)), timeout=120, interval=1)
    assert rows and all(n == "1" for _, n in rows), rows


def test_a_deliberate_stop_stays_stopped_until_started():
    stack("stop", "ai-agent")
    try:
        time.sleep(3)
        assert pid_of("ai-agent") is None
        assert not http_ok(service_url("ai-agent") + "/healthz")
        line = [ln for ln in status().splitlines() if ln.startswith("ai-agent ")][0]
        assert line.split()[1:] == ["-", "0", "stopped"], line
    finally:
        stack("start", "ai-agent")
    assert http_ok(service_url("ai-agent") + "/readyz")


def test_status_counts_restarts():
    before = restarts("ai-agent-daprd")
    old = pid_of("ai-agent-daprd")
    os.kill(old, signal.SIGKILL)
    assert eventually(lambda: restarts("ai-agent-daprd") == before + 1, timeout=30)
    assert eventually(lambda: sidecar_ok("ai-agent"), timeout=60)
    line = [ln for ln in status().splitlines() if ln.startswith("ai-agent-daprd ")][0]
    assert line.split()[2] == str(before + 1), line
    with open(os.path.join(RUN, "logs", "supervisor.log")) as f:
        assert any("ai-agent-daprd exited (status 137)" in ln for ln in f), "no restart logged"


def test_a_service_whose_sidecar_is_gone_is_not_ready():
    stack("stop", "notifier-daprd")
    try:
        r = request("GET", service_url("notifier") + "/readyz")
        assert r.status == 503, r.body
        assert r.json()["checks"]["dapr"] != "ok"
    finally:
        stack("start", "notifier-daprd")
    assert eventually(lambda: request("GET", service_url("notifier") + "/readyz").status == 200,
                      timeout=60)
