#!/bin/sh
# runtime-packages.sh BINARY: the Debian packages a runtime image needs for
# BINARY, one per line. Derived from what it links (ldd: every shared
# library, direct or not, mapped to its package with dpkg -S), so a library
# added to a service's link line lands in its image without editing any
# list here. libc6 is left out (the base image has it). Plus the data files
# some libraries read at run time, which no link line shows:
#   libical3 -> tzdata (zone rules for RRULE expansion)
#   libcurl* -> ca-certificates (TLS peers: webhooks, an LLM endpoint)
set -eu
bin=$1
pkgs=$(ldd "$bin" | awk '/=> \// {print $3} /^[[:space:]]*\/[^ ]+ \(/ {print $1}' | while read -r lib; do
  # Debian 12 registers some libraries under /lib, others under /usr/lib:
  # ask for the path ldd printed, then for its other spelling.
  alt=$(echo "$lib" | sed 's#^/usr/lib/#/lib/#; t; s#^/lib/#/usr/lib/#')
  dpkg -S "$lib" 2>/dev/null || dpkg -S "$alt" 2>/dev/null || {
    echo "runtime-packages: no package owns $lib" >&2; exit 1; }
done | cut -d: -f1 | sort -u | grep -v '^libc6$' || true)
echo "$pkgs"
echo "$pkgs" | grep -q '^libical' && echo tzdata
echo "$pkgs" | grep -q '^libcurl' && echo ca-certificates
exit 0
