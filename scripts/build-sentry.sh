#!/usr/bin/env bash
# Builds Dapr Sentry (the certificate authority that gives each sidecar its
# mTLS identity) once from the same github.com/dapr/dapr module version as
# daprd, and caches it outside the repo. Prints the binary's path on stdout.
set -euo pipefail
. "$(dirname "$0")/dapr-build-lib.sh"
dapr_build "$CACHE/sentry/$DAPR_VERSION/sentry" ./cmd/sentry
