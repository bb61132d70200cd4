#!/usr/bin/env bash
# The fault suite: plays crashes, outages, rebalances and hostile input against the PACKAGED services
# (*/target/quarkus-app/quarkus-run.jar) and checks exact counts afterwards:
#   - ClickHouse, through FINAL: every accepted row once, nothing else;
#   - PostgreSQL: every window once, equal to a brute-force computation over the accepted rows;
#   - the dead-letter topic: exactly the refused records (bytes, null stays null, dlq-reason headers);
#   - each service's /q/health/ready answering 200 again by itself within RECOVERY_LIMIT seconds.
#
#   deploy/local/faults.sh [scenario ...]     (default: all, in the order below; `--list` lists them)
#
# It kills Kafka, ClickHouse and PostgreSQL, so it never uses the stack other runs share: it brings up
# its own instance of deploy/local/stack.sh under $STREAMING_ARROW_HOME/faults on other ports (Kafka
# 29092/29093, ClickHouse 18123/19000, PostgreSQL 15432) and runs its services on free ports from 18090 up. Everything
# it started is stopped at the end, failure or not. Each scenario has its own topic, table, schema and
# consumer groups. Logs: $STREAMING_ARROW_HOME/faults/runs/<run>/<scenario>/.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HELPERS="$REPO/deploy/local/faults"
PARENT_HOME="${STREAMING_ARROW_HOME:-$REPO/.local-stack}"
FAULTS_HOME="${FAULTS_HOME:-$PARENT_HOME/faults}"
CACHE="${STREAMING_ARROW_CACHE:-$PARENT_HOME/cache}"
RUN_ID="r$(date +%s)"
WORK="$FAULTS_HOME/runs/$RUN_ID"

KAFKA_PORT="${FAULTS_KAFKA_PORT:-29092}"
KAFKA_CONTROLLER_PORT="${FAULTS_KAFKA_CONTROLLER_PORT:-29093}"
CH_HTTP_PORT="${FAULTS_CLICKHOUSE_HTTP_PORT:-18123}"
CH_TCP_PORT="${FAULTS_CLICKHOUSE_TCP_PORT:-19000}"
PG_PORT="${FAULTS_POSTGRES_PORT:-15432}"
# Services from here up, each on the next free port (deploy/bench's pipeline benchmark takes 18080/18082).
HTTP_BASE="${FAULTS_HTTP_BASE:-18090}"
BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
# The issue's measurements: one fault some seconds into the stream, the server back 15 s later.
OUTAGE_SECONDS="${FAULTS_OUTAGE_SECONDS:-15}"
# A service must answer /q/health/ready again by itself within this many seconds of its server's return.
RECOVERY_LIMIT="${FAULTS_RECOVERY_LIMIT:-60}"
# How long the stores may take to hold everything once the input has ended (the analyzer closes the last
# windows after its 15 s idle timeout).
SETTLE_SECONDS="${FAULTS_SETTLE_SECONDS:-90}"
# How long a service may take to start (a JVM start on a busy machine).
START_LIMIT="${FAULTS_START_LIMIT:-240}"

ALL_SCENARIOS=(kafka-outage clickhouse-outage postgres-outage producer-kill ingest-hostile kafka-hostile
  null-message scale-out)
# /ingest answers 200 once Kafka has acknowledged the events. The driver is a patient client: it waits up
# to a minute for that (the producer's default is 10 s, after which it answers 503 "may still be stored"),
# so that an outage of 15 s ends in 200s rather than in answers no client could resend without
# duplicating. An environment variable, so that a producer without the setting starts all the same.
# With a longer outage (FAULTS_OUTAGE_SECONDS=90, say) the driver waits longer in step, and the producer's
# client keeps the events it could not deliver yet for longer than that (its default delivery timeout, 120 s,
# would drop events answered "may still be stored" before a slow broker is back).
ACK_SECONDS=$(( OUTAGE_SECONDS + 45 > 60 ? OUTAGE_SECONDS + 45 : 60 ))
export PRODUCER_INGEST_ACK_TIMEOUT="${PRODUCER_INGEST_ACK_TIMEOUT:-${ACK_SECONDS}s}"
export FAULTS_DRIVE_HTTP_TIMEOUT=$(( ACK_SECONDS + 60 ))
ARROW_OPENS="--add-opens=java.base/java.nio=ALL-UNNAMED"
SERVICE_MARK="-Dstreaming-arrow.faults-run=$RUN_ID" # on every JVM this run starts: cleanup kills only those

