#!/usr/bin/env python3
"""HTTP throughput and latency (make bench). Against a running stack
(bench/run.sh starts one): registers a user, seeds BENCH_SEED_TASKS tasks,
then runs wrk on 127.0.0.1 against GET /api/tasks/{id}, GET
/api/tasks?limit=50 and POST /api/tasks: through api-gateway and both
sidecars, through a second api-gateway pointed straight at task-service
(TASK_SERVICE_URL), and straight at task-service (same bearer token), so the
gateway's and the sidecars' shares show. Beside them, measured in the same
run with the same wrk settings: bench-proxy-ref (a bare libevent server
proxying to the same task-service), bench-http-ref (a bare libevent server
answering the same bytes), and pgbench running the task-service's own
statements against the stack's Postgres. Prints requests/s, latency p50/p99
and each process's CPU per request (from /proc/<pid>/stat over the measured
run), the issue's bars beside the figures, then the gateway under overload
(BENCH_OVERLOAD_CONNECTIONS, 512). A row with any non-2xx answer, socket
error or failed transaction is flagged and makes the script exit 1; so does
a step that cannot run. A bar missed is reported, not failed: timing on a
shared machine is for reading, not for gating."""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time

import benchlib
from benchlib import Helper, pct
from conftest import (BIN, GATEWAY, RUN, bearer, eventually, http_requests, own_gateway,
                      pg_password, psql, register, request, service_url, stack_service_env)

THREADS = int(os.environ.get("BENCH_WRK_THREADS", "1"))
OVERLOAD = int(os.environ.get("BENCH_OVERLOAD_CONNECTIONS", "512"))
CONNECTIONS = int(os.environ.get("BENCH_WRK_CONNECTIONS", "16"))
SECONDS = int(os.environ.get("BENCH_WRK_SECONDS", "5"))
WARM_S = 1  # before each row, not measured
SEED = int(os.environ.get("BENCH_SEED_TASKS", "300"))
PAGE = 50
WORK = os.path.join(RUN, "bench-throughput")
WRK_LUA = os.path.join(benchlib.ROOT, "bench", "wrk.lua")

# The task-service's statements (services/task-service/src/task_store.c:
# SNAPSHOT_SQL, tsk_store_get, tsk_store_list, insert_task and outbox_add),
# for pgbench. Keep them in step with the store.
SNAPSHOT_JSON = (
    "json_build_object('id', t.id, 'user_id', t.user_id, 'title', t.title,"
    " 'description', t.description, 'status', t.status, 'priority', t.priority,"
    " 'tags', t.tags, 'due_at', t.due_at, 'remind_at', t.remind_at,"
    " 'remind_before_minutes', t.remind_before_minutes,"
    " 'rrule', t.rrule, 'series_id', t.series_id, 'occurrence_at', t.occurrence_at,"
    " 'recur_from', t.recur_from, 'time_zone', t.time_zone, 'created_at', t.created_at,"
    " 'updated_at', t.updated_at, 'completed_at', t.completed_at,"
    " 'version', t.version)")
PG_GET = (f"SELECT {SNAPSHOT_JSON}::text, t.version FROM tasks.tasks t"
          " WHERE t.id = :id AND t.user_id = :user;\n")
PG_LIST = (f"SELECT {SNAPSHOT_JSON}::text, t.version, t.id, to_json(t.created_at) #>> '{{}}'"
           " FROM tasks.tasks t WHERE t.user_id = :user"
           f" ORDER BY t.created_at DESC, t.id DESC LIMIT {PAGE + 1};\n")
# Into copies of the two tables (bench.*), so the outbox relay never
# publishes these rows.
PG_INSERT = (
    "\\set n random(1, 1000000000)\n"
    "BEGIN;\n"
    "INSERT INTO bench.tasks AS t (id, user_id, title, description, priority, tags, due_at,"
    " remind_at, remind_before_minutes, rrule, series_id, time_zone, recur_from, occurrence_at)"
    " VALUES (gen_random_uuid(), :user, 'pgbench ' || :client_id::text || '-' || :n::text, '',"
    " 'medium', '{}'::text[], NULL, NULL, NULL, NULL, NULL, 'UTC', 'due', NULL)"
    f" RETURNING t.id AS task_id, {SNAPSHOT_JSON}::text AS task, t.version\n"
    "\\gset\n"
    "INSERT INTO bench.outbox (event_id, topic, aggregate_id, payload)"
    " VALUES (gen_random_uuid(), 'task-created', :task_id, :task);\n"
    "COMMIT;\n")
