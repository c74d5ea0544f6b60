#!/usr/bin/env bash
# Runs the whole suite on this machine: PostgreSQL, Redis, a single-node
# KRaft Kafka, and the six services each with its own daprd sidecar.
# Every process listens on 127.0.0.1 only.
#
#   scripts/stack.sh up|down|status|logs|env
#   scripts/stack.sh stop|start NAME   one process of a running stack
#                                      (postgres, redis, kafka, sentry, a
#                                      service, or <service>-daprd): outage
#                                      drills; <service>-2 is a second
#                                      replica with its own sidecar (same
#                                      app id). A stopped process stays
#                                      stopped until started again
#   scripts/stack.sh restarts NAME     how often the supervisor restarted it
#   scripts/stack.sh service-env NAME  the environment a service runs with
#                                      (KEY=VALUE lines), to run another copy
#
# Every process runs under scripts/supervise.sh, which restarts it with
# backoff when it dies (as systemd or Kubernetes would) and logs each
# restart in its log and in logs/supervisor.log.
#
# Zero trust behind the services: each sidecar gets its mTLS identity from
# Dapr Sentry (run here, with a trust bundle generated locally), and the
# per-app Configurations in dapr-components/config/ deny invocation, APIs,
# secrets and topics the app does not need (dapr-components/README.md).
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
SENTRY_PORT=$((5440 + OFF))
SENTRY_HEALTH_PORT=$((5441 + OFF))
SENTRY_METRICS_PORT=$((5442 + OFF))

# Each sidecar requires its own DAPR_API_TOKEN on every API call (health
# excepted), and its app sends it: every sidecar call of the apps goes
# through common's one Dapr client. SIDECAR_API_TOKENS=0 turns them off
# (for comparing only).
SIDECAR_API_TOKENS=${SIDECAR_API_TOKENS:-1}
# Sidecars talk over mTLS with identities from Sentry (MTLS=0: plain, for
# comparing; access control then denies every invocation, having no
# caller identity to go by).
MTLS=${MTLS:-1}

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

# A process is alive while its supervisor is (it may be between restarts).
alive() { [ -f "$PIDS/$1.sup" ] && kill -0 "$(cat "$PIDS/$1.sup")" 2>/dev/null; }

# start NAME CMD...: runs CMD supervised in its own session, output to
# logs/NAME.log; pids/NAME.pid is the process itself, pids/NAME.sup its
# supervisor.
start() {
  local name=$1; shift
  if alive "$name"; then return 0; fi
  rm -f "$RUN/restarts/$name"
  setsid "$ROOT/scripts/supervise.sh" "$name" "$RUN" "$@" >>"$LOGS/$name.log" 2>&1 < /dev/null &
  echo $! > "$PIDS/$name.sup"
  local i
  for ((i = 0; i < 40; i++)); do [ -s "$PIDS/$name.pid" ] && break; sleep 0.05; done
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
  # What each app sends its own sidecar (daprd's DAPR_API_TOKEN).
  for s in "${SERVICES[@]}"; do
    [ -s "$RUN/secrets/dapr-api-token-$s" ] ||
      head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$RUN/secrets/dapr-api-token-$s"
  done
  sentry_bundle
  if [ ! -s "$RUN/secrets/dapr-secrets.json" ]; then
    local key; key=$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n')
    # Test stacks also hold a made-up model API key: the system tests'
    # scripted model checks that ai-agent sends it, and that it shows up in
    # no log or answer. In dev, add your provider's key here yourself
    # (services/ai-agent/README.md).
    if [ "$PROFILE" = dev ]; then
      printf '{"jwt-signing-key": "%s"}\n' "$key" > "$RUN/secrets/dapr-secrets.json"
    else
      local llm; llm=sk-test-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
      printf '{"jwt-signing-key": "%s", "llm-api-key": "%s"}\n' "$key" "$llm" \
        > "$RUN/secrets/dapr-secrets.json"
    fi
  fi
}