declare -A SVC_PID=() SVC_PORT=()
RESULTS=()
PASSED=0
FAILED=0

log() { printf '[faults %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

fstack() { # deploy/local/stack.sh on this suite's own instance
  STREAMING_ARROW_HOME="$FAULTS_HOME" STREAMING_ARROW_CACHE="$CACHE" \
  STREAMING_ARROW_KAFKA_PORT="$KAFKA_PORT" STREAMING_ARROW_KAFKA_CONTROLLER_PORT="$KAFKA_CONTROLLER_PORT" \
  STREAMING_ARROW_CLICKHOUSE_HTTP_PORT="$CH_HTTP_PORT" STREAMING_ARROW_CLICKHOUSE_TCP_PORT="$CH_TCP_PORT" \
  STREAMING_ARROW_POSTGRES_PORT="$PG_PORT" STREAMING_ARROW_START_TIMEOUT="${STREAMING_ARROW_START_TIMEOUT:-180}" \
  "$REPO/deploy/local/stack.sh" "$@"
}

ch() { curl -fsS --max-time 20 "http://127.0.0.1:$CH_HTTP_PORT/" --data-binary "$1"; }
pg() { PGPASSWORD=streaming_arrow psql -h 127.0.0.1 -p "$PG_PORT" -U streaming_arrow -d streaming_arrow -tAqc "$1"; }
kafka_tool() { # send|dump|create ...
  java $ARROW_OPENS -Xmx256m -cp "$WORK/tool:$REPO/producer/target/quarkus-app/lib/main/*" KafkaTool "$@" \
    2>>"$WORK/kafka-tool.log"
}
py() { python3 "$HELPERS/faults.py" "$@"; }

# ---------------------------------------------------------------- services
# start_service NAME KIND, then -D options. Topic, table, schema and groups come from the scenario's
# variables (TOPIC, DLQ, TABLE, SCHEMA, SID).
start_service() {
  local name="$1" kind="$2"; shift 2
  local port="${SVC_PORT[$name]:-}"
  if [[ -z "$port" ]]; then
    port=$HTTP_BASE
    while [[ " ${SVC_PORT[*]} " == *" $port "* ]] || ss -ltnH "sport = :$port" | grep -q .; do port=$((port + 1)); done
    SVC_PORT[$name]=$port
  fi
  local -a props=("-Dquarkus.http.port=$port" "-Dkafka.bootstrap.servers=$BOOTSTRAP")
  case "$kind" in
    producer) props+=(-Dmp.messaging.outgoing.arrow-tables.topic="$TOPIC"
                -Dmp.messaging.outgoing.arrow-tables.delivery.timeout.ms=$(( (ACK_SECONDS + 120) * 1000 ))
                -Dproducer.host-metrics.enabled=false -Dproducer.fleet.enabled=false) ;;
    sink) props+=(-Dsink.clickhouse.url="http://127.0.0.1:$CH_HTTP_PORT" -Dsink.clickhouse.table="$TABLE"
            -Dmp.messaging.incoming.arrow-tables.topic="$TOPIC"
            -Dmp.messaging.incoming.arrow-tables.group.id="sink_$SID"
            -Dmp.messaging.outgoing.arrow-tables-dlq.topic="$DLQ") ;;
    analyzer) props+=(-Dquarkus.datasource.reactive.url="postgresql://127.0.0.1:$PG_PORT/streaming_arrow"
                -Danalyzer.store.schema="$SCHEMA"
                -Dmp.messaging.incoming.arrow-tables.topic="$TOPIC"
                -Dmp.messaging.incoming.arrow-tables.group.id="analyzer_$SID"
                -Dmp.messaging.outgoing.arrow-aggregates.topic="aggregates_$SID"
                -Dmp.messaging.outgoing.alerts.topic="alerts_$SID"
                -Dmp.messaging.outgoing.arrow-tables-dlq.topic="$DLQ") ;;
  esac
  [[ -f "$SDIR/$name.log" ]] && mv "$SDIR/$name.log" "$SDIR/$name.$(date +%s%N).log"
  java $ARROW_OPENS -Xmx256m -XX:+ExitOnOutOfMemoryError $SERVICE_MARK "${props[@]}" "$@" \
    -jar "$REPO/$kind/target/quarkus-app/quarkus-run.jar" >"$SDIR/$name.log" 2>&1 &
  SVC_PID[$name]=$!
  disown "${SVC_PID[$name]}" # killed on purpose: no job notices from bash
  echo "${SVC_PID[$name]}" >>"$WORK/pids"
}

