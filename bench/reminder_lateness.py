#!/usr/bin/env python3
"""Reminder lateness (make bench). Against a running stack (bench/run.sh
starts one): creates BENCH_REMINDERS reminders spread evenly over
BENCH_SPREAD_S seconds through the API, reads reminder-due from Kafka, and
prints p50/p99/max of fired_at - remind_at and of the Kafka record's
timestamp - remind_at. Beside them, the reference measured over the same
window (bench-lateness-ref): a plain timer thread's wake-up lateness, and
that plus a raw Kafka produce. Exits 1 when a reminder is missing or came
twice."""
import datetime
import json
import os
import subprocess
import sys
import time

from benchlib import pct
from conftest import BIN, GATEWAY, bearer, kafka_events, register, request

N = int(os.environ.get("BENCH_REMINDERS", "300"))
SPREAD_S = float(os.environ.get("BENCH_SPREAD_S", "20"))
LEAD_S = float(os.environ.get("BENCH_LEAD_S", "8"))  # time to create them all first
SETTLE_S = 5  # after the last one, for stragglers and duplicates
REF_TOPIC = "bench-ref"


def now_ms():
    return time.time_ns() // 1_000_000


def rfc3339(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).isoformat(
        timespec="milliseconds")


def parse_ms(s):
    t = datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
    return round(t.timestamp() * 1000)


def row(name, values):
    if not values:
        return f"{name:<38} {0:>5} {'-':>7} {'-':>7} {'-':>7} {'-':>7}"
    return (f"{name:<38} {len(values):>5} {sum(values) / len(values):>7.1f}"
            f" {pct(values, 50):>7} {pct(values, 99):>7} {max(values):>7}")


def main():
    brokers = os.environ["KAFKA_BROKERS"]
    subprocess.run([os.path.join(BIN, "todo-events"), "-b", brokers, "--create-topics",
                    REF_TOPIC], check=True, capture_output=True, timeout=60)
    h = bearer(register()["access_token"])
    # One reminder first, so every path (gateway, task-service, relay,
    # sidecars, Kafka) is warm before the measured ones.
    warm = request("POST", GATEWAY + "/api/tasks",
                   {"title": "warm-up", "remind_at": rfc3339(now_ms() + 1000)}, h)
    assert warm.status == 201, warm.body

    start = now_ms() + int(LEAD_S * 1000)
    spread = int(SPREAD_S * 1000)
    step = spread / max(1, N - 1)
    due = [start + round(i * step) for i in range(N)]
    # The reference runs over the same window, its deadlines between ours.
    ref = subprocess.Popen([os.path.join(BIN, "bench-lateness-ref"), brokers, REF_TOPIC,
                            str(N), str(start + round(step / 2)), str(spread)],
                           stdout=subprocess.PIPE, text=True)
    tasks = {}
    late_created = 0
    for i, at in enumerate(due):
        r = request("POST", GATEWAY + "/api/tasks",
                    {"title": f"bench {i}", "remind_at": rfc3339(at)}, h)
        assert r.status == 201, r.body
        tasks[r.json()["id"]] = at
        if now_ms() > at:
            late_created += 1
    created_in = (now_ms() - (start - int(LEAD_S * 1000))) / 1000

    time.sleep(max(0, (due[-1] - now_ms()) / 1000) + SETTLE_S)
    ref_out, _ = ref.communicate(timeout=60)

    fired, kafka, seen = [], [], {}
    for e in kafka_events("reminder-due"):
        tid = e["key"]
        if tid not in tasks:
            continue
        seen[tid] = seen.get(tid, 0) + 1
        if seen[tid] > 1:
            continue
        data = e["event"]["data"]
        at = parse_ms(data["remind_at"])
        fired.append(parse_ms(data["fired_at"]) - at)
        kafka.append(e["timestamp"] - at)

    ref_timer = []
    for line in ref_out.splitlines():
        d = json.loads(line)
        ref_timer.append(d["woke_ms"] - d["deadline_ms"])
    ref_kafka = [e["timestamp"] - e["event"]["deadline_ms"] for e in kafka_events(REF_TOPIC)
                 if isinstance(e.get("event"), dict)]

    missing = len(tasks) - len(seen)
    twice = sum(1 for n in seen.values() if n > 1)
    print()
    print(f"reminder lateness: {N} reminders over {SPREAD_S:g} s "
          f"(created through the API in {created_in:.1f} s), ms after the due time")
    print(f"{'':<38} {'n':>5} {'mean':>7} {'p50':>7} {'p99':>7} {'max':>7}")
    print(row("reminder-service: fired_at", fired))
    print(row("reminder-service: Kafka record", kafka))
    print(row("reference: timer thread wake-up", ref_timer))
    print(row("reference: timer + raw Kafka produce", ref_kafka))
    print(f"fired {len(seen)}/{len(tasks)}: {missing} missing, {twice} more than once"
          + (f"; {late_created} were created after their time" if late_created else ""))
    return 0 if missing == 0 and twice == 0 and ref.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