# The trust bundle Sentry signs with, as Kubernetes would give it (the
# dapr-trust-bundle secret): a root CA (the trust anchors every sidecar
# gets) and an issuer CA signed by it, whose subject is Sentry's SPIFFE id.
# Also the key that signs each app's identity token for Sentry's jwks
# validator, and its JWKS. All EC P-256 / Ed25519, made once per stack.
SENTRY_DIR_REL=secrets/sentry
TRUST_DOMAIN=public
SENTRY_ID=spiffe://localhost/ns/default/dapr-sentry
sentry_bundle() {
  local d="$RUN/$SENTRY_DIR_REL"
  [ -s "$d/jwks.json" ] && return 0
  mkdir -p "$d"; chmod 700 "$d"
  local ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
  openssl req -x509 "${ec[@]}" -keyout "$d/ca.key" -out "$d/ca.crt" -days 3650 \
    -subj "/O=todo-stack $PROFILE root" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req -new "${ec[@]}" -keyout "$d/issuer.key" -out "$d/issuer.csr" \
    -subj "/O=${SENTRY_ID//\//\\/}" 2>/dev/null
  openssl x509 -req -in "$d/issuer.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
    -out "$d/issuer.crt" -days 365 -extfile <(printf '%s\n' \
    "basicConstraints=critical,CA:TRUE,pathlen:0" "keyUsage=critical,keyCertSign,cRLSign") \
    2>/dev/null
  rm -f "$d/issuer.csr" "$d/ca.srl"
  openssl genpkey -algorithm ed25519 -out "$d/token-signer.key" 2>/dev/null
  local x; x=$(openssl pkey -in "$d/token-signer.key" -pubout -outform DER | tail -c 32 | b64url)
  printf '{"keys":[{"kty":"OKP","crv":"Ed25519","use":"sig","alg":"EdDSA","kid":"todo-stack","x":"%s"}]}\n' \
    "$x" > "$d/jwks.json.tmp"
  mv "$d/jwks.json.tmp" "$d/jwks.json"
}

b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }

# sentry_token APP: writes the app's identity token for Sentry (a JWT,
# EdDSA, 30 days) and prints its path. Minted at each start of the sidecar.
sentry_token() {
  # Not beside the bundle: Sentry reloads when a file there changes.
  local app=$1 d="$RUN/$SENTRY_DIR_REL" now; now=$(date +%s)
  local head body sig out="$RUN/secrets/sentry-token-$app"
  head=$(printf '{"alg":"EdDSA","typ":"JWT","kid":"todo-stack"}' | b64url)
  body=$(printf '{"iss":"todo-stack","sub":"spiffe://%s/ns/default/%s","aud":"%s","iat":%d,"nbf":%d,"exp":%d}' \
    "$TRUST_DOMAIN" "$app" "$SENTRY_ID" "$now" "$((now - 60))" "$((now + 30 * 86400))" | b64url)
  printf '%s.%s' "$head" "$body" > "$out.in"
  sig=$(openssl pkeyutl -sign -inkey "$d/token-signer.key" -rawin -in "$out.in" | b64url)
  printf '%s.%s.%s' "$head" "$body" "$sig" > "$out.tmp"
  rm -f "$out.in"
  mv "$out.tmp" "$out"
  echo "$out"
}

start_sentry() {
  local sentry; sentry=$("$ROOT/scripts/build-sentry.sh")
  start sentry env TODO_SENTRY_JWKS="$RUN/$SENTRY_DIR_REL/jwks.json" \
    "$sentry" --mode standalone --config "$ROOT/dapr-components/config/sentry.yaml" \
    --issuer-credentials "$RUN/$SENTRY_DIR_REL" --trust-domain localhost \
    --listen-address 127.0.0.1 --port "$SENTRY_PORT" \
    --healthz-listen-address 127.0.0.1 --healthz-port "$SENTRY_HEALTH_PORT" \
    --metrics-listen-address 127.0.0.1 --metrics-port "$SENTRY_METRICS_PORT" \
    --log-as-json
  wait_for sentry 60 http_ok "http://127.0.0.1:$SENTRY_HEALTH_PORT/healthz"
}

