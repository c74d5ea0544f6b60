#!/usr/bin/env bash
# The rendered manifests (k8s/<env>/), checked by two tools:
#   kubernetes-validate --strict  every built-in kind against Kubernetes'
#                                 own schemas (unknown fields refused); the
#                                 Dapr kinds have no schema there: the API
#                                 server checks them against Dapr's CRDs
#   kube-score                    best practices; a finding fails unless
#                                 deploy/kube-score.ignore explains it
set -euo pipefail
TOOL=lint-k8s
. "$(dirname "$0")/lib.sh"
KV=$("$ROOT/scripts/deploy/kubernetes-validate.sh")
KS=$("$ROOT/scripts/deploy/kube-score.sh")
KUBE_VERSION="${KUBE_VERSION:-v1.33.13}"
minor=$(echo "${KUBE_VERSION#v}" | cut -d. -f1,2)
rc=0
for env in dev staging prod; do
  f="$ROOT/k8s/$env/todo-suite.yaml"
  if ! out=$("$KV" --strict --quiet -k "$minor.0" "$f" 2>&1); then
    echo "$out" >&2; say "$env: kubernetes-validate refused k8s/$env"; rc=1
  else
    say "$env: kubernetes-validate --strict: ok ($(echo "$out" | grep -c "Couldn't find schema for kind" || true) Dapr objects left to the API server)"
  fi
  ignores=()
  while read -r id; do
    case "$id" in
      *:*) [ "${id%%:*}" = "$env" ] && ignores+=(--ignore-test "${id#*:}") ;;
      ?*) ignores+=(--ignore-test "$id") ;;
    esac
  done < <(sed 's/#.*//; s/[[:space:]]//g' "$ROOT/deploy/kube-score.ignore")
  if ! out=$("$KS" score -o ci --exit-one-on-warning --kubernetes-version "v$minor" \
             "${ignores[@]}" "$f" 2>&1); then
    echo "$out" | grep -E '^\[(CRITICAL|WARNING)\]' >&2 || echo "$out" >&2
    say "$env: kube-score has findings deploy/kube-score.ignore does not explain"; rc=1
  else
    say "$env: kube-score: no findings beyond deploy/kube-score.ignore"
  fi
done
exit $rc
