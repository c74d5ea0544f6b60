# Sourced by build-daprd.sh and build-sentry.sh: both build a program of
# the github.com/dapr/dapr module (one version) from the Go module proxy and
# cache it outside the repo.
#
# `go install github.com/dapr/dapr/cmd/X@vX` refuses (dapr's go.mod has
# replace directives), so each build runs inside a writable copy of the
# module. Builds of either program take one lock, so they never run at once
# (two cores) and never share a work folder.

DAPR_VERSION="${DAPR_VERSION:-v1.18.1}"
CACHE="${TODO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/todo-suite}"
# The version goes where dapr's own Makefile puts it: buildinfo (what
# `--version` prints) and the logger (each log line's "ver").
DAPR_LDFLAGS="-s -w -X github.com/dapr/dapr/pkg/buildinfo.version=${DAPR_VERSION#v}
  -X github.com/dapr/kit/logger.DaprVersion=${DAPR_VERSION#v}"

# dapr_build OUT PKG [TAGS [PREPARE]]: prints OUT, building PKG of the
# module into it first unless it is there. PREPARE (a function name) gets
# the work copy before the build.
dapr_build() {
  local out=$1 pkg=$2 tags=${3:-} prepare=${4:-}
  if [ -x "$out" ]; then echo "$out"; return 0; fi
  dapr_go_setup
  dapr_build_lock
  # Another build may have made it while we waited for the lock.
  if [ -x "$out" ]; then echo "$out"; return 0; fi
  echo "dapr-build: building ${pkg##*/} $DAPR_VERSION (once; cached in $(dirname "$out"))" >&2
  local work="$(dirname "$out")/src"
  dapr_module_copy "$work"
  [ -z "$prepare" ] || "$prepare" "$work"
  (cd "$work" && nice go build -p 2 ${tags:+-tags "$tags"} -trimpath \
     -ldflags "$(echo $DAPR_LDFLAGS)" \
     -o "$out.tmp" "$pkg") >&2
  mv "$out.tmp" "$out"
  rm -rf "$work"
  echo "$out"
}

dapr_go_setup() {
  if ! command -v go >/dev/null 2>&1; then
    [ -x /usr/local/go/bin/go ] && export PATH="/usr/local/go/bin:$PATH"
  fi
  if ! command -v go >/dev/null 2>&1; then
    # Debian's Go is older than dapr needs; GOTOOLCHAIN=auto then fetches the
    # right toolchain from the Go module proxy.
    echo "dapr-build: installing golang-go" >&2
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq golang-go >/dev/null
  fi
  export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}" GOFLAGS="-buildvcs=false" CGO_ENABLED=0
}

# dapr_build_lock: holds the build lock (fd 9) until the calling script
# exits; waits for another build to finish first.
dapr_build_lock() {
  mkdir -p "$CACHE/daprd"
  exec 9>"$CACHE/daprd/.build.lock"
  if ! flock -n 9; then
    echo "dapr-build: waiting for another dapr build to finish" >&2
    flock 9
  fi
}

# dapr_module_copy WORK: a writable copy of the dapr module in WORK (made anew).
dapr_module_copy() {
  local work=$1 src
  mkdir -p "$(dirname "$work")"
  src=$(go mod download -json "github.com/dapr/dapr@$DAPR_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$src" ] || { echo "dapr-build: module download failed" >&2; exit 1; }
  rm -rf "$work"; mkdir -p "$work"
  cp -r "$src/." "$work/"
  chmod -R u+w "$work"
}