database_url() {
  echo "host=127.0.0.1 port=$PG_PORT dbname=todo user=todo password=$(cat "$RUN/secrets/pg-password") connect_timeout=5 gssencmode=disable options='-c TimeZone=UTC -c statement_timeout=10000'"
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
  [ "$SIDECAR_API_TOKENS" != 1 ] ||
    echo "DAPR_API_TOKEN=$(cat "$RUN/secrets/dapr-api-token-${SERVICES[$i]}")"
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
  # ai-agent's model, when the caller names one (services/ai-agent/README.md);
  # the key itself stays in the secret store.
  if [ "${SERVICES[$i]}" = ai-agent ]; then
    local v
    for v in LLM_BASE_URL LLM_MODEL LLM_API_KEY_SECRET; do
      [ -z "${!v:-}" ] || echo "$v=${!v}"
    done
  fi
  # A second replica may run with settings of its own (the system tests
  # put a scripted model behind ai-agent-2 this way).
  if [ "$REP" -ne 1 ] && [ -f "$RUN/env/${SERVICES[$i]}-$REP.env" ]; then
    cat "$RUN/env/${SERVICES[$i]}-$REP.env"
  fi
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
  "$ROOT/scripts/build-daprd.sh" >/dev/null
  # The supervisor runs exec-sidecar at each (re)start: a fresh identity
  # token, then daprd.
  (cd "$RUN" && start "$proc-daprd" "$ROOT/scripts/stack.sh" exec-sidecar "$proc")
}

# exec-sidecar NAME (NAME: a service or <service>-2): becomes the sidecar.
cmd_exec_sidecar() {
  local proc=${1:?exec-sidecar what} name i
  name=$proc
  case "$proc" in *-2) REP=2; name=${proc%-2} ;; esac
  for i in "${!SERVICES[@]}"; do [ "${SERVICES[$i]}" = "$name" ] && break; done
  [ "${SERVICES[$i]}" = "$name" ] || { log "no such service: $name"; exit 2; }
  local daprd; daprd=$("$ROOT/scripts/build-daprd.sh")
  # GOGC: the Go collector runs at 5x the live heap instead of 2x. Measured
  # with make bench's GET of one task through both sidecars: 15% less
  # sidecar CPU per call and 12% more calls a second, for ~30 MB more
  # resident memory per busy sidecar (bench/README.md).
  local envs=(DAPR_HOST_IP=127.0.0.1 GOGC="${DAPRD_GOGC:-400}"
              TODO_KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT"
              TODO_REDIS_ADDR="127.0.0.1:$REDIS_PORT" TODO_SECRETS_FILE="$RUN/secrets/dapr-secrets.json"
              APP_API_TOKEN="$(cat "$RUN/secrets/app-api-token-$name")")
  local flags=()
  [ "$SIDECAR_API_TOKENS" != 1 ] ||
    envs+=(DAPR_API_TOKEN="$(cat "$RUN/secrets/dapr-api-token-$name")")
  if [ "$MTLS" = 1 ]; then
    envs+=(DAPR_TRUST_ANCHORS="$(cat "$RUN/$SENTRY_DIR_REL/ca.crt")"
           DAPR_SENTRY_TOKEN_FILE="$(sentry_token "$name")")
    flags+=(--enable-mtls --sentry-address "127.0.0.1:$SENTRY_PORT")
  fi
  exec env -u DAPR_API_TOKEN -u DAPR_TRUST_ANCHORS -u DAPR_SENTRY_TOKEN_FILE "${envs[@]}" \
      "$daprd" --mode standalone --app-id "$name" --app-port "$(app_port "$i")" \
      --app-protocol http --app-channel-address 127.0.0.1 \
      --dapr-listen-addresses 127.0.0.1 \
      --dapr-http-port "$(dapr_http "$i")" --dapr-grpc-port "$(dapr_grpc "$i")" \
      --dapr-internal-grpc-port "$(dapr_int "$i")" \
      --dapr-internal-grpc-listen-address 127.0.0.1 \
      --dapr-public-port "$(dapr_public "$i")" --dapr-public-listen-address 127.0.0.1 \
      --metrics-port "$(dapr_metrics "$i")" --metrics-listen-address 127.0.0.1 \
      --enable-profiling=false "${flags[@]}" \
      --resources-path "$ROOT/dapr-components" \
      --config "$ROOT/dapr-components/config/config.yaml" \
      --config "$ROOT/dapr-components/config/$name.yaml" \
      --log-as-json --log-level "${DAPR_LOG_LEVEL:-info}"
}