PG_SETUP = """
CREATE SCHEMA IF NOT EXISTS bench;
CREATE TABLE IF NOT EXISTS bench.tasks (LIKE tasks.tasks INCLUDING ALL);
CREATE TABLE IF NOT EXISTS bench.outbox (LIKE tasks.outbox INCLUDING ALL);
CREATE SEQUENCE IF NOT EXISTS bench.outbox_id_seq OWNED BY bench.outbox.id;
ALTER TABLE bench.outbox ALTER COLUMN id SET DEFAULT nextval('bench.outbox_id_seq');
"""


class BenchError(Exception):
    """A step that could not run: the bench fails."""


def run(args, timeout, env=None):
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise BenchError(f"{os.path.basename(args[0])}: {e}") from e
    if out.returncode != 0:
        lines = (out.stderr or out.stdout).strip().splitlines()
        why = [line for line in lines if "error" in line.lower()] or lines[-3:]
        raise BenchError(f"{os.path.basename(args[0])} exited {out.returncode}: "
                         + "; ".join(why)[:400])
    return out.stdout


def non_2xx(before, after):
    """{code: n} answered between two http_requests() snapshots, codes
    other than 2xx only; and the number of 201s."""
    codes = {}
    for key, n in after.items():
        d = n - before.get(key, 0)
        if d and key[1] != "/metrics":
            codes[key[2]] = codes.get(key[2], 0) + d
    bad = {c: n for c, n in sorted(codes.items()) if not c.startswith("2")}
    return bad, codes.get("201", 0)


def wrk(url, headers, seconds, post_title=None, connections=None, threads=None):
    """One wrk run; its report (wrk.lua's JSON line)."""
    env = dict(os.environ)
    if post_title:
        env["BENCH_POST_TITLE"] = post_title
    args = ["wrk", "-t", str(threads or THREADS), "-c", str(connections or CONNECTIONS),
            "-d", f"{seconds}s", "-s", WRK_LUA, "--timeout", "10s"]
    for k, v in headers.items():
        args += ["-H", f"{k}: {v}"]
    out = run(args + [url], seconds + 60, env)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if not lines:
        raise BenchError(f"wrk printed no report for {url}")
    return json.loads(lines[-1])


def guarded(measure):
    """measure (a row function) made to answer a flagged row without
    figures when it cannot run, so the other rows still do."""
    def row(name, *args, **kw):
        try:
            return measure(name, *args, **kw)
        except BenchError as e:
            return {"name": name, "rps": None, "problems": [str(e)], "created": 0}
    return row


def stack_pid(name):
    """The pid of one of the stack's processes (its pid file)."""
    with open(os.path.join(RUN, "pids", f"{name}.pid")) as f:
        return int(f.read().strip())


