#!/usr/bin/env bash
# A Docker engine of our own, for the deployment tests: Debian's docker.io
# (dockerd, containerd, runc), started by hand as root on a unix socket
# under .run/docker/ with its own data and exec roots. It never touches the
# host firewall (--iptables=false), makes no default bridge, and publishes
# only what compose asks for (the gateway, on 127.0.0.1).
#
#   scripts/deploy/docker.sh install   install if missing; prints dockerd's path
#   scripts/deploy/docker.sh start     start (if not running); prints DOCKER_HOST=...
#   scripts/deploy/docker.sh stop      stop it and every container it runs
#   scripts/deploy/docker.sh env       DOCKER_HOST and DOCKER_CONFIG assignments
#
# DOCKER_RUN (default .run/docker) holds the socket, pid file and logs;
# DOCKER_DATA (default $DOCKER_RUN/data) the images, kept between runs so a
# second image build is mostly cached.
set -euo pipefail
TOOL=docker
. "$(dirname "$0")/lib.sh"

RUN_DIR="${DOCKER_RUN:-$ROOT/.run/docker}"
DATA="${DOCKER_DATA:-$RUN_DIR/data}"
# containerd's sockets live under the exec root: keep it short (108-byte
# limit of a unix socket path).
EXEC="${DOCKER_EXEC:-/run/todo-docker-$(echo "$RUN_DIR" | sha256sum | cut -c1-8)}"
SOCK="$RUN_DIR/docker.sock"
PIDF="$RUN_DIR/dockerd.pid"
CONF="$RUN_DIR/config"   # DOCKER_CONFIG: holds the compose CLI plugin

install() {
  if ! command -v dockerd >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1 \
     || ! command -v containerd >/dev/null 2>&1; then
    say "installing docker.io, containerd, runc (Debian)"
    # The packages' maintainer scripts would start a system-wide dockerd with
    # its default bridge and firewall rules: forbid service starts while
    # they run (policy-rc.d), unless the machine already has such a policy.
    local policy=/usr/sbin/policy-rc.d made=0
    if [ ! -e $policy ]; then
      printf '#!/bin/sh\nexit 101\n' | $SUDO tee $policy >/dev/null
      $SUDO chmod 755 $policy; made=1
    fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      docker.io containerd runc iptables >/dev/null || { [ $made -eq 0 ] || $SUDO rm -f $policy; exit 1; }
    [ $made -eq 0 ] || $SUDO rm -f $policy
  fi
  command -v dockerd
}

running() { [ -f "$PIDF" ] && kill -0 "$(cat "$PIDF")" 2>/dev/null; }

env_lines() {
  echo "DOCKER_HOST=unix://$SOCK"
  echo "DOCKER_CONFIG=$CONF"
}

start() {
  [ "$(id -u)" -eq 0 ] || { say "dockerd must run as root"; exit 1; }
  local dockerd; dockerd=$(install)
  mkdir -p "$RUN_DIR" "$DATA" "$CONF"
  if running; then env_lines; return 0; fi
  rm -f "$SOCK"
  # dockerd starts its own containerd under the exec root. No TCP listener,
  # no default bridge, no iptables/NAT, no IP forwarding: containers on a
  # compose network reach each other and nothing else.
  # Niced: builds and containers inherit it (the machine is shared).
  setsid nice -n "${DOCKER_NICE:-10}" "$dockerd" -H "unix://$SOCK" --pidfile "$PIDF" \
    --data-root "$DATA" --exec-root "$EXEC" \
    --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false --bridge=none \
    --storage-driver "${DOCKER_STORAGE_DRIVER:-overlay2}" \
    --log-driver json-file --log-opt max-size=10m \
    --userland-proxy=true --no-new-privileges=false \
    >>"$RUN_DIR/dockerd.log" 2>&1 </dev/null &
  local i
  for ((i = 0; i < 120; i++)); do
    if DOCKER_HOST="unix://$SOCK" docker version >/dev/null 2>&1; then env_lines; return 0; fi
    sleep 0.5
  done
  say "dockerd did not come up in 60s; see $RUN_DIR/dockerd.log"
  tail -n 20 "$RUN_DIR/dockerd.log" >&2 || true
  stop
  exit 1
}

stop() {
  if running; then
    local pid; pid=$(cat "$PIDF")
    # Containers first (their own stop timeouts), then the daemon, which
    # stops its containerd.
    local ids; ids=$(DOCKER_HOST="unix://$SOCK" docker ps -q 2>/dev/null || true)
    [ -z "$ids" ] || DOCKER_HOST="unix://$SOCK" docker stop -t 10 $ids >/dev/null 2>&1 || true
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 60; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
      say "dockerd did not stop in 30s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$PIDF" "$SOCK"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  env) env_lines ;;
  *) echo "usage: $0 install|start|stop|env" >&2; exit 2 ;;
esac
