#!/usr/bin/env bash
# `make images`: builds every image of the suite on our Docker engine
# (scripts/deploy/docker.sh) and prints their sizes:
#   <prefix><service>:<tag>  each folder of services/, and todo-events
#   <prefix>web:<tag>        the web app behind nginx (deploy/images/web),
#                            built in TODO_NODE_IMAGE, else in
#   <prefix>node:<v>-local   this machine's own Node.js and npm on the base
#                            (deploy/images/node; users' builds take the
#                            official node image)
#   <prefix>daprd:<v>-local  from the cached daprd build (and sentry:<v>-local
#                            once scripts/build-sentry.sh exists)
#   <prefix>kafka:<v>-local, postgres:local, redis:local   for machines
#                            without a registry (users' compose takes the
#                            official images)
# The base image is TODO_BASE_IMAGE, else the one scripts/deploy/base-image.sh
# makes with debootstrap. Prints KEY=image lines for docker-compose.yml's
# variables on stdout.
set -euo pipefail
TOOL=images
. "$(dirname "$0")/lib.sh"
started=0
if [ -z "${DOCKER_HOST:-}" ]; then
  eval "$("$ROOT/scripts/deploy/docker.sh" start)"; started=1
  export DOCKER_HOST DOCKER_CONFIG
fi
stop_engine() { [ $started -eq 0 ] || "$ROOT/scripts/deploy/docker.sh" stop; }
trap stop_engine EXIT

BASE="${TODO_BASE_IMAGE:-$("$ROOT/scripts/deploy/base-image.sh")}"
PREFIX="${TODO_IMAGE_PREFIX:-todo-suite/}"
TAG="${TODO_TAG:-latest}"
DAPR_VERSION="${DAPR_VERSION:-v1.18.1}"
KAFKA_VERSION="${KAFKA_VERSION:-3.9.1}"
# The legacy builder unless buildx is there; host network for the build
# steps (our engine has no default bridge).
export DOCKER_BUILDKIT="${DOCKER_BUILDKIT:-$(docker buildx version >/dev/null 2>&1 && echo 1 || echo 0)}"
meta=(--build-arg "VERSION=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo dev)"
      --build-arg "REVISION=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)"
      --build-arg "CREATED=$(date -u +%FT%TZ)")
build() { # build TAG DOCKER-BUILD-ARGS...
  local tag=$1; shift
  say "building $tag"
  if ! docker build -q --network host --build-arg "BASE_IMAGE=$BASE" -t "$tag" "$@" >/dev/null \
       2>"$ROOT/.run/docker/build-$(echo "$tag" | tr '/:' '__').log"; then
    say "building $tag failed:"; tail -n 30 "$ROOT/.run/docker/build-$(echo "$tag" | tr '/:' '__').log" >&2
    exit 1
  fi
  built+=("$tag")
}
built=()
mkdir -p "$ROOT/.run/docker"
for svc in $(ls "$ROOT/services") todo-events; do
  build "$PREFIX$svc:$TAG" --target service --build-arg "SERVICE=$svc" "${meta[@]}" "$ROOT"
done

ctx=$(mktemp -d); trap 'rm -rf "$ctx"; stop_engine' EXIT
NODE_IMAGE="${TODO_NODE_IMAGE:-}"
if [ -z "$NODE_IMAGE" ]; then
  # The machine's Node.js (the one scripts/build-web.sh uses) and its npm,
  # with the CA bundle they trust here.
  node=$(command -v node) && npm=$(command -v npm) ||
    { say "no Node.js here: run make web (it installs one), or set TODO_NODE_IMAGE"; exit 1; }
  nv=$(node --version)
  cp "$(readlink -f "$node")" "$ctx/node"
  cp -r "$(dirname "$(dirname "$(readlink -f "$npm")")")" "$ctx/npm"
  for ca in "${NODE_EXTRA_CA_CERTS:-}" "$(npm config get cafile 2>/dev/null)" /etc/ssl/certs/ca-certificates.crt; do
    [ -f "$ca" ] && { cp "$ca" "$ctx/ca.pem"; break; }
  done
  [ -f "$ctx/ca.pem" ] || { say "no CA bundle found for the node image"; exit 1; }
  NODE_IMAGE="${PREFIX}node:${nv#v}-local"
  build "$NODE_IMAGE" --build-arg "NODE_VERSION=$nv" -f "$ROOT/deploy/images/node/Dockerfile" "$ctx"
  rm -rf "${ctx:?}"/*
fi
build "${PREFIX}web:$TAG" -f "$ROOT/deploy/images/web/Dockerfile" --build-arg "NODE_IMAGE=$NODE_IMAGE" \
  "${meta[@]}" "$ROOT"

# daprd, and Sentry once the repo builds it (scripts/build-sentry.sh).
for bin in daprd sentry; do
  [ -x "$ROOT/scripts/build-$bin.sh" ] || continue
  cp "$("$ROOT/scripts/build-$bin.sh")" "$ctx/$bin"
  build "${PREFIX}$bin:${DAPR_VERSION#v}-local" --build-arg "DAPR_VERSION=$DAPR_VERSION" \
    --build-arg "BINARY=$bin" -f "$ROOT/deploy/images/dapr/Dockerfile" "$ctx"
  rm -rf "$ctx"/*
done
cp -r "$ROOT/deploy/images/kafka/." "$ctx/"
cp -r "$(KAFKA_VERSION=$KAFKA_VERSION "$ROOT/scripts/fetch-kafka.sh")" "$ctx/libs"
build "${PREFIX}kafka:$KAFKA_VERSION-local" --build-arg "KAFKA_VERSION=$KAFKA_VERSION" "$ctx"
build "${PREFIX}postgres:local" "$ROOT/deploy/images/postgres"
build "${PREFIX}redis:local" "$ROOT/deploy/images/redis"

{
  printf '%-44s %s\n' IMAGE SIZE
  for t in "${built[@]}"; do
    printf '%-44s %s\n' "$t" "$(docker image inspect -f '{{.Size}}' "$t" | awk '{printf "%.1f MB", $1/1e6}')"
  done
  printf '%-44s %s\n' "$BASE (base)" "$(docker image inspect -f '{{.Size}}' "$BASE" | awk '{printf "%.1f MB", $1/1e6}')"
} >&2
echo "TODO_BASE_IMAGE=$BASE"
echo "TODO_IMAGE_PREFIX=$PREFIX"
echo "TODO_TAG=$TAG"
echo "TODO_NODE_IMAGE=$NODE_IMAGE"
echo "DAPR_IMAGE=${PREFIX}daprd:${DAPR_VERSION#v}-local"
echo "KAFKA_IMAGE=${PREFIX}kafka:$KAFKA_VERSION-local"
echo "POSTGRES_IMAGE=${PREFIX}postgres:local"
echo "REDIS_IMAGE=${PREFIX}redis:local"
