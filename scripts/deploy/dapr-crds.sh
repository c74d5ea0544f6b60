#!/usr/bin/env bash
# Prints the folder of Dapr's CRDs (charts/dapr/crds/ of the
# github.com/dapr/dapr module the daprd build downloads anyway).
set -euo pipefail
TOOL=dapr-crds
. "$(dirname "$0")/lib.sh"
go_env
dir=$(cd /tmp && go mod download -json "github.com/dapr/dapr@${DAPR_VERSION:-v1.18.1}" |
      sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -d "$dir/charts/dapr/crds" ] || { say "no charts/dapr/crds in $dir"; exit 1; }
echo "$dir/charts/dapr/crds"
