#!/usr/bin/env bash
# Builds daprd once from the Go module proxy and caches it by version outside
# the repo. Prints the binary's path on stdout.
#
# The suite only uses a handful of components; linking just those (instead of
# the ~140 of `allcomponents`) cuts the build from most of an hour to minutes
# on two cores. The kept component files carry the `allcomponents` tag, so we
# build with it; the pruned ones are simply absent from the copy.
set -euo pipefail
. "$(dirname "$0")/dapr-build-lib.sh"

KEEP=(
  bindings_cron.go
  pubsub_kafka.go
  state_redis.go
  secretstores_local_file.go
  secretstores_local_env.go
  nameresolution_sqlite.go
)
# Our own component files (tools/daprd/): each replaces daprd's file of the
# same name (the sqlite name resolution that lists addresses, so daprd
# caches them: tools/daprd/nameresolution_sqlite.go).
OWN=("$(cd "$(dirname "$0")/.." && pwd)"/tools/daprd/*.go)
prune() {
  local f k keep
  for f in "$1"/cmd/daprd/components/*.go; do
    keep=0
    for k in "${KEEP[@]}"; do [ "$(basename "$f")" = "$k" ] && keep=1; done
    [ $keep -eq 1 ] || rm -f "$f"
  done
  cp "${OWN[@]}" "$1/cmd/daprd/components/"
}
key=$( (printf '%s\n' "${KEEP[@]}"; cat "${OWN[@]}"; echo "$DAPR_LDFLAGS") | sha256sum | cut -c1-8)
dapr_build "$CACHE/daprd/$DAPR_VERSION-$key/daprd" ./cmd/daprd allcomponents prune
