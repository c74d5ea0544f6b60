#!/usr/bin/env bash
# Helm v3, built once with `go install` from the Go module proxy and cached
# by version. Prints the binary's path.
set -euo pipefail
TOOL=helm
. "$(dirname "$0")/lib.sh"
V="${HELM_VERSION:-v3.22.0}"
out="$CACHE/helm/$V/helm"
cached_or_build "$out" "helm $V"
# Helm's own build stamps the Kubernetes version it renders for when no
# cluster is asked (helm template, lint): the client-go it links.
dir=$(go mod download -json "helm.sh/helm/v3@$V" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
kv=$(awk '$1 == "k8s.io/client-go" {print $2; exit}' "$dir/go.mod")
kmaj=$(( $(echo "$kv" | cut -d. -f1 | tr -d v) + 1 )); kmin=$(echo "$kv" | cut -d. -f2)
ld="-s -w -X helm.sh/helm/v3/internal/version.version=$V"
for p in helm.sh/helm/v3/pkg/chartutil helm.sh/helm/v3/pkg/lint/rules; do
  ld="$ld -X $p.k8sVersionMajor=$kmaj -X $p.k8sVersionMinor=$kmin"
done
GOBIN="$CACHE/helm/$V" timed "helm-$V" nice go install -p 2 -trimpath -ldflags "$ld" \
  "helm.sh/helm/v3/cmd/helm@$V" >&2
echo "$out"
