#!/bin/bash
# The images' HEALTHCHECK: GET $1 (default /readyz: the service and its
# dependencies answer) on the service's own port, healthy on 200. Plain
# bash (/dev/tcp), so the runtime image needs no HTTP client.
exec 3<>"/dev/tcp/127.0.0.1/${PORT:?PORT is not set}" || exit 1
printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "${1:-/readyz}" >&3
read -r -t 3 _ status _ <&3 || exit 1
[ "$status" = 200 ]
