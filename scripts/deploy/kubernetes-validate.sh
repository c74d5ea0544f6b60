#!/usr/bin/env bash
# kubernetes-validate (PyPI), installed once into a virtualenv cached by
# version. Prints the command's path.
set -euo pipefail
TOOL=kubernetes-validate
. "$(dirname "$0")/lib.sh"
V="${KUBERNETES_VALIDATE_VERSION:-1.37.0}"
venv="$CACHE/kubernetes-validate/$V"
out="$venv/bin/kubernetes-validate"
if [ ! -x "$out" ]; then
  python3 -m venv --help >/dev/null 2>&1 && python3 -c 'import ensurepip' 2>/dev/null || {
    say "installing python3-venv"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null; }
  say "installing kubernetes-validate $V (once; cached in $venv)"
  rm -rf "$venv"
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install -q "kubernetes-validate==$V" >&2
fi
echo "$out"
