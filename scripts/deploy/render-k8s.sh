#!/usr/bin/env bash
# `make k8s`: renders the chart per environment into k8s/<env>/todo-suite.yaml
# (namespace todo-<env>), for users who apply plain manifests. Rendered with
# secrets.create=false, so no secret value ever lands in the repo (k8s/
# README.md says which Secrets to create). --check renders into a scratch
# folder and fails when k8s/ differs (the deployment test runs it).
set -euo pipefail
TOOL=k8s
. "$(dirname "$0")/lib.sh"
HELM=$("$ROOT/scripts/deploy/helm.sh")
KUBE_VERSION="${KUBE_VERSION:-v1.33.13}"
out="$ROOT/k8s"
check=0
if [ "${1:-}" = --check ]; then check=1; out=$(mktemp -d); trap 'rm -rf "$out"' EXIT; fi
for env in dev staging prod; do
  mkdir -p "$out/$env"
  {
    echo "# Rendered from helm/todo-suite with values-$env.yaml by \`make k8s\`; do not edit."
    echo "# kubectl create namespace todo-$env; create the Secrets (k8s/README.md); then"
    echo "# kubectl apply -n todo-$env -f k8s/$env/"
    # helm notes the chart's link to dapr-components/ on stderr; that is
    # intended (one source for the components), so it is not shown.
    "$HELM" template todo "$ROOT/helm/todo-suite" --namespace "todo-$env" \
      --kube-version "${KUBE_VERSION#v}" -f "$ROOT/helm/todo-suite/values-$env.yaml" \
      --set secrets.create=false 2> >(grep -v 'found symbolic link' >&2)
  } > "$out/$env/todo-suite.yaml"
done
if [ $check -eq 1 ]; then
  if ! diff -ru "$ROOT/k8s" "$out" --exclude README.md --exclude '*.txt' >&2; then
    say "k8s/ is stale: run make k8s and commit it"; exit 1
  fi
  say "k8s/ matches the chart"
fi
