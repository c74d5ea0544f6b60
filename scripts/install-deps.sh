#!/usr/bin/env bash
# Installs the Debian packages the build, the local stack, the tests and the
# bench need.
# Idempotent: asks apt only for what is missing.
set -euo pipefail

PKGS=(
  build-essential cmake ninja-build pkg-config git curl ca-certificates util-linux
  clang libclang-rt-14-dev # libFuzzer and the sanitizer runtimes of Debian 12's clang 14
  libevent-dev libcjson-dev libpq-dev librdkafka-dev libhiredis-dev
  libjwt-dev libcurl4-openssl-dev libsodium-dev libical-dev tzdata libcmocka-dev
  postgresql redis-server
  default-jre-headless maven
  python3 python3-pytest python3-jsonschema python3-yaml python3-aiosmtpd python3-venv
  python3-h2 openssl # the sidecars' gRPC API in the zero-trust tests; the stack's trust bundle
  iproute2 procps wrk
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian packages start system-wide servers; the suite runs its own on
# loopback with its own data, so stop those to keep ports and memory free.
for svc in postgresql redis-server; do
  $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || $SUDO service "$svc" stop >/dev/null 2>&1 || true
done
