#!/usr/bin/env bash
# Runs the whole suite on this machine: PostgreSQL, Redis, a single-node
# KRaft Kafka, and the six services each with its own daprd sidecar.
# Every process listens on 127.0.0.1 only.
#
#   scripts/stack.sh up|down|status|logs|env
#   scripts/stack.sh stop|start NAME   one process of a running stack
#                                      (postgres, redis, kafka, a service,
#                                      or <service>-daprd): outage drills;
#                                      <service>-2 is a second replica with
#                                      its own sidecar (same app id)
#   scripts/stack.sh service-env NAME  the environment a service runs with
#                                      (KEY=VALUE lines), to run another copy
#
# STACK_PROFILE=dev (make up) or test (make test) picks the ports and the
# data folder (.run/<profile>), so a test stack never touches a running dev
# stack. Any other profile name needs STACK_PORT_OFFSET (added to every
# port), so several stacks can run side by side.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PROFILE="${STACK_PROFILE:-dev}"
case "$PROFILE" in
  dev) OFF=${STACK_PORT_OFFSET:-0} ;;
  test) OFF=${STACK_PORT_OFFSET:-10000} ;;
  *[!a-z0-9-]*|'') echo "stack: STACK_PROFILE must be a lowercase name" >&2; exit 2 ;;
  *) OFF=${STACK_PORT_OFFSET:?stack: profile $PROFILE needs STACK_PORT_OFFSET} ;;
esac
case "$OFF" in
  *[!0-9]*|'') echo "stack: STACK_PORT_OFFSET must be a number" >&2; exit 2 ;;
esac
RUN="$ROOT/.run/$PROFILE"
BIN="${TODO_BIN:-$ROOT/build/bin}"
LOGS="$RUN/logs"
PIDS="$RUN/pids"
export DAPR_HOST_IP=127.0.0.1

PG_PORT=$((5433 + OFF))
REDIS_PORT=$((6380 + OFF))
KAFKA_PORT=$((9092 + OFF))
KAFKA_CONTROLLER_PORT=$((9093 + OFF))
GATEWAY_PORT=$((8080 + OFF))

SERVICES=(api-gateway task-service ai-agent reminder-service recurrence-service notifier)
TOPICS=(task-created task-updated task-completed task-deleted reminder-due recurring-task-generated)

# REP=2 picks the ports of a second replica of a service (stack.sh start
# <service>-2): apps 10 below, sidecars 60 above, metrics 10 below.
REP=1
rep_shift() { [ "$REP" -eq 1 ] && echo 0 || echo "$1"; }
app_port()     { echo $((8080 + OFF + $1 - $(rep_shift 10))); }
dapr_http()    { echo $((3500 + OFF + $1 * 10 + $(rep_shift 60))); }
# Every port stays below the kernel's ephemeral range (32768 and up) for the
# dev and test offsets: an outgoing connection could hold a port up there
# at the moment a sidecar wants to listen on it.
dapr_grpc()    { echo $((3502 + OFF + $1 * 10 + $(rep_shift 60))); }
dapr_int()     { echo $((3503 + OFF + $1 * 10 + $(rep_shift 60))); }
dapr_metrics() { echo $((9190 + OFF + $1 - $(rep_shift 10))); }
dapr_public()  { echo $((3501 + OFF + $1 * 10 + $(rep_shift 60))); }

log() { echo "stack[$PROFILE]: $*" >&2; }

alive() { [ -f "$PIDS/$1.pid" ] && kill -0 "$(cat "$PIDS/$1.pid")" 2>/dev/null; }

# start NAME CMD...: runs CMD in its own session, output to logs/NAME.log.
start() {
  local name=$1; shift
  if alive "$name"; then return 0; fi
  setsid "$@" >>"$LOGS/$name.log" 2>&1 < /dev/null &
  echo $! > "$PIDS/$name.pid"
}

