#!/usr/bin/env bash
# `make deploy-test`: proves the deployment on this machine.
#  1. Images: every image built on our own Docker engine (loopback socket,
#     no firewall rules, no default bridge) from a debootstrapped base.
#  2. Compose: `docker compose up` of the users' docker-compose.yml (only the
#     image variables differ), wait healthy, run the spine against it
#     (scripts/deploy/spine.py), check that our daemons listen on loopback
#     only, `docker compose down -v`, check that nothing is left.
#  3. Kubernetes: k8s/ is what the chart renders (make k8s), passes
#     kubernetes-validate --strict and kube-score; then etcd + kube-apiserver
#     on 127.0.0.1, Dapr's CRDs, `helm install` per environment into its
#     own namespace (stored, not a dry run), each checked against its values
#     (scripts/deploy/check_chart.py), and bad values refused by the schema.
# Every daemon it starts is stopped at the end, also on failure.
#
# DEPLOY_PORT_OFFSET (12000) moves its ports: the gateway at 8080+offset,
# kube-apiserver at 6443+offset, etcd at 2379+offset (and +1).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
D="$ROOT/scripts/deploy"
OFF="${DEPLOY_PORT_OFFSET:-12000}"
PROJECT=todo-deploy-test
export TODO_HTTP_PORT=$((8080 + OFF)) KUBE_PORT=$((6443 + OFF)) ETCD_PORT=$((2379 + OFF))
T0=$(date +%s)
PY=/usr/bin/python3   # Debian's: its PyYAML comes with scripts/install-deps.sh
passed=0 failed=0
say() { echo "deploy-test: $*" >&2; }
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
phase() { echo "---- $* ($(( $(date +%s) - T0 )) s in)"; }

if [ "$(id -u)" -ne 0 ]; then
  say "needs root: it runs its own dockerd and installs Debian packages"; exit 1
fi

engine=0 kube=0
compose() { docker compose -p "$PROJECT" "$@"; }
cleanup() {
  if [ $engine -eq 1 ]; then
    compose down -v --remove-orphans >/dev/null 2>&1 || true
    # The engine is ours alone: no container of it outlives the test.
    docker ps -aq | xargs -r docker rm -f >/dev/null 2>&1 || true
    "$D/docker.sh" stop
  fi
  [ $kube -eq 0 ] || "$D/kube.sh" stop
}
trap cleanup EXIT
trap 'exit 130' INT TERM   # so that an interrupted run cleans up too

# Our daemons (dockerd, containerd, their proxies, etcd, kube-apiserver)
# must listen on loopback only.
listeners_on_loopback() {
  local wide
  wide=$(ss -ltnupH 2>/dev/null | grep -E '"(dockerd|containerd|docker-proxy|etcd|kube-apiserver)"' |
         awk '{print $5}' | grep -vE '^(127\.[0-9.]+|\[::1\]):[0-9]+$' || true)
  if [ -z "$wide" ]; then ok "$1: every listener of ours is on loopback"
  else bad "$1: listening off loopback: $wide"; fi
}

# ---- 1. engine and images --------------------------------------------------
phase "tools and images"
"$D/docker.sh" install >/dev/null || exit 1
"$D/compose.sh" >/dev/null || exit 1
eval "$("$D/docker.sh" start)" || exit 1
export DOCKER_HOST DOCKER_CONFIG
engine=1
t=$(date +%s)
if images=$("$D/images.sh"); then
  ok "images built ($(( $(date +%s) - t )) s)"
else
  bad "image build"; exit 1
fi
while IFS='=' read -r k v; do export "$k=$v"; done <<< "$images"

