#!/usr/bin/env python3
"""HTTP throughput and latency (make bench). Against a running stack
(bench/run.sh starts one): registers a user, seeds BENCH_SEED_TASKS tasks,
then runs wrk on 127.0.0.1 against GET /api/tasks/{id}, GET
/api/tasks?limit=50 and POST /api/tasks, each through api-gateway and
straight at task-service (same bearer token), so the gateway's share shows.
Beside them, measured in the same run with the same wrk settings,
bench-http-ref (a bare libevent server answering the same bytes), and
pgbench running the task-service's own statements against the stack's
Postgres. Prints requests/s and latency p50/p99 per row. A row with any
non-2xx answer, socket error or failed transaction is flagged and makes the
script exit 1; so does a step that cannot run."""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import time

import benchlib
from benchlib import Helper, pct
from conftest import (BIN, GATEWAY, RUN, bearer, eventually, http_requests, pg_password,
                      psql, register, request, service_url, stack_service_env)

THREADS = int(os.environ.get("BENCH_WRK_THREADS", "1"))
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


def wrk(url, headers, seconds, post_title=None):
    """One wrk run; its report (wrk.lua's JSON line)."""
    env = dict(os.environ)
    if post_title:
        env["BENCH_POST_TITLE"] = post_title
    args = ["wrk", "-t", str(THREADS), "-c", str(CONNECTIONS), "-d", f"{seconds}s",
            "-s", WRK_LUA]
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
    def row(name, *args):
        try:
            return measure(name, *args)
        except BenchError as e:
            return {"name": name, "rps": None, "problems": [str(e)], "created": 0}
    return row


@guarded
def http_row(name, url, headers, metrics=None, post_title=None):
    """Warm-up, then the measured wrk run. metrics: the service whose
    /metrics counts the answers by status (None for the reference)."""
    before = http_requests(metrics) if metrics else None
    warm = wrk(url, headers, WARM_S, post_title)
    r = wrk(url, headers, SECONDS, post_title)
    row = {"name": name, "rps": r["requests"] / (r["duration_us"] / 1e6),
           "p50": r["p50_us"] / 1000, "p99": r["p99_us"] / 1000, "problems": [], "created": 0}
    status_errors = warm["status_errors"] + r["status_errors"]
    if metrics:
        bad, row["created"] = non_2xx(before, http_requests(metrics))
        row["problems"] += [f"{n} answered {c}" for c, n in bad.items()]
        status_errors -= sum(bad.values())
    if status_errors > 0:
        row["problems"].append(f"{status_errors} answered 4xx/5xx (counted by wrk)")
    for what in ("connect_errors", "read_errors", "write_errors", "timeouts"):
        n = warm[what] + r[what]
        if n:
            row["problems"].append(f"{n} {what.replace('_', ' ')}")
    return row


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


def print_section(title, rows):
    print(title)
    for row in rows:
        print_row(row)
    via, direct = rows[0], rows[1]
    if via["rps"] is not None and direct["rps"] is not None:
        print(f"  {'the gateway path against direct':<48}"
              f" {via['rps'] / direct['rps'] - 1:>+9.0%} {via['p50'] - direct['p50']:>+8.2f}"
              f" {via['p99'] - direct['p99']:>+8.2f}")
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

    def read_rows(path, size, ref, pg_name, pg_sql, slug, nodelay=None):
        """The rows of a GET section: path through the gateway and direct;
        ref (and nodelay) the bare server's URL for the same size bytes."""
        return [
            http_row("api-gateway -> task-service", GATEWAY + path, get, GATEWAY),
            http_row("task-service direct", tasks + path, get, tasks),
            http_row(f"reference: bare libevent, the same {size} B", ref, {}),
        ] + ([http_row("reference: the same with TCP_NODELAY", nodelay, {})] if nodelay
             else []) + [pgbench_row(pg_name, pg_sql, slug, workers, pg_defs)]

    ref_bin = os.path.join(BIN, "bench-http-ref")
    with Helper(ref_bin, *files) as ref, Helper(ref_bin, "--nodelay", *files) as ref_nd:
        bare = f"http://127.0.0.1:{ref.json()['port']}"
        nodelay = f"http://127.0.0.1:{ref_nd.json()['port']}"
        sections = [
            (f"GET /api/tasks/{{id}}: one task, {len(one)} B",
             read_rows(f"/api/tasks/{task['id']}", len(one), bare + "/0",
                       "reference: pgbench, the store's SELECT by id", PG_GET, "get")),
            (f"GET /api/tasks?limit={PAGE}: a page of {PAGE} of {SEED} tasks, {len(page)} B",
             read_rows(f"/api/tasks?limit={PAGE}", len(page), bare + "/1",
                       "reference: pgbench, the store's page query", PG_LIST, "list",
                       nodelay + "/1")),
        ]
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
                     f" {drained[1]:.0f} s after them", post_rows))

    print()
    print(f"HTTP throughput and latency: wrk -t{THREADS} -c{CONNECTIONS} -d{SECONDS}s per row"
          f" after a {WARM_S} s warm-up, on 127.0.0.1;")
    print(f"pgbench -c{workers} -j1 -T{SECONDS} -M extended"
          f" ({workers} = task-service's handler threads, one connection each)")
    print(f"  {'':<48} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    flagged = 0
    for title, rows in sections:
        print_section(title, rows)
        flagged += sum(1 for row in rows if row["problems"])
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
