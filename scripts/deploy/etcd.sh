#!/usr/bin/env bash
# etcd 3.5, built once from the Go module proxy through a tiny wrapper
# module that requires go.etcd.io/etcd/server/v3 (its main package is
# reachable only that way), cached by version. Prints the binary's path.
set -euo pipefail
TOOL=etcd
. "$(dirname "$0")/lib.sh"
V="${ETCD_VERSION:-v3.5.35}"
out="$CACHE/etcd/$V/etcd"
cached_or_build "$out" "etcd $V"
work="$CACHE/etcd/src-$V"
rm -rf "$work"; mkdir -p "$work"
cat > "$work/go.mod" <<MOD
module local/etcd

go 1.23

require go.etcd.io/etcd/server/v3 $V
MOD
cat > "$work/main.go" <<'GO'
// Runs etcd's own main (the server module's etcdmain package).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
(cd "$work" && GOFLAGS="$GOFLAGS -mod=mod" go mod tidy >/dev/null 2>&1 || true
 cd "$work" && GOFLAGS="$GOFLAGS -mod=mod" timed "etcd-$V" nice go build -p 2 -trimpath \
   -ldflags "-s -w" -o "$out.tmp" .) >&2
mv "$out.tmp" "$out"
rm -rf "$work"
echo "$out"
