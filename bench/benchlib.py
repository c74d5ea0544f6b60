"""Helpers the make bench steps share (bench/*.py). Importing this module
also makes tests/system/conftest.py importable, whose helpers (request,
register, psql, ...) the bench reuses against its own stack."""
import json
import math
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "system"))

MIB = 1024  # KiB


def pct(values, p):
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


def smaps(pid):
    """Resident memory of process pid in KiB, from /proc/<pid>/smaps_rollup:
    {"rss", "pss", "anon", "private"} (private = Private_Clean +
    Private_Dirty)."""
    f = {}
    with open(f"/proc/{pid}/smaps_rollup") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB":
                f[parts[0].rstrip(":")] = int(parts[1])
    return {"rss": f["Rss"], "pss": f["Pss"], "anon": f["Anonymous"],
            "private": f["Private_Clean"] + f["Private_Dirty"]}


class Helper:
    """A bench helper program (bench-http-ref, bench-floor-*) run for as
    long as the with-block lasts: it prints one line once ready (first_line)
    and exits when its stdin closes, so it never outlives the bench."""

    def __init__(self, *argv):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        self.first_line = self.proc.stdout.readline().strip()
        if not self.first_line:
            self.close()
            raise RuntimeError(f"{os.path.basename(argv[0])} did not start")
        self.pid = self.proc.pid

    def json(self):
        return json.loads(self.first_line)

    def close(self):
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            rc = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc.stdout.close()
        return rc

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
