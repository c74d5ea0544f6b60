#!/usr/bin/env bash
# make bench: starts a stack of its own (profile "bench", ports +23000, data
# in .run/bench, wiped first), measures it (bench/README.md) and always
# stops it: the services' idle memory once settled, reminder lateness, HTTP
# throughput and latency, then the memory again and its table. Each step
# runs even when an earlier one failed; any failure makes the exit status 1.
# Its ports sit clear of the dev (0), test (10000) and engineers'
# (20000-22000) stacks and below the ephemeral range.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
export STACK_PROFILE="${BENCH_PROFILE:-bench}"
export STACK_PORT_OFFSET="${BENCH_PORT_OFFSET:-23000}"

"$ROOT/scripts/stack.sh" down >/dev/null 2>&1 || true
rm -rf "$ROOT/.run/$STACK_PROFILE"
trap '"$ROOT/scripts/stack.sh" down >/dev/null 2>&1 || true' EXIT

if ! "$ROOT/scripts/stack.sh" up; then
  tail -n 20 "$ROOT"/.run/"$STACK_PROFILE"/logs/*.log
  exit 1
fi
set -a
eval "$("$ROOT/scripts/stack.sh" env)"
set +a
export TODO_BIN="$ROOT/build/bin"

rc=0
step() { # step NAME CMD...: runs CMD, remembers a failure
  local name=$1; shift
  if ! "$@"; then
    echo "bench: $name failed" >&2
    rc=1
  fi
}
memory="$STACK_RUN/idle-memory.json"
step "idle memory" "$PY" "$ROOT/bench/idle_memory.py" before "$memory"
step "reminder lateness" "$PY" "$ROOT/bench/reminder_lateness.py"
step "throughput" "$PY" "$ROOT/bench/throughput.py"
[ -f "$memory" ] && step "idle memory" "$PY" "$ROOT/bench/idle_memory.py" after "$memory"
exit $rc
