#!/usr/bin/env bash
# k8s-build.sh COMMAND: a command of Kubernetes (kube-apiserver, kubectl),
# built once from the Go module proxy and cached by version. Prints the
# binary's path.
#
# The k8s.io/kubernetes module points its k8s.io/* staging modules at
# ./staging with replace lines and requires them at v0.0.0. In a writable
# copy we drop those replace lines, require each staging module at the
# published v0.<minor>.<patch> that matches, drop the sample-* modules
# (never published) and remove vendor/ and go.work, then build.
set -euo pipefail
TOOL=k8s-build
. "$(dirname "$0")/lib.sh"
cmd=${1:?which command}
V="${KUBE_VERSION:-v1.33.13}"
out="$CACHE/kube-apiserver/$V/$cmd"
cached_or_build "$out" "$cmd $V"
work="$CACHE/kube-apiserver/src-$V-$cmd"
mod_copy k8s.io/kubernetes "$V" "$work"
staging="v0.${V#v1.}"
rm -rf "$work/vendor" "$work/go.work" "$work/go.work.sum"
awk -v sv="$staging" '
  /^replace \($/ { skip = 1; next }
  skip && /^\)$/ { skip = 0; next }
  skip { next }
  /^[[:space:]]*k8s\.io\/sample-/ { next }
  /^[[:space:]]*k8s\.io\/[a-z-]+ v0\.0\.0$/ { sub(/v0\.0\.0$/, sv) }
  { print }
' "$work/go.mod" > "$work/go.mod.new"
mv "$work/go.mod.new" "$work/go.mod"
(cd "$work" && GOFLAGS="$GOFLAGS -mod=mod" timed "$cmd-$V" nice go build -p 2 -trimpath \
  -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$V -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$(echo "${V#v1.}" | cut -d. -f1)" \
  -o "$out.tmp" "./cmd/$cmd") >&2
mv "$out.tmp" "$out"
rm -rf "$work"
echo "$out"
