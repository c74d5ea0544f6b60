#!/bin/sh
# The compose suite's one-shot init: makes the secrets on first start into
# the `secrets` volume (never into the repo) and hands each file to the one
# user that reads it; prepares the sidecars' name-resolution volume.
#   pg-password        postgres (uid 999)
#   pgpass             the services (uid 10001), libpq's passfile
#   dapr-secrets.json  the sidecars (uid 65532): the Dapr local-file secret store
set -eu
d=/run/todo-secrets
umask 077
rand() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
[ -s "$d/pg-password" ] || rand 24 > "$d/pg-password"
[ -s "$d/dapr-secrets.json" ] ||
  printf '{"jwt-signing-key": "%s"}\n' "$(rand 48)" > "$d/dapr-secrets.json"
printf '*:*:*:todo:%s\n' "$(cat "$d/pg-password")" > "$d/pgpass"
chown 999:999 "$d/pg-password" && chmod 400 "$d/pg-password"
chown 10001:10001 "$d/pgpass" && chmod 600 "$d/pgpass"
chown 65532:65532 "$d/dapr-secrets.json" && chmod 400 "$d/dapr-secrets.json"
chmod 755 "$d"
chown 65532:65532 /var/lib/dapr-names
echo "init: secrets ready"