def cpu_s(pid):
    """CPU seconds (user + system) process pid has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_jiffies():
    """(busy, total) clock ticks of every CPU so far (/proc/stat)."""
    with open("/proc/stat") as f:
        t = [int(x) for x in f.readline().split()[1:9]]
    return sum(t) - t[3] - t[4], sum(t)  # idle and iowait are not busy


@guarded
def http_row(name, url, headers, metrics=None, post_title=None, cpu=()):
    """Warm-up, then the measured wrk run. metrics: the service whose
    /metrics counts the answers by status (None for the reference). cpu:
    (label, pid) of the processes whose CPU per request is reported."""
    before = http_requests(metrics) if metrics else None
    warm = wrk(url, headers, WARM_S, post_title)
    cpu_before = [(label, pid, cpu_s(pid)) for label, pid in cpu]
    m0 = machine_jiffies()
    r = wrk(url, headers, SECONDS, post_title)
    m1 = machine_jiffies()
    n = max(r["requests"], 1)
    per_req = [(label, (cpu_s(pid) - t0) / n * 1e6) for label, pid, t0 in cpu_before]
    busy, total = m1[0] - m0[0], m1[1] - m0[1]
    row = {"name": name, "rps": r["requests"] / (r["duration_us"] / 1e6),
           "p50": r["p50_us"] / 1000, "p99": r["p99_us"] / 1000, "problems": [], "created": 0,
           "cpu": per_req,
           "machine": (busy / os.sysconf("SC_CLK_TCK") / n * 1e6, busy / max(total, 1))}
    status_errors = warm["status_errors"] + r["status_errors"]
    if metrics:
        bad, row["created"] = non_2xx(before, http_requests(metrics))
        # wrk hangs up with up to a connection's request in flight at the
        # end of each run: the service counts those 499 (client gone).
        closing = bad.pop("499", 0)
        if closing > 2 * CONNECTIONS:
            bad["499"] = closing - 2 * CONNECTIONS
        row["problems"] += [f"{n} answered {c}" for c, n in bad.items()]
        status_errors -= sum(bad.values())
    if status_errors > 0:
        row["problems"].append(f"{status_errors} answered 4xx/5xx (counted by wrk)")
    for what in ("connect_errors", "read_errors", "write_errors", "timeouts"):
        n = warm[what] + r[what]
        if n:
            row["problems"].append(f"{n} {what.replace('_', ' ')}")
    return row


def status_of(pid):
    """VmRSS and VmHWM (peak) of pid, in KiB."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0])
    return out


def overload_row(task_id, headers, gw_pid):
    """The stack's gateway under OVERLOAD connections (two wrk threads) on
    GET one task: every answer counted by status from its /metrics, latency
    from wrk, the gateway's resident memory before, at its highest during the
    run (sampled every 100 ms; VmHWM would show start-up's Argon2 dummy hash)
    and after."""
    try:
        mem0 = status_of(gw_pid)
        before = http_requests(GATEWAY)
        peak = [mem0["VmRSS"]]
        done = threading.Event()

        def sample():
            while not done.wait(0.1):
                peak[0] = max(peak[0], status_of(gw_pid)["VmRSS"])
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            r = wrk(f"{GATEWAY}/api/tasks/{task_id}", headers, SECONDS,
                    connections=OVERLOAD, threads=2)
        finally:
            done.set()
            sampler.join()
        after = http_requests(GATEWAY)
        codes = {}
        for key, n in after.items():
            d = n - before.get(key, 0)
            if d and key[1] == "/api/tasks/{id}":
                codes[key[2]] = codes.get(key[2], 0) + d
        return {"wrk": r, "codes": codes, "mem0": mem0, "mem1": status_of(gw_pid),
                "peak": peak[0]}
    except BenchError as e:
        return {"error": str(e)}


def print_overload(o):
    print()
    print(f"The gateway under overload: wrk -t2 -c{OVERLOAD} -d{SECONDS}s, GET one task"
          " (task-service: 4 handler threads behind its sidecar)")
    if "error" in o:
        print(f"  ! {o['error']}")
        return
    r, codes = o["wrk"], o["codes"]
    answered = sum(codes.values())
    ok = codes.get("200", 0)
    busy = codes.get("503", 0)
    gone = codes.get("499", 0)  # in flight when wrk hung up at the end
    other = answered - ok - busy - gone
    unanswered = r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"]
    print(f"  {r['requests']} requests in {r['duration_us'] / 1e6:.1f} s"
          f" ({r['requests'] / (r['duration_us'] / 1e6):.0f}/s): {ok} answered 200,"
          f" {busy} a fast 503, {other} something else, {gone} still in flight when wrk"
          f" hung up (499); {unanswered} socket errors or timeouts"
          + ("" if other == 0 and unanswered == 0 else "  (bar: every request answered: MISSED)"))
    what = "every answer" if busy == 0 else "every answer, the 503s included"
    print(f"  latency of {what}: p50 {r['p50_us'] / 1000:.1f} ms, p99 {r['p99_us'] / 1000:.1f} ms,"
          f" max {r['max_us'] / 1000:.1f} ms")
    print(f"  gateway RSS {o['mem0']['VmRSS'] / 1024:.1f} MiB before,"
          f" {o['peak'] / 1024:.1f} MiB at most during the run,"
          f" {o['mem1']['VmRSS'] / 1024:.1f} MiB after")