ready_url() { echo "http://127.0.0.1:${SVC_PORT[$1]}/q/health/ready"; }

wait_ready() { # name...
  local name
  for name in "$@"; do
    local deadline=$(( $(date +%s) + START_LIMIT ))
    until curl -fsS --max-time 2 "$(ready_url "$name")" >/dev/null 2>&1; do
      kill -0 "${SVC_PID[$name]}" 2>/dev/null || { problem "$name exited at start (log $SDIR/$name.log)"; return 1; }
      (( $(date +%s) < deadline )) || { problem "$name was not ready $START_LIMIT s after its start"; return 1; }
      sleep 0.5
    done
  done
}

kill_service() { # name [signal]
  local name="$1" signal="${2:-KILL}" pid="${SVC_PID[$1]:-}"
  [[ -n "$pid" ]] || return 0
  kill "-$signal" "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$pid" 2>/dev/null || true
  unset "SVC_PID[$name]"
}

stop_services() {
  local name
  for name in "${!SVC_PID[@]}"; do kill -TERM "${SVC_PID[$name]}" 2>/dev/null || true; done
  for name in "${!SVC_PID[@]}"; do kill_service "$name" TERM; done
  SVC_PID=(); SVC_PORT=()
}

start_watch() { # readiness of the named services, logged on every change
  local targets=() name
  for name in "$@"; do targets+=("$name=$(ready_url "$name")"); done
  python3 "$HELPERS/faults.py" watch "$SDIR" "${targets[@]}" &
  WATCH_PID=$!
  echo "$WATCH_PID" >>"$WORK/helper-pids"
}
stop_watch() {
  touch "$SDIR/watch.stop"
  [[ -n "${WATCH_PID:-}" ]] && { wait "$WATCH_PID" 2>/dev/null || true; }
  WATCH_PID=""
}

# ---------------------------------------------------------------- scenario plumbing
new_scenario() { # name
  SCENARIO="$1"
  # A scenario named twice in one run (`faults.sh scale-out scale-out`) gets its own directory, topics and
  # schema each time: a hold file or events left by the first would otherwise steer the second.
  local attempt=1 tag="$1"
  while [[ -e "$WORK/$tag" ]]; do attempt=$((attempt + 1)); tag="$1-$attempt"; done
  SDIR="$WORK/$tag"
  mkdir -p "$SDIR"
  SID="${RUN_ID}_${tag//-/_}"
  TOPIC="arrow_tables_$SID"
  DLQ="dlq_$SID"
  TABLE="sensor_readings_$SID"
  SCHEMA="$SID"
  PROBLEMS=()
  NOTES=()
  kafka_tool create "$BOOTSTRAP" 4 "$TOPIC" || { PROBLEMS+=("cannot create topic $TOPIC"); return 1; }
  kafka_tool create "$BOOTSTRAP" 1 "$DLQ" || { PROBLEMS+=("cannot create topic $DLQ"); return 1; }
}

problem() { PROBLEMS+=("$*"); log "  PROBLEM: $*"; }
note() { NOTES+=("$*"); log "  $*"; }

ch_final_rows() { ch "SELECT count() FROM streaming_arrow.\`$TABLE\` FINAL" 2>/dev/null || echo 0; }
pg_window_rows() { pg "SELECT coalesce(sum(row_count), 0) FROM $SCHEMA.window_aggregates" 2>/dev/null || echo 0; }

