"""Helpers the make bench steps share (bench/*.py). Importing this module
also makes tests/system/conftest.py importable, whose helpers (request,
register, psql, ...) the bench reuses against its own stack."""
import math
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "system"))


def pct(values, p):
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]
