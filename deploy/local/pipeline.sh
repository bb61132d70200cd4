#!/usr/bin/env bash
# Runs the whole pipeline on the local stack: builds the services, brings Kafka, ClickHouse and
# PostgreSQL up, starts producer, analyzer and sink as packaged JVM services and prints a status
# line every two seconds. Ctrl-C (or the end of --duration) stops everything this script started.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: deploy/local/pipeline.sh [--duration SECONDS] [--fleet-rate ROWS_PER_S] [--fleet-devices N] [--no-build]

  --duration SECONDS     stop by itself after SECONDS (default: run until Ctrl-C)
  --fleet-rate N         synthetic sensor fleet rate in rows/s across all devices (default 2000)
  --fleet-devices N      number of synthetic devices (default 20)
  --no-build             use the jars already in */target/quarkus-app
EOF
}

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HOME_DIR="${STREAMING_ARROW_HOME:-$REPO/.local-stack}"
LOGS="$HOME_DIR/pipeline"
DURATION=""
FLEET_RATE=2000
FLEET_DEVICES=20
BUILD=1

while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) DURATION="$2"; shift 2 ;;
    --fleet-rate) FLEET_RATE="$2"; shift 2 ;;
    --fleet-devices) FLEET_DEVICES="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done

# The packages this needs (the stack's servers, a JDK, curl, ss): installed as root, or named.
# shellcheck source=deploy/local/prerequisites.sh
source "$REPO/deploy/local/prerequisites.sh"
prerequisites pipeline

SERVICES=(producer analyzer sink)
declare -A PORT=([producer]=8080 [analyzer]=8081 [sink]=8082)
declare -A PID=()
STACK_STARTED=""
mkdir -p "$LOGS"

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*"; }

