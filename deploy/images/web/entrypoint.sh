#!/bin/sh
# The web image's entrypoint: writes nginx's extra configuration under /tmp
# (the root file system is read-only) and runs nginx in the foreground.
#   API_UPSTREAM   unset: static files only (the cluster: its ingress routes
#                  /api). host:port: /api is proxied there too (compose:
#                  this container is the one address of the suite).
set -eu
mkdir -p /tmp/nginx
rm -f /tmp/nginx/*.conf
if [ -n "${API_UPSTREAM:-}" ]; then
  case "$API_UPSTREAM" in
    *[!A-Za-z0-9.:_-]* | *:*:* | :* | *:) echo "web: API_UPSTREAM must be host:port, not '$API_UPSTREAM'" >&2; exit 2 ;;
  esac
  ns=$(awk '$1 == "nameserver" {print $2; exit}' /etc/resolv.conf)
  [ -n "$ns" ] || { echo "web: no nameserver in /etc/resolv.conf to find $API_UPSTREAM" >&2; exit 2; }
  case "$ns" in *:*) ns="[$ns]" ;; esac
  sed -e "s|@RESOLVER@|$ns|" -e "s|@UPSTREAM@|$API_UPSTREAM|" \
    /etc/nginx/todo/api.conf.in > /tmp/nginx/api.conf
  echo "web: /api proxied to $API_UPSTREAM" >&2
fi
exec nginx -g 'daemon off;'