def pgbench_bin():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    path = found[-1] if found else shutil.which("pgbench")
    if not path:
        raise BenchError("pgbench not found (Debian package postgresql)")
    return path


@guarded
def pgbench_row(name, script, slug, clients, defines):
    """Warm-up, then the measured pgbench run of script; latencies from its
    per-transaction log."""
    path = os.path.join(WORK, slug + ".sql")
    with open(path, "w") as f:
        f.write(script)
    args = [pgbench_bin(), "-n", "-h", "127.0.0.1", "-p", os.environ["PG_PORT"], "-U", "todo",
            "-d", "todo", "-M", "extended", "-c", str(clients), "-j", "1", "-f", path]
    for k, v in defines.items():
        args += ["-D", f"{k}={v}"]
    env = {**os.environ, "PGPASSWORD": pg_password()}
    run(args + ["-T", str(WARM_S)], WARM_S + 60, env)
    prefix = os.path.join(WORK, "log-" + slug)
    out = run(args + ["-T", str(SECONDS), "-l", "--log-prefix", prefix], SECONDS + 60, env)
    tps = re.search(r"^tps = ([0-9.]+) \(without initial connection time\)", out, re.M)
    failed = re.search(r"^number of failed transactions: (\d+)", out, re.M)
    if not tps:
        raise BenchError(f"pgbench printed no tps for {slug}: {out.strip()[-400:]}")
    lat, bad = [], int(failed.group(1)) if failed else 0
    for log in glob.glob(prefix + ".*"):
        with open(log) as f:
            for line in f:
                t = line.split()[2]
                if t.isdigit():
                    lat.append(int(t))
    if not lat:
        raise BenchError(f"pgbench logged no transaction for {slug}")
    row = {"name": name, "rps": float(tps.group(1)), "p50": pct(lat, 50) / 1000,
           "p99": pct(lat, 99) / 1000, "problems": [], "created": 0}
    if bad:
        row["problems"].append(f"{bad} failed transactions")
    return row


def print_row(row):
    flag = "  FLAGGED" if row["problems"] else ""
    if row["rps"] is None:
        print(f"  {row['name']:<48} {'-':>9} {'-':>8} {'-':>8}{flag}")
        return
    print(f"  {row['name']:<48} {row['rps']:>9.0f} {row['p50']:>8.2f} {row['p99']:>8.2f}"
          + flag)


def ratio_line(label, a, b, bar=None):
    """a's throughput as a share of b's, and the latency differences."""
    if a["rps"] is None or b["rps"] is None:
        return
    share = a["rps"] / b["rps"]
    verdict = ""
    if bar:
        verdict = f"  (bar {bar[0]}: {'met' if bar[1](share) else 'MISSED'})"
    print(f"  {label:<48} {share:>9.0%} {a['p50'] - b['p50']:>+8.2f}"
          f" {a['p99'] - b['p99']:>+8.2f}{verdict}")


def budget_line(a, b, bar):
    """For a throughput bar of a against b on a machine both keep busy: the
    machine's CPU per request a may take to meet it, beside the least a
    takes: all of b's (the same service, database and wrk work) plus what
    a's sidecars took."""
    if not bar or bar[2] is None or not a.get("machine") or not b.get("machine"):
        return
    sidecars = sum(us for label, us in a["cpu"] if "sidecar" in label)
    if not sidecars:
        return
    budget, floor = b["machine"][0] / bar[2], b["machine"][0] + sidecars
    print(f"  at {bar[2]:.0%} of direct's throughput the gateway path may take {budget:.0f} µs"
          f" of the machine per request; direct's own {b['machine'][0]:.0f} plus the two"
          f" sidecars' {sidecars:.0f} come to {floor:.0f}"
          f" ({'within' if floor <= budget else 'over'} it before the gateway's share)")


def print_section(title, rows, ratios=()):
    """rows, then ratios: (label, index a, index b, bar or None)."""
    print(title)
    for row in rows:
        print_row(row)
    for label, a, b, bar in ratios:
        ratio_line(label, rows[a], rows[b], bar)
    for row in rows:
        if row.get("cpu"):
            parts = ", ".join(f"{label} {us:.0f}" for label, us in row["cpu"])
            print(f"  CPU per request, µs ({row['name']}): {parts}")
    measured = [row for row in rows if row.get("cpu") and row.get("machine")]
    if measured:
        parts = ", ".join(f"{row['name']} {row['machine'][0]:.0f} ({row['machine'][1]:.0%} busy)"
                          for row in measured)
        print(f"  the whole machine's CPU per request, µs (every process, wrk and Postgres"
              f" too; /proc/stat): {parts}")
    for label, a, b, bar in ratios:
        budget_line(rows[a], rows[b], bar)
    for row in rows:
        for p in row["problems"]:
            print(f"  ! {row['name']}: {p}")


