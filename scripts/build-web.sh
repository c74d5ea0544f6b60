#!/usr/bin/env bash
# Builds the web app into web/dist: installs Node.js and npm from Debian
# when missing, `npm ci` (npm's cache in ~/.cache/todo-suite/npm, outside
# the repo) when node_modules is older than the lockfile, then `vite build`.
# A no-op when the output is newer than every source of it.
#   scripts/build-web.sh          build (if needed)
#   scripts/build-web.sh --deps   only make sure node_modules is installed
# WEB_OUT puts the build elsewhere (default web/dist; the web image's build
# stage writes straight into the folder it ships).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WEB="$ROOT/web"
OUT="${WEB_OUT:-$WEB/dist}"
case "$OUT" in /*) ;; *) OUT="$PWD/$OUT" ;; esac
export npm_config_cache="${npm_config_cache:-$HOME/.cache/todo-suite/npm}"
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "build-web: installing nodejs and npm" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
# Vite 8 needs Node 20.19+ (or 22.12+).
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=12)||(a===20&&b>=19)?0:1)'; then
  echo "build-web: Node.js $(node --version) is too old for Vite (20.19 or 22.12 and up)" >&2
  exit 1
fi

cd "$WEB"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "build-web: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
[ "${1:-}" = --deps ] && exit 0

if [ -f "$OUT/index.html" ] &&
   [ -z "$(find src public index.html vite.config.ts tsconfig.json package.json package-lock.json \
            -newer "$OUT/index.html" -print -quit 2>/dev/null)" ]; then
  exit 0
fi
echo "build-web: vite build -> $OUT" >&2
npx --no-install vite build --logLevel warn --outDir "$OUT" --emptyOutDir >&2
touch "$OUT/index.html"
