#!/bin/bash
# First start: initdb with the password from POSTGRES_PASSWORD_FILE (or
# POSTGRES_PASSWORD), scram-sha-256 for every network client, and the
# database POSTGRES_DB. Then runs postgres listening on the container's
# network.
set -euo pipefail
user=${POSTGRES_USER:-postgres}
db=${POSTGRES_DB:-$user}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pw=${POSTGRES_PASSWORD:-}
  [ -z "${POSTGRES_PASSWORD_FILE:-}" ] || pw=$(cat "$POSTGRES_PASSWORD_FILE")
  [ -n "$pw" ] || { echo "postgres-run: set POSTGRES_PASSWORD_FILE or POSTGRES_PASSWORD" >&2; exit 1; }
  initdb -D "$PGDATA" -U "$user" --pwfile=<(printf '%s\n' "$pw") -A scram-sha-256 \
    --auth-local=peer -E UTF8 --no-locale >/dev/null
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  if [ "$db" != postgres ]; then
    echo "CREATE DATABASE \"$db\"" | postgres --single -D "$PGDATA" postgres >/dev/null
  fi
fi
if [ "${1:-}" = postgres ]; then
  shift
  exec postgres -D "$PGDATA" -c listen_addresses='*' "$@"
fi
exec "$@"
