# Shared by the deployment tool scripts (sourced, not run): the cache
# folder, Go settings, and a writable copy of a module from the Go module
# proxy for the tools that `go install` cannot build (replace or exclude
# directives in their go.mod).
CACHE="${TODO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/todo-suite}"
ROOT="${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

say() { echo "${TOOL:-deploy}: $*" >&2; }

go_env() {
  if ! command -v go >/dev/null 2>&1; then
    [ -x /usr/local/go/bin/go ] && export PATH="/usr/local/go/bin:$PATH"
  fi
  if ! command -v go >/dev/null 2>&1; then
    say "installing golang-go"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq golang-go >/dev/null
  fi
  # Debian's Go may be older than a tool needs: GOTOOLCHAIN=auto fetches
  # the right one from the proxy.
  export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}" GOFLAGS="-buildvcs=false" CGO_ENABLED=0
}

# mod_copy MODULE VERSION DIR: a writable copy of the module's source in DIR
# (wiped first).
mod_copy() {
  local src
  src=$(go mod download -json "$1@$2" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$src" ] || { say "download of $1@$2 failed"; return 1; }
  rm -rf "$3"; mkdir -p "$3"
  cp -r "$src/." "$3/"
  chmod -R u+w "$3"
}

# timed LABEL CMD...: runs CMD, then records how long it took in
# $CACHE/build-times.log (the numbers the README quotes come from there).
timed() {
  local label=$1 t0 rc; shift
  t0=$(date +%s)
  "$@"; rc=$?
  mkdir -p "$CACHE"
  echo "$(date -u +%FT%TZ) $label $(( $(date +%s) - t0 ))s rc=$rc" >> "$CACHE/build-times.log"
  return $rc
}

# cached_or_build OUT WHAT: prints OUT and exits when it is already built;
# else gets Go ready and says what is being built (once).
cached_or_build() {
  if [ -x "$1" ]; then echo "$1"; exit 0; fi
  go_env
  mkdir -p "$(dirname "$1")"
  say "building $2 (once; cached in $(dirname "$1"))"
}
