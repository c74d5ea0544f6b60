#!/bin/bash
# Writes server.properties from the KAFKA_* variables as the official image
# does (KAFKA_LOG_DIRS -> log.dirs; in a name, ___ is '-', __ is '_', _ is
# '.'), formats the storage on first start with CLUSTER_ID, runs the broker.
set -euo pipefail
conf=/tmp/kafka-server.properties   # /tmp: the root file system may be read-only
: > "$conf"
while IFS= read -r name; do
  case "$name" in
    KAFKA_HEAP_OPTS|KAFKA_OPTS|KAFKA_JVM_PERFORMANCE_OPTS|KAFKA_VERSION) continue ;;
  esac
  key=$(echo "${name#KAFKA_}" | tr 'A-Z' 'a-z' | sed 's/___/-/g; s/__/@/g; s/_/./g; s/@/_/g')
  echo "$key=${!name}" >> "$conf"
done < <(compgen -e | grep '^KAFKA_' || true)
grep -q '^log.dirs=' "$conf" || echo "log.dirs=/var/lib/kafka/data" >> "$conf"
logdir=$(sed -n 's/^log.dirs=//p' "$conf" | cut -d, -f1)
log4j="-Dlog4j.configuration=file:/opt/kafka/config/log4j.properties"
if [ ! -f "$logdir/meta.properties" ]; then
  java -Xmx256m "$log4j" -cp "/opt/kafka/libs/*" kafka.tools.StorageTool format \
    -t "${CLUSTER_ID:-5L6g3nShT-eMCtK--X86sw}" -c "$conf" --ignore-formatted
fi
# shellcheck disable=SC2086  # the options are words
exec java ${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m} -XX:+UseG1GC -Djava.awt.headless=true \
  "$log4j" ${KAFKA_OPTS:-} -cp "/opt/kafka/libs/*" kafka.Kafka "$conf"