# ---- 2. docker compose -----------------------------------------------------
phase "docker compose"
# The users' compose file with no variable set: only the web container (the
# app and the /api proxy) is published, on 127.0.0.1:8080; no sidecar uses
# mDNS; the official images.
defaults=$(env -i PATH="$PATH" DOCKER_CONFIG="$DOCKER_CONFIG" docker compose -f "$ROOT/docker-compose.yml" \
             config --format json | "$PY" -c '
import json, sys
svcs = json.load(sys.stdin)["services"]
ports = {n: [(p.get("host_ip"), p.get("published")) for p in s.get("ports", [])] for n, s in svcs.items()}
ports = {n: p for n, p in ports.items() if p}
if ports != {"web": [("127.0.0.1", "8080")]}:
    print("published:", ports)
images = {n: s["image"] for n, s in svcs.items()}
for n, want in (("api-gateway-dapr", "daprio/daprd:1.18"), ("kafka", "apache/kafka:"),
                ("postgres", "postgres:"), ("redis", "redis:"), ("task-service", "todo-suite/task-service:"),
                ("web", "todo-suite/web:")):
    if not images[n].startswith(want):
        print(n, "runs", images[n])
if svcs["web"]["build"]["args"].get("NODE_IMAGE") != "node:22-bookworm-slim":
    print("web is built in", svcs["web"]["build"]["args"].get("NODE_IMAGE"))
for n, s in svcs.items():
    if "mdns" in json.dumps(s).lower():
        print(n, "mentions mDNS")
')
if [ -z "$defaults" ]; then ok "docker-compose.yml as users run it: only the web front on 127.0.0.1:8080, official images"
else bad "docker-compose.yml defaults: $defaults"; fi
# What compose would build for users is what was just built: each service
# with a build section names an image made from the same Dockerfile, target
# and SERVICE (the web image: its own Dockerfile).
mismatch=$(compose config --format json | "$PY" -c '
import json, os, subprocess, sys
for name, s in json.load(sys.stdin)["services"].items():
    b = s.get("build")
    if not b:
        continue
    dockerfile = os.path.relpath(os.path.join(b["context"], b.get("dockerfile", "Dockerfile")), sys.argv[1])
    if dockerfile == "Dockerfile":
        want, ok = "todo-suite " + b.get("args", {}).get("SERVICE", ""), b.get("target") == "service"
    else:
        want, ok = "todo-suite web", dockerfile == "deploy/images/web/Dockerfile"
    out = subprocess.run(["docker", "image", "inspect", "-f", "{{json .Config.Labels}}", s["image"]],
                         capture_output=True, text=True).stdout
    got = (json.loads(out) or {}).get("org.opencontainers.image.title") if out else None
    if not ok or got != want:
        print("%s: %s is %r, compose builds %r from %s" % (name, s["image"], got, want, dockerfile))
' "$ROOT")
if [ -z "$mismatch" ]; then ok "every image compose would build was built from the same target and arguments"
else bad "compose and make images disagree: $mismatch"; fi
compose down -v --remove-orphans >/dev/null 2>&1
t=$(date +%s)
if compose up -d --no-build --pull never --wait --wait-timeout 300 >"$ROOT/.run/docker/compose-up.log" 2>&1; then
  ok "docker compose up: every service healthy ($(( $(date +%s) - t )) s)"
  state="$ROOT/.run/docker/spine-state.json"
  if "$PY" "$D/spine.py" --state "$state" "http://127.0.0.1:$TODO_HTTP_PORT" docker compose -p "$PROJECT"; then
    ok "the spine passes against the suite in containers"
  else
    bad "the spine against the suite in containers"
  fi
  # Down and up again, volumes kept: the secrets made on first start, the
  # accounts, tasks and notifications are all still there.
  t=$(date +%s)
  if compose down >/dev/null 2>&1 &&
     compose up -d --no-build --pull never --wait --wait-timeout 300 >>"$ROOT/.run/docker/compose-up.log" 2>&1 &&
     "$PY" "$D/spine.py" --again "$state" "http://127.0.0.1:$TODO_HTTP_PORT"; then
    ok "down and up again: data and secrets kept ($(( $(date +%s) - t )) s)"
  else
    bad "down and up again"
  fi
else
  bad "docker compose up (see below)"
  tail -n 20 "$ROOT/.run/docker/compose-up.log"
  compose ps -a
fi
listeners_on_loopback compose
# The web image as the cluster runs it (behind the ingress, which routes
# /api itself): no API_UPSTREAM, so static files only; no network,
# read-only root, /tmp only.
web=$(docker run -d --network none --read-only --tmpfs /tmp --cap-drop ALL \
        "${TODO_IMAGE_PREFIX}web:$TODO_TAG" 2>&1)
for _ in $(seq 60); do
  [ "$(docker inspect -f '{{.State.Health.Status}}' "$web" 2>/dev/null)" = healthy ] && break; sleep 0.5
done
if [ "$(docker inspect -f '{{.State.Health.Status}}' "$web" 2>/dev/null)" = healthy ] &&
   docker exec "$web" /usr/local/bin/todo-healthcheck /index.html &&
   [ -z "$(docker exec "$web" ls /tmp/nginx)" ]; then
  ok "web image alone: healthy, serving index.html as user $(docker exec "$web" id -u), read-only root, no /api proxy"
else
  bad "web image alone: $(docker logs "$web" 2>&1 | tail -n 5)"
fi
docker rm -f "$web" >/dev/null 2>&1
# A bad API_UPSTREAM stops it at once, saying why.
# (Removed here, not by --rm: the daemon's own removal may lag behind the
# check for leftovers below.)
web=$(docker run -d --network none --read-only --tmpfs /tmp --cap-drop ALL -e 'API_UPSTREAM=x;y' \
        "${TODO_IMAGE_PREFIX}web:$TODO_TAG" 2>&1)
rc=$(timeout 30 docker wait "$web" 2>&1)
if [ "$rc" = 2 ] && docker logs "$web" 2>&1 | grep -q 'API_UPSTREAM must be host:port'; then
  ok "web image: a bad API_UPSTREAM is refused at start"
else
  bad "web image with API_UPSTREAM='x;y': exit $rc, $(docker logs "$web" 2>&1 | tail -n 3)"
fi
docker rm -f "$web" >/dev/null 2>&1
[ $failed -eq 0 ] || compose logs --tail 30 2>&1 | tail -n 200
compose down -v --remove-orphans >/dev/null 2>&1
left=$(docker ps -aq; docker volume ls -q --filter "label=com.docker.compose.project=$PROJECT";
       docker network ls -q --filter "label=com.docker.compose.project=$PROJECT")
if [ -z "$left" ]; then ok "docker compose down -v leaves no container, volume or network"
else bad "left after down -v: $left"; fi
"$D/docker.sh" stop; engine=0
if pgrep -f "$ROOT/.run/docker/docker.sock" >/dev/null; then bad "dockerd still running"
else ok "the engine stopped"; fi

# ---- 3. Kubernetes ---------------------------------------------------------
phase "Kubernetes manifests and chart"
if "$D/render-k8s.sh" --check; then ok "k8s/ is what the chart renders"; else bad "k8s/ is stale (make k8s)"; fi
if "$D/lint-k8s.sh"; then ok "k8s/ passes kubernetes-validate --strict and kube-score"
else bad "k8s/ lint"; fi
HELM=$("$D/helm.sh") || exit 1
KUBECTL=$("$D/kube.sh" kubectl) || exit 1
export HELM KUBECTL
kubectl() { "$KUBECTL" "$@"; }
kc=$("$D/kube.sh" start) && kube=1 || { bad "kube-apiserver did not start"; }
if [ $kube -eq 1 ]; then
  export "$kc"
  listeners_on_loopback kube-apiserver
  if crds=$("$D/dapr-crds.sh") && kubectl apply -f "$crds" >/dev/null &&
     kubectl wait --for condition=established --timeout 60s crd --all >/dev/null; then
    ok "Dapr's CRDs applied"
  else
    bad "Dapr's CRDs"
  fi
  for env in dev staging prod; do
    ns=todo-$env
    if "$HELM" lint --strict "$ROOT/helm/todo-suite" -f "$ROOT/helm/todo-suite/values-$env.yaml" \
         2>&1 | grep -v 'found symbolic link' > "$ROOT/.run/kube/lint-$env.log" &&
       grep -q '0 chart(s) failed' "$ROOT/.run/kube/lint-$env.log"; then
      ok "$env: helm lint --strict"
    else
      bad "$env: helm lint --strict"; cat "$ROOT/.run/kube/lint-$env.log"
    fi
    # No controller-manager runs: the namespace's default account is ours to make.
    kubectl create namespace "$ns" >/dev/null && kubectl -n "$ns" create serviceaccount default >/dev/null
    if "$HELM" install todo "$ROOT/helm/todo-suite" -n "$ns" -f "$ROOT/helm/todo-suite/values-$env.yaml" \
         >"$ROOT/.run/kube/install-$env.log" 2>&1; then
      ok "$env: helm install into $ns"
    else
      bad "$env: helm install"; cat "$ROOT/.run/kube/install-$env.log"
    fi
    # The server warns about fields its schemas (Dapr's CRDs included) do not know.
    if grep -i 'unknown field' "$ROOT/.run/kube/install-$env.log"; then bad "$env: the server found unknown fields"
    else ok "$env: no field unknown to the server"; fi
    if "$PY" "$D/check_chart.py" "$env" "$ns" todo > "$ROOT/.run/kube/check-$env.log" 2>&1; then
      ok "$env: the stored release matches its values ($(tail -n 1 "$ROOT/.run/kube/check-$env.log" | sed 's/^[a-z]*: //'))"
    else
      bad "$env: the stored release does not match its values"; grep -E '^FAIL|Error|Traceback' -A3 "$ROOT/.run/kube/check-$env.log"
    fi
  done
  # An upgrade keeps the Secrets the chart made (they are read back, not made anew).
  key() { kubectl -n todo-dev get secret jwt-signing-key -o jsonpath='{.data.jwt-signing-key}'; }
  k1=$(key)
  if "$HELM" upgrade todo "$ROOT/helm/todo-suite" -n todo-dev -f "$ROOT/helm/todo-suite/values-dev.yaml" \
       --set logLevel=info >/dev/null 2>&1 && [ -n "$k1" ] && [ "$(key)" = "$k1" ]; then
    ok "dev: helm upgrade keeps the generated Secrets"
  else
    bad "dev: helm upgrade changed or lost the JWT key"
  fi
  # Bad values are refused at install time, with a clear message, storing nothing.
  for bad_value in "logLevel=verbose" "services.task-service.port=0" "ingress.host=Not A Host" \
                   "resources.limits.memory=lots"; do
    out=$("$HELM" install bad "$ROOT/helm/todo-suite" -n todo-dev -f "$ROOT/helm/todo-suite/values-dev.yaml" \
            --set "$bad_value" 2>&1)
    if [ $? -ne 0 ] && echo "$out" | grep -q "values don't meet the specifications of the schema" &&
       ! "$HELM" status bad -n todo-dev >/dev/null 2>&1; then
      ok "refused by values.schema.json: $bad_value ($(echo "$out" | grep -m1 "^- at" ))"
    else
      bad "not refused: $bad_value: $out"
    fi
  done
  "$D/kube.sh" stop; kube=0
  if pgrep -f "$ROOT/.run/kube/" >/dev/null; then bad "etcd or kube-apiserver still running"
  else ok "etcd and kube-apiserver stopped"; fi
fi

phase "done"
echo "deploy-test took $(( $(date +%s) - T0 )) s"
echo "deploy-test: $passed passed, $failed failed"
[ $failed -eq 0 ]
