#!/usr/bin/env bash
# The web app's browser suite (web/e2e) against a running stack: installs
# Debian's Chromium when missing (browsers cannot be downloaded here) and
# the npm packages, restarts the stack's api-gateway with a short
# access-token lifetime (E2E_ACCESS_TTL_S, default 20 s) so the app has to
# refresh its session, then runs the suite. STACK_PROFILE and
# STACK_PORT_OFFSET name the stack, as for scripts/stack.sh.
# Screenshots go to web/build/e2e/ (E2E_OUT).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

if [ ! -x /usr/bin/chromium ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "web-e2e: installing chromium" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null ||
    { echo "web-e2e: cannot install chromium" >&2; exit 1; }
fi
"$ROOT/scripts/build-web.sh" || exit 1

eval "$("$ROOT/scripts/stack.sh" env)"
export GATEWAY_URL
ttl=${E2E_ACCESS_TTL_S:-20}
if [ "$ttl" != 0 ]; then
  "$ROOT/scripts/stack.sh" stop api-gateway
  ACCESS_TOKEN_TTL_S=$ttl "$ROOT/scripts/stack.sh" start api-gateway || exit 1
fi
cd "$ROOT/web"
node e2e/run.mjs
rc=$?
if [ "$ttl" != 0 ]; then
  # Back to the stack's own lifetime.
  "$ROOT/scripts/stack.sh" stop api-gateway
  "$ROOT/scripts/stack.sh" start api-gateway >/dev/null 2>&1 || true
fi
exit $rc
