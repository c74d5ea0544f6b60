#!/usr/bin/env bash
# The Debian base image for local image builds, made without any registry:
# `debootstrap --variant=minbase bookworm` from the mirror apt is configured
# with, cached as a tarball named by date and mirror (a new one at most every
# BASE_MAX_AGE_DAYS days), imported into our engine with `docker import`.
# Prints the image name (todo-base:bookworm-YYYYMMDD). Needs DOCKER_HOST
# (scripts/deploy/docker.sh env).
set -euo pipefail
TOOL=base-image
. "$(dirname "$0")/lib.sh"
SUITE=bookworm

mirror() {
  local m=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    m=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
    m=$(awk '$1 == "deb" && $3 !~ /security/ {print $2; exit}' /etc/apt/sources.list)
  fi
  echo "${m:-http://deb.debian.org/debian}"
}

MIRROR="${BASE_MIRROR:-$(mirror)}"
mkey=$(echo "$MIRROR" | sha256sum | cut -c1-8)
dir="$CACHE/base"
mkdir -p "$dir"
# The newest tarball of this mirror, if young enough.
tar=$(find "$dir" -maxdepth 1 -name "$SUITE-minbase-*-$mkey.tar" -mtime -"${BASE_MAX_AGE_DAYS:-7}" \
      2>/dev/null | sort | tail -n 1)
if [ -z "$tar" ]; then
  command -v debootstrap >/dev/null 2>&1 || {
    say "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq debootstrap >/dev/null; }
  tar="$dir/$SUITE-minbase-$(date -u +%Y%m%d)-$mkey.tar"
  root="$dir/root.tmp"
  $SUDO rm -rf "$root"
  say "debootstrap $SUITE from $MIRROR (once; cached in $dir)"
  timed "debootstrap-$SUITE" $SUDO debootstrap --variant=minbase "$SUITE" "$root" "$MIRROR" >&2
  # Slim like debian:bookworm-slim: no package lists or caches, and dpkg
  # keeps documentation, manuals and translations out of every later
  # install too.
  $SUDO rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
  $SUDO tee "$root/etc/dpkg/dpkg.cfg.d/docker-slim" >/dev/null <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
CFG
  $SUDO find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  $SUDO rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/*
  $SUDO tar -C "$root" --numeric-owner -cf "$tar.tmp" .
  mv "$tar.tmp" "$tar"
  $SUDO rm -rf "$root"
fi
stamp=$(basename "$tar" .tar | sed "s/^$SUITE-minbase-\([0-9]*\)-.*/\1/")
image="todo-base:$SUITE-$stamp-$mkey"
if ! docker image inspect "$image" >/dev/null 2>&1; then
  say "importing $tar as $image"
  docker import -c 'CMD ["/bin/bash"]' -c 'ENV LANG=C.UTF-8' "$tar" "$image" >/dev/null
fi
echo "$image"
