#!/usr/bin/env bash
# A real Kubernetes API server for the chart tests: etcd and kube-apiserver
# (cached builds), both on 127.0.0.1 only, state under .run/kube (wiped at
# each start). No scheduler, controller-manager or kubelet: objects are
# validated and stored, nothing runs.
#
#   scripts/deploy/kube.sh start   prints KUBECONFIG=...
#   scripts/deploy/kube.sh stop
#
# Ports: KUBE_PORT (18443), ETCD_PORT (14379) and ETCD_PORT+1 (peer).
# `kubectl` prints a kubectl: the machine's, else one built like the server.
set -euo pipefail
TOOL=kube
. "$(dirname "$0")/lib.sh"
D="${KUBE_RUN:-$ROOT/.run/kube}"
KUBE_PORT="${KUBE_PORT:-18443}"
ETCD_PORT="${ETCD_PORT:-14379}"

running() { [ -f "$D/$1.pid" ] && kill -0 "$(cat "$D/$1.pid")" 2>/dev/null; }

stop_one() {
  running "$1" || { rm -f "$D/$1.pid"; return 0; }
  local pid i; pid=$(cat "$D/$1.pid")
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 60; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$D/$1.pid"
}

stop() { stop_one kube-apiserver; stop_one etcd; }

start() {
  local etcd kas; etcd=$("$ROOT/scripts/deploy/etcd.sh"); kas=$("$ROOT/scripts/deploy/k8s-build.sh" kube-apiserver)
  stop
  rm -rf "$D"; mkdir -p "$D/certs"; chmod 700 "$D"
  setsid nice "$etcd" --name todo --data-dir "$D/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
    --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
    --initial-cluster "todo=http://127.0.0.1:$((ETCD_PORT + 1))" \
    --log-level warn >"$D/etcd.log" 2>&1 </dev/null &
  echo $! > "$D/etcd.pid"
  # A service-account signing key and an admin token made for this run.
  openssl genrsa -out "$D/sa.key" 2048 2>/dev/null
  openssl rsa -in "$D/sa.key" -pubout -out "$D/sa.pub" 2>/dev/null
  local token; token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  echo "$token,admin,admin,\"system:masters\"" > "$D/tokens.csv"
  setsid nice "$kas" --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$KUBE_PORT" \
    --cert-dir "$D/certs" --token-auth-file "$D/tokens.csv" --authorization-mode RBAC \
    --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$D/sa.pub" \
    --service-account-signing-key-file "$D/sa.key" --service-cluster-ip-range 10.96.0.0/16 \
    --allow-privileged=false --profiling=false --endpoint-reconciler-type none \
    >"$D/kube-apiserver.log" 2>&1 </dev/null &
  echo $! > "$D/kube-apiserver.pid"
  cat > "$D/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
  - name: local
    cluster: {server: "https://127.0.0.1:$KUBE_PORT", certificate-authority: "$D/certs/apiserver.crt"}
users:
  - name: admin
    user: {token: "$token"}
contexts:
  - name: local
    context: {cluster: local, user: admin}
current-context: local
KC
  local i
  for ((i = 0; i < 240; i++)); do
    if [ -f "$D/certs/apiserver.crt" ] &&
       KUBECONFIG="$D/kubeconfig" "$("$0" kubectl)" get --raw /readyz >/dev/null 2>&1; then
      echo "KUBECONFIG=$D/kubeconfig"; return 0
    fi
    running kube-apiserver || break
    sleep 0.5
  done
  say "kube-apiserver did not become ready; see $D/kube-apiserver.log"
  tail -n 20 "$D/kube-apiserver.log" >&2 || true
  stop
  exit 1
}

case "${1:-}" in
  kubectl) command -v kubectl || "$ROOT/scripts/deploy/k8s-build.sh" kubectl ;;
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop|kubectl" >&2; exit 2 ;;
esac