def drain():
    """Waits until the outbox relay has published every event, so the next
    row does not share the machine with the last one's backlog. Returns the
    seconds waited."""
    start = time.monotonic()
    if not eventually(lambda: psql("SELECT count(*) FROM tasks.outbox"
                                   " WHERE published_at IS NULL") == [["0"]], timeout=120,
                      interval=0.5):
        raise BenchError("the outbox did not drain in 120 s")
    return time.monotonic() - start


def seed(h):
    """Creates SEED tasks; returns one of them (its JSON text) and the first
    page of the list (its JSON text)."""
    for i in range(SEED):
        r = request("POST", GATEWAY + "/api/tasks",
                    {"title": f"seeded task {i}", "description": "a task to list and read",
                     "priority": ("high", "medium", "low")[i % 3],
                     "tags": ["bench", f"group-{i % 7}"]}, h)
        if r.status != 201:
            raise BenchError(f"seeding: POST /api/tasks answered {r.status}: {r.body[:200]}")
        if i == SEED // 2:
            task_id = r.json()["id"]
    one = request("GET", f"{GATEWAY}/api/tasks/{task_id}", headers=h)
    page = request("GET", f"{GATEWAY}/api/tasks?limit={PAGE}", headers=h)
    if one.status != 200 or page.status != 200:
        raise BenchError(f"reading the seeded tasks answered {one.status}, {page.status}")
    return one.body, page.body


