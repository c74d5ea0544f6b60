#!/usr/bin/env bash
# kube-score, the manifest best-practice linter, built once with `go install`
# from the Go module proxy and cached by version. Prints the binary's path.
# (kube-linter, the first choice, is not served by the proxy: it answers
# 403 "not available" for golang.stackrox.io/kube-linter.)
set -euo pipefail
TOOL=kube-score
. "$(dirname "$0")/lib.sh"
V="${KUBE_SCORE_VERSION:-v1.20.0}"
out="$CACHE/kube-score/$V/kube-score"
cached_or_build "$out" "kube-score $V"
GOBIN="$CACHE/kube-score/$V" timed "kube-score-$V" nice go install -p 2 -trimpath \
  -ldflags "-s -w" "github.com/zegl/kube-score/cmd/kube-score@$V" >&2
echo "$out"
