#!/usr/bin/env bash
# supervise.sh NAME RUN CMD...: runs CMD and starts it again whenever it
# exits, as systemd's Restart=always or a Kubernetes pod would: after 0.5 s,
# doubling up to 30 s while it keeps dying young, back to 0.5 s once it has
# run for a minute. Each restart is one line on stderr (the process's own
# log) and in RUN/logs/supervisor.log; RUN/restarts/NAME counts them and
# RUN/pids/NAME.pid is the running process.
#
# SIGTERM or SIGINT to the supervisor is a deliberate stop: it is passed on
# to the process, waited for, and nothing is restarted. Any other end of the
# process (a crash, kill -9) is restarted.
set -u
name=$1 run=$2
shift 2
mkdir -p "$run/restarts" "$run/pids" "$run/logs"

child=0
stopping=0
on_stop() {
  stopping=1
  if [ "$child" -gt 0 ]; then kill -TERM "$child" 2>/dev/null; fi
}
trap on_stop TERM INT

note() {
  local line
  line="$(date -u +%Y-%m-%dT%H:%M:%SZ) supervisor: $name $*"
  echo "$line" >&2
  echo "$line" >> "$run/logs/supervisor.log"
}

restarts=$(cat "$run/restarts/$name" 2>/dev/null || echo 0)
delay_ms=500
while :; do
  started=$(date +%s)
  "$@" &
  child=$!
  echo "$child" > "$run/pids/$name.pid"
  # wait returns early when a signal is trapped; wait again until it is gone.
  while :; do
    wait "$child"
    rc=$?
    kill -0 "$child" 2>/dev/null || break
  done
  child=0
  if [ "$stopping" -eq 1 ]; then
    rm -f "$run/pids/$name.pid"
    exit 0
  fi
  ran=$(( $(date +%s) - started ))
  [ "$ran" -lt 60 ] || delay_ms=500
  restarts=$((restarts + 1))
  echo "$restarts" > "$run/restarts/$name"
  note "exited (status $rc) after ${ran}s; restart $restarts in $((delay_ms / 1000)).$(printf '%03d' $((delay_ms % 1000)))s"
  sleep "$((delay_ms / 1000)).$(printf '%03d' $((delay_ms % 1000)))" &
  wait $! 2>/dev/null
  if [ "$stopping" -eq 1 ]; then
    rm -f "$run/pids/$name.pid"
    exit 0
  fi
  delay_ms=$((delay_ms * 2))
  [ "$delay_ms" -le 30000 ] || delay_ms=30000
done