def main():
    os.makedirs(WORK, exist_ok=True)
    if not shutil.which("wrk"):
        raise BenchError("wrk not found (Debian package wrk: run scripts/install-deps.sh)")
    pgbench_bin()
    tasks = service_url("task-service")
    workers = int(stack_service_env("task-service").get("HTTP_WORKERS", "4"))
    tok = register()
    h = bearer(tok["access_token"])
    one, page = seed(h)
    task = json.loads(one)
    files = []
    for name, body in (("one.json", one), ("page.json", page)):
        files.append(os.path.join(WORK, name))
        with open(files[-1], "wb") as f:
            f.write(body)
    psql(PG_SETUP)
    pg_defs = {"id": task["id"], "user": task["user_id"]}
    get = {"Authorization": h["Authorization"]}
    post = {**get, "Content-Type": "application/json"}

    gw_pid = stack_pid("api-gateway")
    tasks_pid = stack_pid("task-service")
    sidecars = [("gateway's sidecar", stack_pid("api-gateway-daprd")),
                ("task-service's sidecar", stack_pid("task-service-daprd"))]

    def read_rows(path, size, ref, pg_name, pg_sql, slug, straight, nodelay=None):
        """The rows of a GET section: path through the gateway and both
        sidecars, through the gateway straight at task-service, straight at
        task-service, through the bare proxy; ref (and nodelay) the bare
        server's URL for the same size bytes."""
        gw, gw_pid_straight = straight
        return [
            http_row("api-gateway -> sidecars -> task-service", GATEWAY + path, get, GATEWAY,
                     cpu=[("api-gateway", gw_pid)] + sidecars + [("task-service", tasks_pid)]),
            http_row("api-gateway -> task-service (no sidecar)", gw + path, get, gw,
                     cpu=[("api-gateway", gw_pid_straight), ("task-service", tasks_pid)]),
            http_row("task-service direct", tasks + path, get, tasks,
                     cpu=[("task-service", tasks_pid)]),
            http_row("reference: bare libevent proxy -> task-service", bare_proxy + path, get),
            http_row(f"reference: bare libevent, the same {size} B", ref, {}),
        ] + ([http_row("reference: the same with TCP_NODELAY", nodelay, {})] if nodelay
             else []) + [pgbench_row(pg_name, pg_sql, slug, workers, pg_defs)]

    ratios = [
        ("the gateway path against direct", 0, 2, (">= 60%", lambda x: x >= 0.60, 0.60)),
        ("the gateway, no sidecar, against direct", 1, 2, (">= 85%", lambda x: x >= 0.85, 0.85)),
        ("the gateway, no sidecar, against the bare proxy", 1, 3,
         ("within 15%", lambda x: x >= 0.85, None)),
    ]
    ref_bin = os.path.join(BIN, "bench-http-ref")
    tasks_port = tasks.rsplit(":", 1)[1]
    with Helper(ref_bin, *files) as ref, Helper(ref_bin, "--nodelay", *files) as ref_nd, \
            Helper(os.path.join(BIN, "bench-proxy-ref"), "127.0.0.1", tasks_port) as proxy, \
            own_gateway(TASK_SERVICE_URL=tasks) as (gw_url, _, gw_pid2):
        bare = f"http://127.0.0.1:{ref.json()['port']}"
        nodelay = f"http://127.0.0.1:{ref_nd.json()['port']}"
        bare_proxy = f"http://127.0.0.1:{proxy.json()['port']}"
        straight = (gw_url, gw_pid2)
        sections = [
            (f"GET /api/tasks/{{id}}: one task, {len(one)} B",
             read_rows(f"/api/tasks/{task['id']}", len(one), bare + "/0",
                       "reference: pgbench, the store's SELECT by id", PG_GET, "get",
                       straight), ratios),
            (f"GET /api/tasks?limit={PAGE}: a page of {PAGE} of {SEED} tasks, {len(page)} B",
             read_rows(f"/api/tasks?limit={PAGE}", len(page), bare + "/1",
                       "reference: pgbench, the store's page query", PG_LIST, "list",
                       straight, nodelay + "/1"), ratios),
        ]
        cpu_bar = sections[0][1][0].get("cpu") or []
        overload = overload_row(task["id"], get, gw_pid)
    post_rows = [http_row("api-gateway -> task-service", f"{GATEWAY}/api/tasks", post,
                          GATEWAY, "via gateway")]
    drained = [drain()]
    post_rows.append(http_row("task-service direct", f"{tasks}/api/tasks", post, tasks,
                              "direct"))
    drained.append(drain())
    post_rows.append(pgbench_row("reference: pgbench, the store's INSERT + outbox", PG_INSERT,
                                 "insert", workers, pg_defs))
    sections.append((f"POST /api/tasks: unique titles; created {post_rows[0]['created']}"
                     f" through the gateway, {post_rows[1]['created']} direct"
                     f" (warm-ups included); the outbox drained {drained[0]:.0f} s and"
                     f" {drained[1]:.0f} s after them", post_rows,
                     [("the gateway path against direct", 0, 1, None)]))

    print()
    print(f"HTTP throughput and latency: wrk -t{THREADS} -c{CONNECTIONS} -d{SECONDS}s per row"
          f" after a {WARM_S} s warm-up, on 127.0.0.1;")
    print(f"pgbench -c{workers} -j1 -T{SECONDS} -M extended"
          f" ({workers} = task-service's handler threads, one connection each)")
    print(f"  {'':<48} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    flagged = 0
    for title, rows, section_ratios in sections:
        print_section(title, rows, section_ratios)
        flagged += sum(1 for row in rows if row["problems"])
    gw_cpu = dict(cpu_bar).get("api-gateway")
    if gw_cpu is not None:
        others = ", ".join(f"{label} {us:.0f} µs" for label, us in cpu_bar
                           if label != "api-gateway")
        print(f"The gateway's own CPU per proxied GET of one task: {gw_cpu:.0f} µs"
              f" (bar <= 50 µs: {'met' if gw_cpu <= 50 else 'MISSED'}); beside it {others}")
    print_overload(overload)
    if len(page) > 16384:
        print("libevent writes at most 16 KiB at a time: without TCP_NODELAY (the bare row)"
              " the rest of a longer answer waits for the client's delayed ACK (about 40 ms);"
              " the services set it")
    print(f"{flagged} rows flagged" if flagged else
          "every answer was 2xx; no socket error, timeout or failed transaction")
    return 1 if flagged else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"throughput: {e}", file=sys.stderr)
        sys.exit(1)
