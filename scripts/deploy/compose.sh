#!/usr/bin/env bash
# Docker Compose v2, built once from the Go module proxy and cached by
# version; installed as a CLI plugin in the DOCKER_CONFIG folder of our
# engine (scripts/deploy/docker.sh env). Prints the binary's path.
#
# `go install` refuses the module (exclude directives in its go.mod), so it
# is built inside a writable copy of the module.
set -euo pipefail
TOOL=compose
. "$(dirname "$0")/lib.sh"
V="${COMPOSE_VERSION:-v2.40.3}"
out="$CACHE/compose/$V/docker-compose"
conf="${DOCKER_CONFIG:-$ROOT/.run/docker/config}"
mkdir -p "$conf/cli-plugins"
ln -sfn "$out" "$conf/cli-plugins/docker-compose"
cached_or_build "$out" "docker compose $V"
work="$CACHE/compose/src-$V"
mod_copy github.com/docker/compose/v2 "$V" "$work"
(cd "$work" && timed "compose-$V" nice go build -p 2 -trimpath \
  -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$V" -o "$out.tmp" ./cmd) >&2
mv "$out.tmp" "$out"
rm -rf "$work"
echo "$out"