stop_all() {
  local code=$?
  trap - INT TERM EXIT
  echo
  for svc in "${SERVICES[@]}"; do
    local pid="${PID[$svc]:-}"
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      log "stopping $svc (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  for svc in "${SERVICES[@]}"; do
    local pid="${PID[$svc]:-}"
    [[ -z "$pid" ]] && continue
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [[ -n "$STACK_STARTED" ]]; then
    log "stopping the local stack components this run started: $STACK_STARTED"
    # shellcheck disable=SC2086
    "$REPO/deploy/local/stack.sh" down $STACK_STARTED || true
  fi
  exit "$code"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

for svc in "${SERVICES[@]}"; do
  if ss -ltn "sport = :${PORT[$svc]}" 2>/dev/null | grep -q LISTEN; then
    echo "port ${PORT[$svc]} (needed by $svc) is already taken:" >&2
    ss -ltnp "sport = :${PORT[$svc]}" >&2 || true
    exit 1
  fi
done

if [[ "$BUILD" == 1 ]]; then
  log "building the services (./mvnw package -DskipTests; log: $LOGS/build.log)"
  if ! (cd "$REPO" && ./mvnw -B package -DskipTests >"$LOGS/build.log" 2>&1); then
    echo "build failed; the end of $LOGS/build.log:" >&2
    tail -n 40 "$LOGS/build.log" >&2
    exit 1
  fi
fi

# Which components were down before, so that only those are stopped at the end.
for component in kafka clickhouse postgres; do
  if ! "$REPO/deploy/local/stack.sh" status "$component" >/dev/null 2>&1; then
    STACK_STARTED="$STACK_STARTED $component"
  fi
done
log "bringing the local stack up"
"$REPO/deploy/local/stack.sh" up

# Each service's JVM options are the ones its Kubernetes manifest gets (JDK_JAVA_OPTIONS, from
# quarkus.kubernetes.env.vars.jdk-java-options in its application.properties): Arrow's --add-opens, exit on
# OutOfMemoryError, and the memory limits that keep it within 256 MB RSS (docs/performance.md). The benchmark
# (deploy/bench) reads the same line.
jvm_options() {
  sed -n 's/^quarkus\.kubernetes\.env\.vars\.jdk-java-options=//p' "$REPO/$1/src/main/resources/application.properties"
}

# And the environment it gets there: glibc's malloc arenas (MALLOC_ARENA_MAX, docs/performance.md).
service_env() {
  sed -n 's/^quarkus\.kubernetes\.env\.vars\.malloc-arena-max=/MALLOC_ARENA_MAX=/p' "$REPO/$1/src/main/resources/application.properties"
}

start_service() {
  local svc="$1"; shift
  local jar="$REPO/$svc/target/quarkus-app/quarkus-run.jar"
  if [[ ! -f "$jar" ]]; then
    echo "$jar is missing: run without --no-build" >&2
    exit 1
  fi
  # "$@" are -D system properties for this service.
  # shellcheck disable=SC2046 # the options are words
  env $(service_env "$svc") java $(jvm_options "$svc") "$@" -jar "$jar" >"$LOGS/$svc.log" 2>&1 &
  PID[$svc]=$!
  log "started $svc (pid ${PID[$svc]}, http ${PORT[$svc]}, log $LOGS/$svc.log)"
}

wait_ready() {
  local svc="$1"
  for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:${PORT[$svc]}/q/health/ready" >/dev/null 2>&1; then
      return 0
    fi
    if ! kill -0 "${PID[$svc]}" 2>/dev/null; then
      echo "$svc exited during start-up; the end of $LOGS/$svc.log:" >&2
      tail -n 40 "$LOGS/$svc.log" >&2
      exit 1
    fi
    sleep 0.5
  done
  echo "$svc did not become ready within 60 s; the end of $LOGS/$svc.log:" >&2
  tail -n 40 "$LOGS/$svc.log" >&2
  exit 1
}

start_service sink
start_service analyzer
start_service producer \
  -Dproducer.fleet.enabled=true \
  -Dproducer.fleet.devices="$FLEET_DEVICES" \
  -Dproducer.fleet.rows-per-second="$FLEET_RATE" \
  -Dproducer.host-metrics.enabled=true
for svc in "${SERVICES[@]}"; do wait_ready "$svc"; done
log "all services ready; live page: http://127.0.0.1:8081/ ; status every 2 s (Ctrl-C stops everything this run started)"

# One figure from a service's Prometheus metrics: the sum or the largest of every sample of a metric
# family (all label sets). NaN samples (a Kafka client's figures before its first fetch) are left out;
# when nothing is left, it says that the figure is unknown and why, instead of printing nan or a made-up 0.
metric() { # port name sum|max
  local body
  body="$(curl -fsS --max-time 5 "http://127.0.0.1:$1/q/metrics" 2>/dev/null)" \
    || { printf 'unknown (no answer on port %s within 5 s)' "$1"; return; }
  awk -v n="$2" -v how="$3" '
    $1 == n || index($1, n "{") == 1 {
      v = $NF
      if (tolower(v) ~ /nan|inf/) { unmeasured++; next }
      v += 0; seen++
      if (how == "max") { if (seen == 1 || v > r) r = v } else r += v
    }
    END {
      if (seen) printf "%.0f", r
      else if (unmeasured) printf "unknown (not measured yet)"
      else printf "unknown (not reported yet)"
    }' <<<"$body"
}

is_number() { [[ "$1" =~ ^[0-9]+$ ]]; }

clickhouse_rows() {
  local exists
  exists="$(curl -fsS --max-time 5 "http://127.0.0.1:8123/" --data-binary \
      "SELECT count() FROM system.tables WHERE database = 'streaming_arrow' AND name = 'sensor_readings'" 2>/dev/null)" \
    || { printf 'unknown (no answer from ClickHouse within 5 s)'; return; }
  if [[ "$exists" != 1 ]]; then printf '0 (the sink has not created the table yet)'; return; fi
  curl -fsS --max-time 10 "http://127.0.0.1:8123/" \
      --data-binary "SELECT count() FROM streaming_arrow.sensor_readings FINAL" 2>/dev/null \
    || printf 'unknown (the count did not answer within 10 s)'
}

started_at=$(date +%s)
last_rows=$(metric 8080 producer_rows_published_total sum)
last_t=$started_at
while true; do
  sleep 2
  now=$(date +%s)
  rows=$(metric 8080 producer_rows_published_total sum)
  dt=$(( now - last_t )); (( dt > 0 )) || dt=1
  if is_number "$rows" && is_number "$last_rows"; then rate="$(( (rows - last_rows) / dt )) rows/s"; else rate="rate unknown"; fi
  last_rows=$rows; last_t=$now
  # Lag: records_lag is each partition's distance to the end of the log at the consumer's last fetch.
  printf '%s produced %s rows (%s) | Kafka lag (records behind, all partitions) sink %s analyzer %s | ClickHouse rows %s | windows closed %s | open alerts %s\n' \
    "$(date +%H:%M:%S)" "$rows" "$rate" \
    "$(metric 8082 kafka_consumer_fetch_manager_records_lag sum)" \
    "$(metric 8081 kafka_consumer_fetch_manager_records_lag sum)" \
    "$(clickhouse_rows)" \
    "$(metric 8081 analyzer_windows_closed_total sum)" \
    "$(metric 8081 analyzer_alerts_open sum)"
  for svc in "${SERVICES[@]}"; do
    if ! kill -0 "${PID[$svc]}" 2>/dev/null; then
      echo "$svc stopped unexpectedly; the end of $LOGS/$svc.log:" >&2
      tail -n 40 "$LOGS/$svc.log" >&2
      exit 1
    fi
  done
  if [[ -n "$DURATION" ]] && (( now - started_at >= DURATION )); then
    log "--duration $DURATION reached"
    exit 0
  fi
done
