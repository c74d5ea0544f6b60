#!/usr/bin/env python3
"""Idle memory (make bench), from /proc/<pid>/smaps_rollup. Against a running
stack (bench/run.sh starts one):

  idle_memory.py before FILE   waits until the six services' memory is
                               steady, measures them, each service's library
                               floor (bench-floor-<service>) and the bare
                               libevent server (bench-http-ref); saves to FILE
  idle_memory.py after FILE    once the load is over, waits until steady
                               again, measures the services and prints the
                               table beside the 10 MiB design bar

Exits 1 when a process cannot be found or measured; being over the bar is
reported, not an error."""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

from benchlib import MIB, Helper, smaps
from conftest import BIN, RUN, SERVICES

BAR = 10 * MIB
STEADY_S = 3  # RSS moving less than STEADY_KIB over this long is settled
STEADY_KIB = 64
SETTLE_MAX_S = float(os.environ.get("BENCH_SETTLE_MAX_S", "30"))


class BenchError(Exception):
    """A process could not be found or measured: the bench fails."""


def service_pid(name):
    """The pid scripts/stack.sh recorded for the service, checked to be
    that binary."""
    try:
        with open(os.path.join(RUN, "pids", name + ".pid")) as f:
            pid = int(f.read())
        exe = os.readlink(f"/proc/{pid}/exe")
    except (OSError, ValueError) as e:
        raise BenchError(f"{name}: no running process ({e})") from e
    if os.path.basename(exe.removesuffix(" (deleted)")) != name:
        raise BenchError(f"{name}: pid {pid} is {exe}")
    return pid


def settle():
    """Samples the services once a second until each one's RSS moved less
    than STEADY_KIB over STEADY_S seconds, or SETTLE_MAX_S passed. Returns
    the last sample, the seconds waited and whether they settled."""
    pids = {name: service_pid(name) for name in SERVICES}
    start = time.monotonic()
    history = []
    while True:
        try:
            history.append({name: smaps(pid) for name, pid in pids.items()})
        except OSError as e:
            raise BenchError(f"reading smaps_rollup: {e}") from e
        window = history[-(STEADY_S + 1):]
        steady = len(window) > STEADY_S and all(
            max(s[n]["rss"] for s in window) - min(s[n]["rss"] for s in window) < STEADY_KIB
            for n in pids)
        waited = time.monotonic() - start
        if steady or waited > SETTLE_MAX_S:
            return history[-1], round(waited), steady
        time.sleep(1)


# The libraries that bring trees of their own, in the order a library
# loaded by two of them is counted (libcrypto goes to libpq's when both).
TREES = ("libpq", "libical", "libcurl", "libjwt", "libhiredis", "libsodium", "libcjson",
         "libevent")


def resolved(path):
    """A library's real file name (libpq.so.5 -> libpq.so.5.15)."""
    return os.path.basename(os.path.realpath(path))


def ldd(path):
    """The real file names of everything path loads, itself excluded."""
    out = subprocess.run(["ldd", path], capture_output=True, text=True).stdout
    return {resolved(m) for m in re.findall(r"=> (/\S+)", out)}


