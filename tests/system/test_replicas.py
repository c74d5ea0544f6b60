"""Service invocation across replicas: the sidecars' name resolution
(tools/daprd/nameresolution_sqlite.go) sends the gateway's calls to every
live replica of task-service, picks up a new one within seconds and leaves
a stopped one within seconds, with no call failing after that."""
import os
import time

from conftest import GATEWAY, auth, eventually, http_requests, new_user, request, stack

REPLICA = os.environ.get("TASK_SERVICE_2_URL", "")
FIRST = os.environ.get("TASK_SERVICE_URL", "")


def task_gets(base):
    """GETs of one task a task-service replica answered 200."""
    return sum(n for (method, route, code), n in http_requests(base).items()
               if method == "GET" and route.startswith("/api/tasks/") and code == "200")


def test_calls_reach_every_replica_and_leave_a_stopped_one():
    h = auth(new_user())
    created = request("POST", GATEWAY + "/api/tasks", {"title": "replicated"}, h)
    assert created.status == 201, created.body
    url = GATEWAY + "/api/tasks/" + created.json()["id"]

    def get_all(n):
        return [request("GET", url, None, h).status for _ in range(n)]

    stack("start", "task-service-2")
    try:
        assert eventually(lambda: request("GET", REPLICA + "/readyz").status == 200, timeout=60)
        before = {b: task_gets(b) for b in (FIRST, REPLICA)}
        # The new replica's sidecar registered at its start; the gateway's
        # sidecar lists it within a second.
        assert eventually(lambda: get_all(10) == [200] * 10
                          and task_gets(REPLICA) > before[REPLICA], timeout=30)
        mid = {b: task_gets(b) for b in (FIRST, REPLICA)}
        assert get_all(40) == [200] * 40
        # Each call picks a live replica at random: both take a share.
        assert task_gets(FIRST) > mid[FIRST] and task_gets(REPLICA) > mid[REPLICA]
    finally:
        stack("stop", "task-service-2-daprd")
        stack("stop", "task-service-2")
    # A sidecar that stops takes its row with it; within a second or two
    # no caller picks it any more.
    time.sleep(3)
    first = task_gets(FIRST)
    assert get_all(30) == [200] * 30
    assert task_gets(FIRST) - first == 30