cmd_up() {
  mkdir -p "$LOGS" "$PIDS"
  if all_up; then log "already up: http://127.0.0.1:$GATEWAY_PORT"; return 0; fi
  for s in "${SERVICES[@]}" todo-events; do
    [ -x "$BIN/$s" ] || { log "missing $BIN/$s: build first (make build)"; exit 1; }
  done
  secrets
  log "starting postgres :$PG_PORT, redis :$REDIS_PORT, kafka :$KAFKA_PORT, sentry :$SENTRY_PORT"
  start_postgres
  start_redis
  start_kafka
  [ "$MTLS" != 1 ] || start_sentry
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
  [ "$MTLS" != 1 ] || alive sentry || return 1
  http_ok "http://127.0.0.1:$GATEWAY_PORT/readyz"
}

# Stops one supervised process for good: SIGTERM to its whole session (the
# supervisor, which then restarts nothing, the process and its children,
# as before supervision: postgres's backends end with it).
stop_one() {
  local name=$1 f="$PIDS/$1.sup"
  # A stack started before supervision has only NAME.pid, a session leader.
  [ -f "$f" ] || f="$PIDS/$1.pid"
  [ -f "$f" ] || return 0
  local pid; pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    # A supervisor passes SIGTERM on to its process: signalling the whole
    # group too would deliver it twice, and a second SIGTERM makes daprd
    # exit at once (no graceful shutdown: its Kafka consumer never leaves
    # the group, whose partitions then wait out the session timeout).
    if [ "${f##*.}" = sup ]; then
      kill -TERM "$pid" 2>/dev/null || true
    else
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    fi
    local i
    for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name did not stop in 25s; killing it"
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$f" "$PIDS/$name.pid"
}

cmd_down() {
  [ -d "$PIDS" ] || return 0
  local s
  # Sidecars first (no new deliveries), then apps, then infrastructure.
  for s in "${SERVICES[@]}"; do stop_one "$s-2-daprd"; stop_one "$s-daprd"; done
  for s in "${SERVICES[@]}"; do stop_one "$s-2"; stop_one "$s"; done
  stop_one sentry
  stop_one kafka
  stop_one redis
  stop_one postgres
  log "down"
}

# pid, restarts and whether it runs (or waits to be restarted).
proc_state() {
  local name=$1 pid=- n
  n=$(cat "$RUN/restarts/$name" 2>/dev/null || echo 0)
  if ! alive "$name"; then printf '%-28s %-8s %-9s %s\n' "$name" - "$n" stopped; return 1; fi
  pid=$(cat "$PIDS/$name.pid" 2>/dev/null || echo -)
  if [ "$pid" = - ] || ! kill -0 "$pid" 2>/dev/null; then
    printf '%-28s %-8s %-9s %s\n' "$name" - "$n" "restarting"; return 1
  fi
  printf '%-28s %-8s %-9s %s' "$name" "$pid" "$n" "running"
}

cmd_status() {
  printf '%-28s %-8s %-9s %s\n' PROCESS PID RESTARTS STATE
  local p
  for p in postgres redis kafka sentry; do
    if proc_state "$p"; then echo; fi
  done
  for i in "${!SERVICES[@]}"; do
    local s=${SERVICES[$i]} r
    for r in 1 2; do
      local proc=$s; [ "$r" -eq 1 ] || proc="$s-2"
      REP=$r
      if [ "$r" -eq 1 ] || alive "$proc"; then
        if proc_state "$proc"; then
          echo ", :$(app_port "$i") readyz $(curl -s --max-time 3 -o /dev/null -w '%{http_code}' \
            "http://127.0.0.1:$(app_port "$i")/readyz" || true)"
        fi
        if proc_state "$proc-daprd"; then echo ", http :$(dapr_http "$i")"; fi
      fi
    done
    REP=1
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
  echo "SENTRY_ADDRESS=127.0.0.1:$SENTRY_PORT"
  echo "SIDECAR_API_TOKENS=$SIDECAR_API_TOKENS"
  echo "MTLS=$MTLS"
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
    sentry) start_sentry ;;
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
  restarts) cat "$RUN/restarts/${2:?restarts of what}" 2>/dev/null || echo 0 ;;
  exec-sidecar) cmd_exec_sidecar "${2:-}" ;;
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  logs) cmd_logs ;;
  env) cmd_env ;;
  service-env) cmd_service_env "${2:-}" ;;
  *) echo "usage: $0 up|down|status|logs|env|stop NAME|start NAME|restarts NAME|service-env NAME" >&2; exit 2 ;;
esac