wait_for() { # wait_for WHAT SECONDS CMD...
  local what=$1 secs=$2; shift 2
  local i
  for ((i = 0; i < secs * 4; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  log "$what did not come up in ${secs}s; see $LOGS"
  return 1
}

http_ok() { curl -fsS --max-time 2 "$1" >/dev/null; }

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

# Postgres refuses to run as root: run it as the postgres account then.
AS_PG=()
if [ "$(id -u)" -eq 0 ]; then AS_PG=(setpriv --reuid=postgres --regid=postgres --init-groups); fi

secrets() {
  mkdir -p "$RUN/secrets"
  chmod 700 "$RUN/secrets"
  [ -s "$RUN/secrets/pg-password" ] || head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$RUN/secrets/pg-password"
  # What each sidecar sends its app as dapr-api-token (APP_API_TOKEN on
  # both): the app's event and binding routes refuse calls without it.
  local s
  for s in "${SERVICES[@]}"; do
    [ -s "$RUN/secrets/app-api-token-$s" ] ||
      head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$RUN/secrets/app-api-token-$s"
  done
  if [ ! -s "$RUN/secrets/dapr-secrets.json" ]; then
    local key; key=$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n')
    printf '{"jwt-signing-key": "%s"}\n' "$key" > "$RUN/secrets/dapr-secrets.json"
  fi
}

database_url() {
  echo "host=127.0.0.1 port=$PG_PORT dbname=todo user=todo password=$(cat "$RUN/secrets/pg-password") connect_timeout=5 options='-c TimeZone=UTC -c statement_timeout=10000'"
}

start_postgres() {
  local bin; bin=$(pg_bin)
  [ -n "$bin" ] || { log "PostgreSQL is not installed (run scripts/install-deps.sh)"; exit 1; }
  local data="$RUN/postgres"
  if [ ! -f "$data/PG_VERSION" ]; then
    mkdir -p "$data"
    cp "$RUN/secrets/pg-password" "$RUN/pg-pwfile"
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$data" "$RUN/pg-pwfile"; fi
    chmod 700 "$data"
    "${AS_PG[@]}" "$bin/initdb" -D "$data" -U todo --pwfile="$RUN/pg-pwfile" -A scram-sha-256 \
      -E UTF8 --no-locale >"$LOGS/postgres-init.log" 2>&1
    rm -f "$RUN/pg-pwfile"
  fi
  start postgres "${AS_PG[@]}" "$bin/postgres" -D "$data" -c listen_addresses=127.0.0.1 \
    -c port="$PG_PORT" -c unix_socket_directories= -c fsync=on -c max_connections=100
  wait_for postgres 60 env PGPASSWORD="$(cat "$RUN/secrets/pg-password")" \
    psql -h 127.0.0.1 -p "$PG_PORT" -U todo -d postgres -Atc 'select 1'
  if ! PGPASSWORD="$(cat "$RUN/secrets/pg-password")" psql -h 127.0.0.1 -p "$PG_PORT" -U todo \
       -d postgres -Atc "select 1 from pg_database where datname='todo'" | grep -q 1; then
    PGPASSWORD="$(cat "$RUN/secrets/pg-password")" psql -h 127.0.0.1 -p "$PG_PORT" -U todo \
      -d postgres -qc 'CREATE DATABASE todo' >/dev/null
  fi
}

start_redis() {
  mkdir -p "$RUN/redis"
  start redis redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$RUN/redis" \
    --appendonly yes --save "" --protected-mode yes --daemonize no
  wait_for redis 30 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping
}

start_kafka() {
  local libs; libs=$("$ROOT/scripts/fetch-kafka.sh")
  local dir="$RUN/kafka"
  mkdir -p "$dir/data"
  cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=3
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
log.retention.hours=168
PROPS
  cat > "$dir/log4j.properties" <<'PROPS'
log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaServer=INFO
log4j.logger.kafka.server.KafkaRaftServer=INFO
PROPS
  local java_opts=(-Xms128m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true
                   -Djava.net.preferIPv4Stack=true
                   "-Dlog4j.configuration=file:$dir/log4j.properties")
  if [ ! -f "$dir/data/meta.properties" ]; then
    java "${java_opts[@]}" -cp "$libs/*" kafka.tools.StorageTool format \
      -t "$(java -cp "$libs/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)" \
      -c "$dir/server.properties" >"$LOGS/kafka-format.log" 2>&1
  fi
  start kafka java "${java_opts[@]}" -cp "$libs/*" kafka.Kafka "$dir/server.properties"
  local topics=()
  for t in "${TOPICS[@]}"; do topics+=("$t" "$t.dlq"); done
  wait_for kafka 120 "$BIN/todo-events" -b "127.0.0.1:$KAFKA_PORT" --create-topics "${topics[@]}"
}

service_env() { # service_env INDEX -> prints KEY=VALUE lines for env
  local i=$1
  echo "HOST=127.0.0.1"
  echo "PORT=$(app_port "$i")"
  echo "DAPR_HTTP_ENDPOINT=http://127.0.0.1:$(dapr_http "$i")"
  echo "APP_API_TOKEN=$(cat "$RUN/secrets/app-api-token-${SERVICES[$i]}")"
  echo "DATABASE_URL=$(database_url)"
  echo "REDIS_HOST=127.0.0.1"
  echo "REDIS_PORT=$REDIS_PORT"
  echo "LOG_LEVEL=${LOG_LEVEL:-info}"
  # The gateway keeps its production rate limits in dev; test stacks send
  # hundreds of requests a minute from one address and one user.
  if [ "$i" -eq 0 ] && [ "$PROFILE" != dev ]; then
    echo "RATE_LIMIT_ADDR_PER_MIN=1000000"
    echo "RATE_LIMIT_AUTH_PER_MIN=1000000"
    echo "RATE_LIMIT_USER_PER_MIN=1000000"
  fi
  if [ "$i" -eq 0 ]; then gateway_env; fi
  if [ "${SERVICES[$i]}" = notifier ]; then notifier_env; fi
}

# The web app's build, when there is one (make web); ACCESS_TOKEN_TTL_S
# when set (the browser suite restarts the gateway with a short one).
gateway_env() {
  local web=${WEB_ROOT:-$ROOT/web/dist}
  [ ! -f "$web/index.html" ] || echo "WEB_ROOT=$web"
  [ -z "${ACCESS_TOKEN_TTL_S:-}" ] || echo "ACCESS_TOKEN_TTL_S=$ACCESS_TOKEN_TTL_S"
}

# Webhooks may reach loopback only in test stacks (their receivers listen
# on 127.0.0.1), and e-mail goes to SMTP_URL when set, else in a test stack
# to its own port 2525 + offset, where the system tests' SMTP receiver
# listens. dev keeps both off unless WEBHOOK_ALLOW_NETS / SMTP_URL are set.
notifier_env() {
  local allow=${WEBHOOK_ALLOW_NETS:-} smtp=${SMTP_URL:-}
  if [ "$PROFILE" != dev ]; then
    allow=${allow:-127.0.0.1/32}
    smtp=${smtp:-smtp://127.0.0.1:$((2525 + OFF))}
  fi
  [ -z "$allow" ] || echo "WEBHOOK_ALLOW_NETS=$allow"
  if [ -n "$smtp" ]; then
    echo "SMTP_URL=$smtp"
    echo "SMTP_FROM=${SMTP_FROM:-todo@notifier.invalid}"
  fi
}

cmd_service_env() {
  local i
  for i in "${!SERVICES[@]}"; do
    if [ "${1:-}" = "${SERVICES[$i]}" ]; then
      [ -s "$RUN/secrets/pg-password" ] || { log "no stack secrets in $RUN: start it first"; exit 1; }
      service_env "$i"
      return 0
    fi
  done
  log "no such service: ${1:-}"; exit 2
}

start_service() {
  local i=$1 name=${SERVICES[$1]} proc=${SERVICES[$1]}
  [ "$REP" -eq 1 ] || proc="$name-$REP"
  local envs=()
  while IFS= read -r line; do envs+=("$line"); done < <(service_env "$i")
  start "$proc" env "${envs[@]}" "$BIN/$name"
  local daprd; daprd=$("$ROOT/scripts/build-daprd.sh")
  (cd "$RUN" && start "$proc-daprd" env DAPR_HOST_IP=127.0.0.1 \
      TODO_KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT" TODO_REDIS_ADDR="127.0.0.1:$REDIS_PORT" \
      TODO_SECRETS_FILE="$RUN/secrets/dapr-secrets.json" \
      APP_API_TOKEN="$(cat "$RUN/secrets/app-api-token-$name")" \
      "$daprd" --mode standalone --app-id "$name" --app-port "$(app_port "$i")" \
      --app-protocol http --app-channel-address 127.0.0.1 \
      --dapr-listen-addresses 127.0.0.1 \
      --dapr-http-port "$(dapr_http "$i")" --dapr-grpc-port "$(dapr_grpc "$i")" \
      --dapr-internal-grpc-port "$(dapr_int "$i")" \
      --dapr-internal-grpc-listen-address 127.0.0.1 \
      --dapr-public-port "$(dapr_public "$i")" --dapr-public-listen-address 127.0.0.1 \
      --metrics-port "$(dapr_metrics "$i")" --metrics-listen-address 127.0.0.1 \
      --enable-profiling=false \
      --resources-path "$ROOT/dapr-components" \
      --config "$ROOT/dapr-components/config/config.yaml" \
      --log-as-json --log-level "${DAPR_LOG_LEVEL:-info}")
}

cmd_up() {
  mkdir -p "$LOGS" "$PIDS"
  if all_up; then log "already up: http://127.0.0.1:$GATEWAY_PORT"; return 0; fi
  for s in "${SERVICES[@]}" todo-events; do
    [ -x "$BIN/$s" ] || { log "missing $BIN/$s: build first (make build)"; exit 1; }
  done
  secrets
  log "starting postgres :$PG_PORT, redis :$REDIS_PORT, kafka :$KAFKA_PORT"
  start_postgres
  start_redis
  start_kafka
  # The first sidecar creates the name-resolution database; the others
  # start once it is there, so they do not race to migrate it.
  start_service 0
  wait_for "${SERVICES[0]}-daprd" 60 http_ok "http://127.0.0.1:$(dapr_http 0)/v1.0/healthz/outbound"
  for i in "${!SERVICES[@]}"; do [ "$i" -eq 0 ] || start_service "$i"; done
  for i in "${!SERVICES[@]}"; do
    wait_for "${SERVICES[$i]}" 120 http_ok "http://127.0.0.1:$(app_port "$i")/readyz"
  done
  log "up: web app and API at http://127.0.0.1:$GATEWAY_PORT/ (logs: $LOGS)"
}

all_up() {
  local p
  for p in postgres redis kafka "${SERVICES[@]}"; do alive "$p" || return 1; done
  for s in "${SERVICES[@]}"; do alive "$s-daprd" || return 1; done
  http_ok "http://127.0.0.1:$GATEWAY_PORT/readyz"
}

stop_one() {
  local name=$1 f="$PIDS/$1.pid"
  [ -f "$f" ] || return 0
  local pid; pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 80; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name did not stop in 20s; killing it"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$f"
}

cmd_down() {
  [ -d "$PIDS" ] || return 0
  local s
  # Sidecars first (no new deliveries), then apps, then infrastructure.
  for s in "${SERVICES[@]}"; do stop_one "$s-2-daprd"; stop_one "$s-daprd"; done
  for s in "${SERVICES[@]}"; do stop_one "$s-2"; stop_one "$s"; done
  stop_one kafka
  stop_one redis
  stop_one postgres
  log "down"
}

cmd_status() {
  printf '%-28s %-8s %s\n' PROCESS PID STATE
  local p
  for p in postgres redis kafka; do
    printf '%-28s %-8s %s\n' "$p" "$(cat "$PIDS/$p.pid" 2>/dev/null || echo -)" \
      "$(alive "$p" && echo running || echo stopped)"
  done
  for i in "${!SERVICES[@]}"; do
    local s=${SERVICES[$i]} health=stopped
    if alive "$s"; then
      health=$(curl -s --max-time 3 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(app_port "$i")/readyz" || true)
      health="running, :$(app_port "$i") readyz $health"
    fi
    printf '%-28s %-8s %s\n' "$s" "$(cat "$PIDS/$s.pid" 2>/dev/null || echo -)" "$health"
    printf '%-28s %-8s %s\n' "$s-daprd" "$(cat "$PIDS/$s-daprd.pid" 2>/dev/null || echo -)" \
      "$(alive "$s-daprd" && echo "running, http :$(dapr_http "$i")" || echo stopped)"
  done
}

cmd_logs() {
  echo "logs of the $PROFILE stack: $LOGS"
  ls -1 "$LOGS" 2>/dev/null | sed 's/^/  /'
  echo "follow one with: tail -f $LOGS/<name>.log"
}

# For tests and tools: the stack's addresses as shell assignments.
cmd_env() {
  echo "STACK_RUN=$RUN"
  echo "GATEWAY_URL=http://127.0.0.1:$GATEWAY_PORT"
  echo "KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT"
  echo "PG_PORT=$PG_PORT"
  echo "REDIS_PORT=$REDIS_PORT"
  for i in "${!SERVICES[@]}"; do
    local v; v=$(echo "${SERVICES[$i]}" | tr 'a-z-' 'A-Z_')
    echo "${v}_URL=http://127.0.0.1:$(app_port "$i")"
    echo "${v}_DAPR_URL=http://127.0.0.1:$(dapr_http "$i")"
    REP=2
    echo "${v}_2_URL=http://127.0.0.1:$(app_port "$i")"
    echo "${v}_2_DAPR_URL=http://127.0.0.1:$(dapr_http "$i")"
    REP=1
  done
}

cmd_start_one() {
  mkdir -p "$LOGS" "$PIDS"
  local name=${1:?start what}
  case "$name" in
    postgres) start_postgres ;;
    redis) start_redis ;;
    kafka) start_kafka ;;
    *)
      local i
      case "$name" in *-2|*-2-daprd) REP=2; name=${name%-daprd}; name=${name%-2} ;; esac
      for i in "${!SERVICES[@]}"; do
        if [ "$name" = "${SERVICES[$i]}" ] || [ "$name" = "${SERVICES[$i]}-daprd" ]; then
          start_service "$i"
          wait_for "${SERVICES[$i]}" 120 http_ok "http://127.0.0.1:$(app_port "$i")/readyz"
          return 0
        fi
      done
      log "no such process: $name"; exit 2 ;;
  esac
}

case "${1:-}" in
  stop) stop_one "${2:?stop what}" ;;
  start) cmd_start_one "${2:-}" ;;
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  logs) cmd_logs ;;
  env) cmd_env ;;
  service-env) cmd_service_env "${2:-}" ;;
  *) echo "usage: $0 up|down|status|logs|env|stop NAME|start NAME|service-env NAME" >&2; exit 2 ;;
esac
