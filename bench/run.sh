#!/usr/bin/env bash
# make bench: starts a stack of its own (profile "bench", ports +23000, data
# in .run/bench, wiped first), measures reminder lateness against it
# (bench/reminder_lateness.py), and always stops it. Its ports sit clear of
# the dev (0), test (10000) and engineers' (20000-22000) stacks and below
# the ephemeral range.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export STACK_PROFILE="${BENCH_PROFILE:-bench}"
export STACK_PORT_OFFSET="${BENCH_PORT_OFFSET:-23000}"

"$ROOT/scripts/stack.sh" down >/dev/null 2>&1 || true
rm -rf "$ROOT/.run/$STACK_PROFILE"
trap '"$ROOT/scripts/stack.sh" down >/dev/null 2>&1 || true' EXIT

if ! "$ROOT/scripts/stack.sh" up; then
  tail -n 20 "$ROOT"/.run/"$STACK_PROFILE"/logs/*.log
  exit 1
fi
eval "$("$ROOT/scripts/stack.sh" env)"
export STACK_RUN GATEWAY_URL KAFKA_BROKERS TODO_BIN="$ROOT/build/bin"
/usr/bin/python3 "$ROOT/bench/reminder_lateness.py"