# settle ROWS [with_windows=1]: waits until ClickHouse FINAL (and the windows) hold ROWS rows, at most
# SETTLE_SECONDS; then dumps both for the brute-force check.
settle() {
  local rows="$1" windows="${2:-1}" in_ch in_pg deadline=$(( $(date +%s) + SETTLE_SECONDS ))
  while :; do
    in_ch=$(ch_final_rows); in_pg=$( (( windows )) && pg_window_rows || echo "$rows")
    [[ "$in_ch" == "$rows" && "$in_pg" == "$rows" ]] && break
    (( $(date +%s) < deadline )) || break
    sleep 2
  done
  ch "SELECT device, count(), sum(toFloat64(cpu_used)), uniqExact(device, ts, run_elapsed_ms)
      FROM streaming_arrow.\`$TABLE\` FINAL GROUP BY device ORDER BY device FORMAT JSONCompact" >"$SDIR/clickhouse.json" 2>/dev/null \
    || echo '{"data": []}' >"$SDIR/clickhouse.json"
  if (( windows )); then
    pg "SELECT json_agg(json_build_array(device, (extract(epoch from window_start) * 1000000)::bigint, row_count,
          (stats->'cpu_used'->>'mean')::float8, (stats->'cpu_used'->>'min')::float8, (stats->'cpu_used'->>'max')::float8))
        FROM $SCHEMA.window_aggregates" >"$SDIR/windows.json" 2>/dev/null || echo null >"$SDIR/windows.json"
  fi
}

# check_stores [with_windows=1]: brute force over $SDIR/events.ndjson against what the stores hold.
check_stores() {
  local windows="${1:-1}" out
  py expect "$SDIR" >/dev/null
  settle "$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['rows'])" "$SDIR/expected.json")" "$windows"
  if (( windows )); then
    out=$(py check "$SDIR") || true
  else
    out=$(py check "$SDIR" --no-windows) || true
  fi
  while IFS= read -r line; do
    case "$line" in PROBLEM*) problem "${line#PROBLEM }" ;; *) note "$line" ;; esac
  done <<<"$out"
}

# check_dlq_empty: outages must not push good records into the dead-letter topic
check_dlq_empty() {
  if kafka_tool dump "$BOOTSTRAP" "$DLQ" "$SDIR/dlq.jsonl"; then
    local n; n=$(wc -l <"$SDIR/dlq.jsonl")
    if (( n )); then problem "$n record(s) in the dead-letter topic, expected none: $(head -c 400 "$SDIR/dlq.jsonl")"; fi
  else
    problem "cannot read the dead-letter topic $DLQ"
  fi
}

check_recovery() { # fault_epoch cleared_epoch limit service...
  local out
  out=$(py recovery "$SDIR" "$@" 2>&1) && note "readiness: ${out%%$'\n'*}" || {
    while IFS= read -r line; do
      case "$line" in PROBLEM*) problem "${line#PROBLEM }" ;; *) note "readiness: $line" ;; esac
    done <<<"$out"
  }
}

# diagnose: on a failed scenario, what the services still running say about themselves (readiness, the
# gauges of the data path, the last warnings of their own code), logged and repeated in the summary, so that
# a failure on a machine whose logs are gone (CI keeps only the end of the output) still says where rows stopped.
diagnose() {
  local name body line
  DIAG=()
  for name in $(printf '%s\n' "${!SVC_PID[@]}" | sort); do
    if ! kill -0 "${SVC_PID[$name]}" 2>/dev/null; then DIAG+=("$name: not running"); continue; fi
    body=$(curl -s --max-time 5 "$(svc_url "$name")/q/health/ready" | tr -d '\n ' | head -c 600) || true
    DIAG+=("$name ready: ${body:-no answer}")
    body=$(curl -s --max-time 5 "$(svc_url "$name")/q/metrics" 2>/dev/null \
      | grep -E '^(analyzer|sink|producer)_[a-z_]+(\{[^}]*\})? ' | grep -vE '_(bucket|count|sum|max)[{ ]|_total\{.*le=' \
      | sed -E 's/\{[^}]*\}//; s/ ([0-9.E+-]+)$/=\1/' | head -45 | tr '\n' ' ') || true
    DIAG+=("$name metrics: ${body:-none}")
    while IFS= read -r line; do DIAG+=("$name log: ${line:0:300}"); done \
      < <(grep -E ' (WARN|ERROR) +\[io\.streamingarrow' "$SDIR/$name.log" 2>/dev/null | tail -4)
  done
  for line in "${DIAG[@]}"; do log "  [diagnose] $line"; done
}

# ---------------------------------------------------------------- the outages
# Producer, sink and analyzer (on their defaults) take a steady stream of known events through
# POST /ingest; a third of the way in, the server dies, and it comes back OUTAGE_SECONDS later.
OUTAGE_ROWS="${FAULTS_OUTAGE_ROWS:-6000}"
OUTAGE_RATE="${FAULTS_OUTAGE_RATE:-300}"
# The fault comes once this many events were accepted (about 7 s into the stream at 300 rows/s): counted
# in events rather than seconds, so that a slow machine still fails the server mid-stream.
FAULT_AFTER_ROWS="${FAULTS_FAULT_AFTER_ROWS:-2000}"

accepted() { cat "$SDIR/events.ndjson" 2>/dev/null | wc -l; }

wait_accepted() { # rows driver_pid: until the driver has had that many events accepted (or has ended)
  while (( $(accepted) < $1 )) && kill -0 "$2" 2>/dev/null; do sleep 0.2; done
}

outage_scenario() { # server: kafka|clickhouse|postgres
  local server="$1"
  start_service sink sink
  start_service analyzer analyzer
  start_service producer producer
  wait_ready sink analyzer producer || return 1
  start_watch producer sink analyzer
  log "  streaming $OUTAGE_ROWS events at $OUTAGE_RATE rows/s over 20 devices; $server fails after $FAULT_AFTER_ROWS for ${OUTAGE_SECONDS}s"
  python3 "$HELPERS/faults.py" drive "$(svc_url producer)/ingest" "$SDIR" --rows "$OUTAGE_ROWS" --rate "$OUTAGE_RATE" --devices 20 &
  local driver=$!
  echo "$driver" >>"$WORK/helper-pids"
  wait_accepted "$FAULT_AFTER_ROWS" "$driver"
  case "$server" in
    kafka) kill -KILL "$(cat "$FAULTS_HOME/kafka/kafka.pid")" ;;
    clickhouse) kill -KILL "$(cat "$FAULTS_HOME/clickhouse/clickhouse.pid")" ;;
    postgres) fstack down postgres >>"$SDIR/stack.log" 2>&1 ;;
  esac
  local down_at; down_at=$(date +%s)
  log "  $server $( [[ $server == postgres ]] && echo stopped || echo killed) with $(accepted) events accepted"
  sleep "$OUTAGE_SECONDS"
  fstack up "$server" >>"$SDIR/stack.log" 2>&1 &
  local restarting=$! back_at
  until server_answers "$server"; do sleep 0.2; kill -0 "$restarting" 2>/dev/null || server_answers "$server" || break; done
  back_at=$(date +%s)
  wait "$restarting" || problem "$server did not come back (log $SDIR/stack.log)"
  log "  $server back after $(( back_at - down_at ))s"
  wait "$driver" || problem "the ingest driver failed"
  log "  driver done: $(cat "$SDIR/drive.done" 2>/dev/null) (events, requests, seconds); waiting for the stores"
  check_stores
  check_dlq_empty
  # Readiness is judged now, long after the return: each service must be ready, and must have become so
  # within RECOVERY_LIMIT of the server's return.
  stop_watch
  check_recovery "$down_at" "$back_at" "$RECOVERY_LIMIT" producer sink analyzer
}

svc_url() { echo "http://127.0.0.1:${SVC_PORT[$1]}"; }

server_answers() { # kafka|clickhouse|postgres
  case "$1" in
    kafka) (exec 3<>"/dev/tcp/127.0.0.1/$KAFKA_PORT") 2>/dev/null ;;
    clickhouse) [[ "$(curl -fsS --max-time 2 "http://127.0.0.1:$CH_HTTP_PORT/ping" 2>/dev/null)" == "Ok." ]] ;;
    postgres) pg_isready -q -h 127.0.0.1 -p "$PG_PORT" 2>/dev/null \
                || /usr/lib/postgresql/*/bin/pg_isready -q -h 127.0.0.1 -p "$PG_PORT" 2>/dev/null ;;
  esac
}

scenario_kafka-outage() { outage_scenario kafka; }
scenario_clickhouse-outage() { outage_scenario clickhouse; }
scenario_postgres-outage() { outage_scenario postgres; }

# ---------------------------------------------------------------- producer crash
# Four POST /ingest of 500 events each answered 200, then the producer dies at once (SIGKILL): every
# event it answered 200 for must be in Kafka (read back from the topic) and, through the sink, in ClickHouse.
scenario_producer-kill() {
  start_service sink sink
  start_service producer producer
  wait_ready sink producer || return 1
  py ingest-batches "$(svc_url producer)/ingest" "$SDIR" 4 500 || problem "an ingest request was not answered 200"
  kill_service producer KILL
  log "  producer killed right after its last 200; $(wc -l <"$SDIR/events.ndjson") events were accepted"
  local in_kafka=0 deadline=$(( $(date +%s) + 30 ))
  while :; do
    kafka_tool dump "$BOOTSTRAP" "$TOPIC" "$SDIR/topic.jsonl" || true
    in_kafka=$(python3 -c "import json,sys;print(sum(len(json.loads(l).get('rows') or []) for l in open(sys.argv[1])))" "$SDIR/topic.jsonl")
    (( in_kafka >= $(wc -l <"$SDIR/events.ndjson") )) && break
    (( $(date +%s) < deadline )) || break
    sleep 2
  done
  note "$in_kafka of $(wc -l <"$SDIR/events.ndjson") accepted events are in Kafka"
  (( in_kafka == $(wc -l <"$SDIR/events.ndjson") )) || problem "Kafka holds $in_kafka of the $(wc -l <"$SDIR/events.ndjson") events answered 200"
  check_stores 0
}

# ---------------------------------------------------------------- hostile input through /ingest
scenario_ingest-hostile() {
  start_service sink sink
  start_service analyzer analyzer -Danalyzer.window.idle-timeout=5s
  start_service producer producer -Dproducer.ingest.max-body-bytes=65536
  wait_ready sink analyzer producer || return 1
  local out
  out=$(py ingest-hostile "$(svc_url producer)/ingest" "$SDIR" 65536) || true
  while IFS= read -r line; do
    case "$line" in PROBLEM*) problem "${line#PROBLEM }" ;; '') ;; *) note "$line" ;; esac
  done <<<"$out"
  check_stores
  check_final_up_to
  check_dlq_empty
}

check_final_up_to() {
  local latest; latest=$(pg "SELECT max(final_up_to) FROM $SCHEMA.analyzer_progress" 2>/dev/null || echo "?")
  note "analyzer_progress final_up_to reaches ${latest:-nothing}"
  if [[ "$latest" != "" && "$latest" != "?" ]] && [[ "$(pg "SELECT max(final_up_to) > now() + interval '1 day' FROM $SCHEMA.analyzer_progress")" == t ]]; then
    problem "the analyzer's final_up_to ($latest) is in the future: a hostile timestamp moved its progress"
  fi
}

# ---------------------------------------------------------------- hostile input straight to Kafka
# Written by a foreign producer on partition 0, in this order: 58 good rows with one ts = -1 and one in
# year 9999; 10 good rows with one device holding U+0000 and one holding invalid UTF-8; random bytes;
# a valid message cut short; then 40 good rows. The good rows must land everywhere; each bad row and
# each broken message must be dead-lettered by both consumers with its reason, and both must keep going.
scenario_kafka-hostile() {
  start_service sink sink
  start_service analyzer analyzer -Danalyzer.window.idle-timeout=5s
  wait_ready sink analyzer || return 1
  start_watch sink analyzer
  local sent_at; sent_at=$(date +%s)
  py kafka-hostile-spec "$SDIR"
  kafka_tool send "$BOOTSTRAP" "$TOPIC" "$SDIR/spec.json" || problem "could not write the messages"
  check_stores
  check_final_up_to
  check_dlq
  stop_watch
  check_recovery "$sent_at" "$sent_at" 0 sink analyzer
}

# check_dlq: waits for the dead letters $SDIR/dlq-expected.json announces, then compares them exactly.
check_dlq() {
  local deadline=$(( $(date +%s) + 60 )) out
  while :; do
    kafka_tool dump "$BOOTSTRAP" "$DLQ" "$SDIR/dlq.jsonl" || true
    kafka_tool dump "$BOOTSTRAP" "$TOPIC" "$SDIR/topic.jsonl" || true
    out=$(py dlq-check "$SDIR") && break
    (( $(date +%s) < deadline )) || break
    sleep 3
  done
  while IFS= read -r line; do
    case "$line" in PROBLEM*) problem "${line#PROBLEM }" ;; '') ;; *) note "$line" ;; esac
  done <<<"$out"
}

# ---------------------------------------------------------------- a null (tombstone) message
# 20 good rows, a null message, 20 good rows, on one partition: the null must come out of the dead-letter
# topic as null (from each consumer, with a reason), and both consumers must go on past it.
scenario_null-message() {
  start_service sink sink
  start_service analyzer analyzer -Danalyzer.window.idle-timeout=5s
  wait_ready sink analyzer || return 1
  start_watch sink analyzer
  local sent_at; sent_at=$(date +%s)
  py null-message-spec "$SDIR"
  kafka_tool send "$BOOTSTRAP" "$TOPIC" "$SDIR/spec.json" || problem "could not write the messages"
  check_stores
  check_dlq
  stop_watch
  check_recovery "$sent_at" "$sent_at" 0 sink analyzer
}

# ---------------------------------------------------------------- scale-out and rebalances
# Two sinks and two analyzers in their consumer groups; mid-stream a third of each joins, then the first
# of each is killed (SIGKILL). Every row must be in ClickHouse once and every window in PostgreSQL once,
# with the right values. The consumers run with a 6 s session timeout (instead of 45 s) so that the
# group notices the killed members within seconds.
SCALE_ROWS="${FAULTS_SCALE_ROWS:-8000}"
scenario_scale-out() {
  local group_opts=(-Dmp.messaging.incoming.arrow-tables.session.timeout.ms=6000
    -Dmp.messaging.incoming.arrow-tables.heartbeat.interval.ms=1000)
  start_service sink1 sink "${group_opts[@]}"
  start_service sink2 sink "${group_opts[@]}"
  start_service analyzer1 analyzer "${group_opts[@]}"
  start_service analyzer2 analyzer "${group_opts[@]}"
  start_service producer producer
  wait_ready sink1 sink2 analyzer1 analyzer2 producer || return 1
  log "  streaming $SCALE_ROWS events at $OUTAGE_RATE rows/s over 20 devices"
  # The stream holds at 3/8 until the new members' JVMs are up (their consumers subscribe right after),
  # so that their join rebalances the groups while events flow, however slowly the JVMs start.
  python3 "$HELPERS/faults.py" drive "$(svc_url producer)/ingest" "$SDIR" --rows "$SCALE_ROWS" --rate "$OUTAGE_RATE" --devices 20 \
    --hold-at $(( SCALE_ROWS * 3 / 8 )) --hold-file "$SDIR/go" &
  local driver=$!
  echo "$driver" >>"$WORK/helper-pids"
  wait_accepted $(( SCALE_ROWS / 4 )) "$driver"
  start_service sink3 sink "${group_opts[@]}"
  start_service analyzer3 analyzer "${group_opts[@]}"
  until grep -qs 'started in' "$SDIR/sink3.log" && grep -qs 'started in' "$SDIR/analyzer3.log"; do
    kill -0 "${SVC_PID[sink3]}" 2>/dev/null && kill -0 "${SVC_PID[analyzer3]}" 2>/dev/null || break
    sleep 0.2
  done
  touch "$SDIR/go"
  log "  sink3 and analyzer3 started with $(accepted) events accepted; the stream goes on"
  # The kill comes while the stream flows (and the join's rebalance may still be going on).
  wait_accepted $(( SCALE_ROWS * 5 / 8 )) "$driver"
  kill_service sink1 KILL
  kill_service analyzer1 KILL
  local killed_at; killed_at=$(date +%s)
  log "  sink1 and analyzer1 killed with $(accepted) events accepted"
  wait_ready sink3 analyzer3
  start_watch producer sink2 sink3 analyzer2 analyzer3
  wait "$driver" || problem "the ingest driver failed"
  check_stores
  check_dlq_empty
  stop_watch
  check_recovery "$killed_at" "$killed_at" "$RECOVERY_LIMIT" producer sink2 sink3 analyzer2 analyzer3
}

# ---------------------------------------------------------------- main
cleanup() {
  local code=$?
  trap - EXIT INT TERM
  [[ -n "${WATCH_PID:-}" ]] && { touch "$SDIR/watch.stop" 2>/dev/null; kill "$WATCH_PID" 2>/dev/null || true; }
  stop_services 2>/dev/null || true
  # Anything this run started that is still alive (a scenario that failed half-way), by its mark only.
  if [[ -f "$WORK/pids" ]]; then
    while read -r pid; do
      if grep -qa -- "$SERVICE_MARK" "/proc/$pid/cmdline" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    done <"$WORK/pids"
  fi
  local job
  for job in $(jobs -p); do kill "$job" 2>/dev/null || true; done
  if [[ -f "$WORK/helper-pids" ]]; then # the drivers and watchers (python), by their own pids
    while read -r pid; do
      if grep -qa -- "$HELPERS/faults.py" "/proc/$pid/cmdline" 2>/dev/null; then kill "$pid" 2>/dev/null || true; fi
    done <"$WORK/helper-pids"
  fi
  if [[ "${FAULTS_KEEP_STACK:-0}" == 1 ]]; then
    log "FAULTS_KEEP_STACK=1: the suite's own stack stays up (deploy/local/stack.sh with STREAMING_ARROW_HOME=$FAULTS_HOME)"
  else
    log "stopping the suite's own stack"
    fstack down >>"$WORK/stack.log" 2>&1 || true
  fi
  exit "$code"
}

main() {
  local scenarios=("$@")
  if [[ "${1:-}" == --list ]]; then printf '%s\n' "${ALL_SCENARIOS[@]}"; return; fi
  (( ${#scenarios[@]} )) || scenarios=("${ALL_SCENARIOS[@]}")
  local s
  for s in "${scenarios[@]}"; do
    declare -F "scenario_$s" >/dev/null || { echo "unknown scenario $s (see --list)" >&2; exit 2; }
  done
  for svc in producer analyzer sink; do
    [[ -f "$REPO/$svc/target/quarkus-app/quarkus-run.jar" ]] || { echo "$svc is not packaged: run ./mvnw package first" >&2; exit 1; }
  done
  mkdir -p "$WORK/tool"
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  local started; started=$(date +%s)
  log "run $RUN_ID: own stack under $FAULTS_HOME (Kafka $KAFKA_PORT, ClickHouse $CH_HTTP_PORT, PostgreSQL $PG_PORT), logs in $WORK"
  javac -d "$WORK/tool" -cp "$REPO/producer/target/quarkus-app/lib/main/*" "$HELPERS/KafkaTool.java"
  if ! fstack status >/dev/null 2>&1; then
    # Not (all) running: start from empty data directories, so that a restarted broker has only this
    # run's logs to load. Only the suite's own instance, which nothing else uses.
    fstack down >"$WORK/stack.log" 2>&1 || true
    rm -rf "$FAULTS_HOME/kafka" "$FAULTS_HOME/clickhouse" "$FAULTS_HOME/postgres"
  fi
  fstack up >>"$WORK/stack.log" 2>&1 || fstack up >>"$WORK/stack.log" 2>&1 || { tail -20 "$WORK/stack.log" >&2; exit 1; }
  local t0
  for s in "${scenarios[@]}"; do
    t0=$(date +%s)
    log "$s: start"
    new_scenario "$s" && "scenario_$s" || problem "the scenario stopped early (exit $?)"
    DIAG=()
    (( ${#PROBLEMS[@]} )) && diagnose
    stop_watch 2>/dev/null || true
    stop_services
    # The servers must be up for the next scenario, whatever this one did to them.
    fstack up >>"$WORK/stack.log" 2>&1 || true
    local took=$(( $(date +%s) - t0 ))
    if (( ${#PROBLEMS[@]} )); then
      FAILED=$((FAILED + 1))
      local more=""
      (( ${#PROBLEMS[@]} > 8 )) && more=" (+$(( ${#PROBLEMS[@]} - 8 )) more)"
      RESULTS+=("FAIL $s (${took}s): $(printf '%s; ' "${PROBLEMS[@]:0:8}" | sed 's/; $//')$more")
      for line in "${DIAG[@]}"; do RESULTS+=("    [diagnose] $line"); done
    else
      PASSED=$((PASSED + 1))
      RESULTS+=("PASS $s (${took}s): $(printf '%s; ' "${NOTES[@]}" | sed 's/; $//')")
    fi
    log "${RESULTS[-1 - ${#DIAG[@]}]}"
    # Leave nothing behind in the stores.
    ch "DROP TABLE IF EXISTS streaming_arrow.\`$TABLE\`" >/dev/null 2>&1 || true
    pg "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1 || true
    kafka_tool delete "$BOOTSTRAP" "$TOPIC" "$DLQ" "aggregates_$SID" "alerts_$SID" >/dev/null 2>&1 || true
  done
  echo
  log "summary ($(( $(date +%s) - started ))s):"
  printf '  %s\n' "${RESULTS[@]}"
  echo "$PASSED passed, $FAILED failed"
  (( FAILED == 0 ))
}

main "$@"
