#!/usr/bin/env bash
# Starts a test stack of its own (ports +10000, data in .run/test, wiped
# first; STACK_PROFILE and STACK_PORT_OFFSET pick another), runs the system
# tests against it (PYTEST_ARGS picks some), then the web app's browser
# suite on the same stack (scripts/web-e2e.sh; WEB_E2E=0 skips it, and so
# does PYTEST_ARGS unless WEB_E2E=1), and always stops it. On failure
# prints the tail of every service's and sidecar's log.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export STACK_PROFILE="${STACK_PROFILE:-test}"
PY=/usr/bin/python3

"$ROOT/scripts/stack.sh" down >/dev/null 2>&1 || true
rm -rf "$ROOT/.run/$STACK_PROFILE"

dump_logs() {
  echo "---- last lines of each log in $ROOT/.run/$STACK_PROFILE/logs ----"
  for f in "$ROOT"/.run/$STACK_PROFILE/logs/*.log; do
    [ -f "$f" ] || continue
    echo "==== $(basename "$f")"
    tail -n 40 "$f"
  done
}

cleanup() { "$ROOT/scripts/stack.sh" down >/dev/null 2>&1 || true; }
trap cleanup EXIT

if ! "$ROOT/scripts/stack.sh" up; then
  dump_logs
  exit 1
fi
eval "$("$ROOT/scripts/stack.sh" env)"
export STACK_RUN GATEWAY_URL KAFKA_BROKERS PG_PORT REDIS_PORT SENTRY_ADDRESS SIDECAR_API_TOKENS MTLS \
  TODO_BIN="$ROOT/build/bin"
export $(compgen -v | grep -E '_URL$' | grep -E '^(API_GATEWAY|TASK_SERVICE|AI_AGENT|REMINDER_SERVICE|RECURRENCE_SERVICE|NOTIFIER)' )

cd "$ROOT"
"$PY" -m pytest -q -p no:cacheprovider ${PYTEST_ARGS:-tests/system}
rc=$?
web_default=1
[ -z "${PYTEST_ARGS:-}" ] || web_default=0
if [ "${WEB_E2E:-$web_default}" = 1 ]; then
  "$ROOT/scripts/web-e2e.sh"
  web_rc=$?
  [ $rc -ne 0 ] || rc=$web_rc
fi
if [ $rc -ne 0 ]; then dump_logs; fi
exit $rc