def library_trees(binary):
    """{tree: set of real file names} for the trees the binary loads: each
    DT_NEEDED library of TREES with everything it loads but libc."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout
    direct = dict(re.findall(r"^\s*(\S+) => (/\S+)", out, re.M))
    base = set()
    for soname, path in direct.items():
        if soname.startswith(("libc.so", "ld-linux")):
            base |= {resolved(path)} | ldd(path)
    trees, taken = {}, set(base)
    for tree in TREES:
        for soname, path in direct.items():
            if soname.startswith(tree + ".") or soname.startswith(tree + "-"):
                files = ({resolved(path)} | ldd(path)) - taken
                trees[tree] = files
                taken |= files
    return trees


def rss_by_file(pid):
    """Resident KiB of each mapped file of pid (real file names), anonymous
    memory under "".
    """
    out, cur = {}, ""
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            head = line.split()
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                cur = os.path.basename(head[5]) if len(head) > 5 and head[5].startswith("/") \
                    else ""
            elif head and head[0] == "Rss:":
                out[cur] = out.get(cur, 0) + int(head[1])
    return out


def attribute(name, pid):
    """Where a service's resident memory goes, KiB: its own (program, heap,
    stacks, anonymous), libc, and each library tree it loads."""
    trees = library_trees(os.path.join(BIN, name))
    by_file = rss_by_file(pid)
    parts = {"own": 0, "libc": 0, **{t: 0 for t in trees}}
    for file, kib in by_file.items():
        tree = next((t for t, files in trees.items() if file in files), None)
        if tree:
            parts[tree] += kib
        elif file in ("", name) or file.startswith("["):
            parts["own"] += kib
        else:
            parts["libc"] += kib
    return parts


def before(path):
    services, waited, steady = settle()
    parts = {name: attribute(name, service_pid(name)) for name in SERVICES}
    floors = {}
    for name in SERVICES:
        with Helper(os.path.join(BIN, "bench-floor-" + name)) as floor:
            floors[name] = smaps(floor.pid)
    with tempfile.NamedTemporaryFile("w", suffix=".json") as body:
        body.write('{"ok": true}')
        body.flush()
        with Helper(os.path.join(BIN, "bench-http-ref"), body.name) as ref:
            time.sleep(1)
            reference = smaps(ref.pid)
    with open(path, "w") as f:
        json.dump({"services": services, "waited": waited, "steady": steady,
                   "floors": floors, "reference": reference, "parts": parts}, f)
    print(f"idle memory: measured after {waited} s"
          + ("" if steady else " (not steady yet)") + "; the table comes last")


def mib(kib):
    return f"{kib / MIB:>6.1f}"


def after(path):
    with open(path) as f:
        b = json.load(f)
    later, waited, steady = settle()
    print()
    print("idle memory, MiB, from /proc/<pid>/smaps_rollup: each service once steady before"
          f" the load ({b['waited']} s" + ("" if b["steady"] else ", not steady") + ")"
          f" and again after it ({waited} s" + ("" if steady else ", not steady") + ");")
    print("floor: a do-nothing program linked to exactly the service's DT_NEEDED libraries;"
          " above floor: service - floor")
    print(f"{'':<34} {'--------- service ---------':>27}  {'-- floor --':>13}"
          f"  {'above floor':>13}  {'after':>6}")
    print(f"{'':<34} {'RSS':>6} {'PSS':>6} {'anon':>6} {'priv':>6}  {'RSS':>6} {'anon':>6}"
          f"  {'RSS':>6} {'anon':>6}  {'RSS':>6}  bar: {BAR // MIB} MiB RSS")
    over = []
    for name in SERVICES:
        s, fl, a = b["services"][name], b["floors"][name], later[name]
        verdict = "OVER" if s["rss"] >= BAR else "under"
        if s["rss"] >= BAR:
            over.append(name)
        if a["rss"] >= BAR and s["rss"] < BAR:
            verdict += ", over after the load"
        print(f"{name:<34} {mib(s['rss'])} {mib(s['pss'])} {mib(s['anon'])} {mib(s['private'])}"
              f"  {mib(fl['rss'])} {mib(fl['anon'])}  {mib(s['rss'] - fl['rss'])}"
              f" {mib(s['anon'] - fl['anon'])}  {mib(a['rss'])}  {verdict}")
    r = b["reference"]
    print(f"{'reference: bare libevent server':<34} {mib(r['rss'])} {mib(r['pss'])}"
          f" {mib(r['anon'])} {mib(r['private'])}")
    print(f"{'reference: the design bar':<34} {mib(BAR)}")
    fl = b["floors"]
    floors = [fl[n]["rss"] for n in SERVICES]
    anon = [b["services"][n]["anon"] - fl[n]["anon"] for n in SERVICES]
    floor_over = [n for n in SERVICES if fl[n]["rss"] >= BAR]
    under = [n for n in SERVICES if n not in over]
    print(f"over the {BAR // MIB} MiB bar (RSS, idle before the load): "
          + (", ".join(over) if over else "none")
          + (f"; under it: {', '.join(under)}" if under and over else "") + ".")
    print(f"The library floors alone are {min(floors) / MIB:.1f}-{max(floors) / MIB:.1f} MiB"
          + (f" (over the bar by themselves: {', '.join(floor_over)})" if floor_over else "")
          + f"; above the floor, anonymous memory (heap, stacks, written data) is"
          f" {min(anon) / MIB:.1f}-{max(anon) / MIB:.1f} MiB; the rest is file-backed:"
          " program and library code and data paged in by running.")
    print_parts(b["parts"], over)
    return 0


def print_parts(parts, over):
    """Where the idle RSS of each service goes, by library tree; then, for
    each service over the bar, the tree that keeps it there."""
    print()
    print("where the idle RSS goes, MiB (each library with everything it loads but libc;"
          " a library two of them load is counted once, under the first listed):")
    cols = ["own", "libc"] + [t for t in TREES if any(t in p for p in parts.values())]
    print(f"{'':<20}" + "".join(f"{c:>11}" for c in cols))
    for name in SERVICES:
        p = parts[name]
        print(f"{name:<20}" + "".join(f"{mib(p[c]) if c in p else '-':>11}" for c in cols))
    for name in over:
        p = parts[name]
        total = sum(p.values())
        heavy = [t for t in ("libpq", "libical", "libcurl") if p.get(t)]
        if not heavy:
            continue
        load = sum(p[t] for t in heavy)
        print(f"{name}: {', '.join(heavy)} and what they load hold {load / MIB:.1f} MiB of"
              f" its {total / MIB:.1f} MiB; without them it would idle at"
              f" {(total - load) / MIB:.1f} MiB ({'under' if total - load < BAR else 'over'}"
              f" the bar)")


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("before", "after"):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        if sys.argv[1] == "before":
            before(sys.argv[2])
            return 0
        return after(sys.argv[2])
    except BenchError as e:
        print(f"idle memory: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
