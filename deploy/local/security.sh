#!/usr/bin/env bash
# The security suite (docs/security.md), on a secure stack instance of its own (STREAMING_ARROW_SECURE=1
# deploy/local/stack.sh under $STREAMING_ARROW_HOME/secure, on other ports), against the packaged services:
#   1. e2e.sh --secure: the end-to-end scenario with its exact counts over SASL_SSL, HTTPS and PostgreSQL TLS;
#   2. refusals: a wrong password, an untrusted certificate, a certificate for another host name (ClickHouse and
#      PostgreSQL) and a principal without the ACL, on each hop,
#      are refused with a clear error (the pattern each scenario waits for) and write nothing (checked in
#      Kafka, ClickHouse and PostgreSQL); the sink's vertx transport lands rows over HTTPS;
#   3. deploy/k8s/tls-local.sh: the Kubernetes manifests' ClickHouse and PostgreSQL TLS settings on servers of
#      their own, the sink and analyzer as their Deployments configure them;
#   4. no password or token in any service's log of the suite.
#
#   deploy/local/security.sh [--refusals-only]
#
# Ports: Kafka 29192 (admin, plaintext) / 29193 (controller) / 29194 (SASL_SSL), ClickHouse 18443 (HTTPS) /
# 19440 (native TLS), PostgreSQL 15442; the refusal scenarios' services from 18290 up. e2e.sh --secure uses
# 8080-8082 like e2e.sh. Overrides: SECURITY_HOME, SECURITY_KAFKA_PORT, SECURITY_KAFKA_CONTROLLER_PORT,
# SECURITY_KAFKA_SASL_PORT, SECURITY_CLICKHOUSE_HTTPS_PORT, SECURITY_CLICKHOUSE_TCP_PORT,
# SECURITY_POSTGRES_PORT, SECURITY_HTTP_BASE; SECURITY_KEEP_STACK=1 leaves its servers up.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PARENT_HOME="${STREAMING_ARROW_HOME:-$REPO/.local-stack}"
export STREAMING_ARROW_CACHE="${STREAMING_ARROW_CACHE:-$PARENT_HOME/cache}"
export STREAMING_ARROW_SECURE=1
export STREAMING_ARROW_HOME="${SECURITY_HOME:-$PARENT_HOME/secure}"
export STREAMING_ARROW_KAFKA_PORT="${SECURITY_KAFKA_PORT:-29192}"
export STREAMING_ARROW_KAFKA_CONTROLLER_PORT="${SECURITY_KAFKA_CONTROLLER_PORT:-29193}"
export STREAMING_ARROW_KAFKA_SASL_PORT="${SECURITY_KAFKA_SASL_PORT:-29194}"
export STREAMING_ARROW_CLICKHOUSE_HTTPS_PORT="${SECURITY_CLICKHOUSE_HTTPS_PORT:-18443}"
export STREAMING_ARROW_CLICKHOUSE_TCP_PORT="${SECURITY_CLICKHOUSE_TCP_PORT:-19440}"
export STREAMING_ARROW_POSTGRES_PORT="${SECURITY_POSTGRES_PORT:-15442}"
export STREAMING_ARROW_START_TIMEOUT="${STREAMING_ARROW_START_TIMEOUT:-180}"
HTTP_BASE="${SECURITY_HTTP_BASE:-18290}"
# How long a refusal scenario may take to show its error (a JVM start on a busy machine included).
WAIT_LIMIT="${SECURITY_WAIT_LIMIT:-240}"
STACK="$REPO/deploy/local/stack.sh"
RUN="sec_$(date +%s)"
WORK="$STREAMING_ARROW_HOME/runs/$RUN"
ARROW_OPENS="--add-opens=java.base/java.nio=ALL-UNNAMED"
MARK="-Dstreaming-arrow.security-run=$RUN" # on every JVM this run starts: cleanup kills only those
REFUSALS_ONLY=false
[[ "${1:-}" == --refusals-only ]] && REFUSALS_ONLY=true

log() { printf '[security %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
PIDS=()
started_stack=false
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [[ "$started_stack" == true && "${SECURITY_KEEP_STACK:-0}" != 1 ]]; then "$STACK" down || true; fi
}
trap cleanup EXIT

for svc in producer analyzer sink; do
  [[ -f "$REPO/$svc/target/quarkus-app/quarkus-run.jar" ]] || { echo "[security] $svc is not packaged: run ./mvnw package first" >&2; exit 1; }
done
"$STACK" status >/dev/null 2>&1 || started_stack=true
"$STACK" up
mkdir -p "$WORK"
# shellcheck disable=SC1091
source "$STREAMING_ARROW_HOME/security/credentials.env"
# shellcheck disable=SC1091
source "$STREAMING_ARROW_HOME/security/endpoints.env"
# shellcheck source=deploy/local/security-env.sh
source "$REPO/deploy/local/security-env.sh"
INGEST_TOKEN="$(openssl rand -hex 24)"

if [[ "$REFUSALS_ONLY" == false ]]; then
  log "the end-to-end scenario over the secure stack (e2e.sh --secure)"
  "$REPO/deploy/local/e2e.sh" --secure
fi

# ---------------------------------------------------------------- refusals
KAFKA_LIBS="$(ls -d "$STREAMING_ARROW_CACHE"/kafka-* | head -1)"
kafka_tool() { java -Xmx128m -cp "$KAFKA_LIBS/*" -Dlog4j2.level=WARN "$@"; }
ch() { curl -fsS --cacert "$CA_CERT" -K <(printf 'user = "default:%s"\n' "$CLICKHOUSE_ADMIN_PASSWORD") "$CLICKHOUSE_HTTPS_URL/" --data-binary "$1"; }
pg() { PGPASSWORD="$POSTGRES_PASSWORD" psql "host=127.0.0.1 port=$POSTGRES_PORT dbname=streaming_arrow user=streaming_arrow sslmode=verify-full sslrootcert=$CA_CERT" -tAqc "$1"; }
topic_records() { # topic: records in all its partitions (through the admin listener)
  kafka_tool org.apache.kafka.tools.GetOffsetShell --bootstrap-server "$KAFKA_ADMIN_BOOTSTRAP" --topic "$1" 2>/dev/null \
    | awk -F: '{ n += $3 } END { print n + 0 }'
}

# A CA nobody trusts, with a certificate for the same names: "untrusted certificate" from the client's side.
ROGUE="$WORK/rogue-ca.crt"
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 2 -keyout "$WORK/rogue-ca.key" -out "$ROGUE" \
  -subj "/CN=Not the Streaming Arrow CA" 2>/dev/null

# A name that reaches the stack's servers but is not in their certificate (localhost, 127.0.0.1): the JVMs of the
# wrong-host scenarios resolve it through this file (-Djdk.net.hosts.file, which replaces the system resolver).
HOSTS="$WORK/hosts"
printf '127.0.0.1 localhost %s not-in-the-certificate\n' "$(hostname)" >"$HOSTS"
WRONG_HOST=(-- -Djdk.net.hosts.file="$HOSTS")

# Topics: one the producers may write (its ACL granted), with rows for the sinks and analyzers to read.
DATA="${RUN}_data"
kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_ADMIN_BOOTSTRAP" --create --topic "$DATA" \
  --partitions 2 --replication-factor 1 >"$WORK/topics.log" 2>&1
"$STACK" acls "$DATA" "${RUN}_aggregates" "${RUN}_alerts" "${RUN}_dlq" "${RUN}_sink" "${RUN}_analyzer" >"$WORK/acls.log" 2>&1

declare -A SCENARIO_PID=() SCENARIO_PORT=() SCENARIO_EXPECT=() SCENARIO_SERVICE=()
NEXT_PORT="$HTTP_BASE"
# scenario NAME SERVICE KAFKA-USER 'expected error (grep -E)' [VAR=value ...] [-- -Dproperty=value ...]
# The service runs with the secure settings of security-env.sh, then the scenario's changes on top.
scenario() {
  local name="$1" svc="$2" user="$3" expect="$4"; shift 4
  local -a env=() props=()
  while [[ $# -gt 0 && "$1" != -- ]]; do env+=("$1"); shift; done
  [[ "${1:-}" == -- ]] && { shift; props=("$@"); }
  while ss -ltnH "sport = :$NEXT_PORT" | grep -q .; do NEXT_PORT=$((NEXT_PORT + 1)); done
  local port="$NEXT_PORT"; NEXT_PORT=$((NEXT_PORT + 1))
  mkdir -p "$WORK/$name"
  (
    secure_service_env "$svc" "$user"
    local assignment
    for assignment in "${env[@]}"; do export "${assignment?}"; done
    local store="${RUN}_${name//-/_}"
    local -a own
    case "$svc" in
      producer) own=(-Dmp.messaging.outgoing.arrow-tables.topic="$DATA" -Dproducer.host-metrics.enabled=false
                     -Dproducer.fleet.enabled=false -Dproducer.ingest.ack-timeout=5s) ;;
      # Each sink in a group of its own (granted below): every one of them is handed the rows.
      sink) own=(-Dmp.messaging.incoming.arrow-tables.topic="$DATA" -Dmp.messaging.incoming.arrow-tables.group.id="${RUN}_sink_$name"
                 -Dmp.messaging.outgoing.arrow-tables-dlq.topic="${RUN}_dlq" -Dsink.clickhouse.table="$store" -Dsink.insert.linger=500ms) ;;
      analyzer) own=(-Dmp.messaging.incoming.arrow-tables.topic="$DATA" -Dmp.messaging.incoming.arrow-tables.group.id="${RUN}_analyzer"
                     -Dmp.messaging.outgoing.arrow-tables-dlq.topic="${RUN}_dlq" -Dmp.messaging.outgoing.arrow-aggregates.topic="${RUN}_aggregates"
                     -Dmp.messaging.outgoing.alerts.topic="${RUN}_alerts" -Danalyzer.store.schema="$store"
                     -Danalyzer.store.migrate-timeout=120s) ;; # a busy machine: let PostgreSQL's answer arrive
    esac
    exec java $ARROW_OPENS -Xmx160m "$MARK" -Dquarkus.http.port="$port" "${own[@]}" "${props[@]}" \
      -jar "$REPO/$svc/target/quarkus-app/quarkus-run.jar"
  ) >"$WORK/$name/service.log" 2>&1 &
  PIDS+=($!)
  SCENARIO_PID[$name]=$!
  SCENARIO_PORT[$name]=$port
  SCENARIO_EXPECT[$name]="$expect"
  SCENARIO_SERVICE[$name]="$svc"
}

live() { curl -fsS --max-time 2 "http://127.0.0.1:${SCENARIO_PORT[$1]}/q/health/live" >/dev/null 2>&1; }
wait_live() { # scenario
  local deadline=$(( $(date +%s) + WAIT_LIMIT ))
  until live "$1"; do
    (( $(date +%s) < deadline )) && kill -0 "${SCENARIO_PID[$1]}" 2>/dev/null || return 1
    sleep 1
  done
}
events() { # count device: NDJSON
  python3 - "$1" "$2" <<'PY'
import json, sys, time
n, device = int(sys.argv[1]), sys.argv[2]
now = int(time.time() * 1_000_000)
for i in range(n):
    print(json.dumps({"device": device, "ts": now - (n - i) * 1000, "cpu_used": 10.0 + i % 50, "cpu_free": 50.0,
                      "memory_used": 40.0, "memory_free": 60.0, "run_elapsed_ms": i}))
PY
}
ingest() { # scenario file: prints the HTTP status
  curl -s -o "$WORK/$1/ingest-answer.json" -w '%{http_code}' --max-time 60 -H 'content-type: application/x-ndjson' \
    -K <(printf 'header = "Authorization: Bearer %s"\n' "$INGEST_TOKEN") --data-binary @"$2" \
    "http://127.0.0.1:${SCENARIO_PORT[$1]}/ingest"
}
# The error a scenario must show, in its log or its readiness answer, within WAIT_LIMIT seconds.
RESULTS=()
FAILED=0
shows_error() { # scenario
  local name="$1" deadline=$(( $(date +%s) + WAIT_LIMIT ))
  while (( $(date +%s) < deadline )); do
    curl -s --max-time 3 "http://127.0.0.1:${SCENARIO_PORT[$name]}/q/health/ready" >"$WORK/$name/ready.json" 2>/dev/null || true
    if grep -qE -- "${SCENARIO_EXPECT[$name]}" "$WORK/$name/service.log" "$WORK/$name/ready.json"; then return 0; fi
    sleep 2
  done
  return 1
}
# check NAME DETAIL test-expression...: the verdict of a [[ ]] without tripping set -e.
check() { local name="$1" detail="$2"; shift 2; if "$@"; then verdict "$name" 0 "$detail"; else verdict "$name" 1 "$detail"; fi; }
verdict() { # scenario ok(0/1) detail
  if [[ "$2" == 0 ]]; then RESULTS+=("PASS $1: $3"); else RESULTS+=("FAIL $1: $3"); FAILED=$((FAILED + 1)); fi
  log "${RESULTS[-1]}"
}
first_match() { grep -hoE -m1 -- "${SCENARIO_EXPECT[$1]}.{0,100}" "$WORK/$1/service.log" "$WORK/$1/ready.json" 2>/dev/null | head -1; }
stop() { kill -TERM "${SCENARIO_PID[$1]}" 2>/dev/null || true; }

log "refusals: Kafka (wrong password, untrusted certificate, no ACL), PostgreSQL (wrong password, untrusted certificate, no TLS, certificate for another name)"
ROWS=200
events "$ROWS" sec-device >"$WORK/events.ndjson"
# The one that must work, first: its rows are what the refused sinks and analyzers would have written.
# A patient client: on a busy machine Kafka's acknowledgement may take longer than the 5 s the refused ones get.
scenario producer-ok producer producer "^$" -- -Dproducer.ingest.ack-timeout=60s
scenario kafka-wrong-password producer producer "invalid credentials with SASL mechanism SCRAM-SHA-512" \
  KAFKA_SASL_JAAS_CONFIG="org.apache.kafka.common.security.scram.ScramLoginModule required username=\"producer\" password=\"not-the-password\";"
scenario kafka-untrusted-certificate producer producer "PKIX path building failed|unable to find valid certification path" \
  KAFKA_SSL_TRUSTSTORE_LOCATION="$ROGUE"
scenario kafka-no-acl producer outsider "Not authorized to access topics"
scenario kafka-sink-writes-input producer sink "Not authorized to access topics"
scenario postgres-wrong-password analyzer analyzer 'password authentication failed for user "streaming_arrow"' \
  POSTGRES_PASSWORD=not-the-password
# The reactive client reports only this (its cause, the certificate path, is not kept); the same start with
# the stack's CA passes in e2e.sh --secure.
scenario postgres-untrusted-certificate analyzer analyzer "SSL handshake failed" \
  QUARKUS_DATASOURCE_REACTIVE_TRUST_CERTIFICATE_PEM_CERTS="$ROGUE"
scenario postgres-no-tls analyzer analyzer 'pg_hba.conf rejects connection .*no encryption' \
  QUARKUS_DATASOURCE_REACTIVE_POSTGRESQL_SSL_MODE=disable
# verify-full: the stack's own CA, but the URL names a host the certificate does not (the reactive client again
# keeps no cause; the same start with the host 127.0.0.1 passes in e2e.sh --secure).
scenario postgres-wrong-host analyzer analyzer "SSL handshake failed" \
  POSTGRES_URL="${POSTGRES_URL/127.0.0.1/not-in-the-certificate}" "${WRONG_HOST[@]}"

wait_live producer-ok || { verdict producer-ok 1 "did not start: $(tail -5 "$WORK/producer-ok/service.log")"; exit 1; }
code=$(ingest producer-ok "$WORK/events.ndjson" || true)
records=$(topic_records "$DATA")
check producer-ok "the producer's own user, right password and CA: /ingest $code, $ROWS rows in $records records" \
  test "$code" == 200 -a "$records" -gt 0
stop producer-ok
BASELINE="$records"

# Producers refused: /ingest must not answer 200, the topic must hold no more records than before.
for name in kafka-wrong-password kafka-untrusted-certificate kafka-no-acl kafka-sink-writes-input; do
  if ! wait_live "$name"; then verdict "$name" 1 "did not start: $(tail -3 "$WORK/$name/service.log")"; continue; fi
  code=$(ingest "$name" "$WORK/events.ndjson" || true)
  if shows_error "$name"; then error="$(first_match "$name")"; else error=""; fi
  records=$(topic_records "$DATA")
  check "$name" "/ingest $code, records in the topic $records (before $BASELINE), error: ${error:-none found for '${SCENARIO_EXPECT[$name]}'}" \
    test -n "$error" -a "$code" != 200 -a "$records" == "$BASELINE"
  stop "$name"
done
# Analyzers refused by PostgreSQL: the error shows, and their schema holds no window.
for name in postgres-wrong-password postgres-untrusted-certificate postgres-no-tls postgres-wrong-host; do
  if shows_error "$name"; then error="$(first_match "$name")"; else error=""; fi
  sleep 1
  windows=$(pg "SELECT count(*) FROM information_schema.tables WHERE table_schema = '${RUN}_${name//-/_}'")
  check "$name" "tables in its schema $windows, error: ${error:-none found for '${SCENARIO_EXPECT[$name]}'}" \
    test -n "$error" -a "$windows" == 0
  stop "$name"
done

log "refusals: ClickHouse (wrong password, untrusted certificate, certificate for another name, both transports), Kafka group without ACL; vertx over HTTPS"
SINK_SCENARIOS=(clickhouse-ok-vertx clickhouse-wrong-password clickhouse-untrusted-java-client clickhouse-untrusted-vertx
  clickhouse-wrong-host-java-client clickhouse-wrong-host-vertx)
groups=()
for name in "${SINK_SCENARIOS[@]}"; do groups+=(--group "${RUN}_sink_$name"); done
kafka_tool org.apache.kafka.tools.AclCommand --bootstrap-server "$KAFKA_ADMIN_BOOTSTRAP" --add --allow-principal User:sink \
  --operation Read "${groups[@]}" >>"$WORK/acls.log" 2>&1
scenario clickhouse-ok-vertx sink sink "^$" SINK_CLICKHOUSE_TRANSPORT=vertx
scenario clickhouse-wrong-password sink sink "Wrong password for user streaming_arrow" SINK_CLICKHOUSE_PASSWORD=not-the-password
scenario clickhouse-untrusted-java-client sink sink "PKIX path building failed|unable to find valid certification path" \
  SINK_CLICKHOUSE_CA_CERT="$ROGUE"
# Vert.x reports the handshake, not its cause; the same sink with the stack's CA is clickhouse-ok-vertx.
scenario clickhouse-untrusted-vertx sink sink "SSLHandshakeException|PKIX path building failed" \
  SINK_CLICKHOUSE_CA_CERT="$ROGUE" SINK_CLICKHOUSE_TRANSPORT=vertx
# The stack's own CA, a host the certificate does not name: both transports check the name.
scenario clickhouse-wrong-host-java-client sink sink "doesn't match any of the subject alternative names" \
  SINK_CLICKHOUSE_URL="${CLICKHOUSE_HTTPS_URL/127.0.0.1/not-in-the-certificate}" "${WRONG_HOST[@]}"
scenario clickhouse-wrong-host-vertx sink sink "No subject alternative DNS name matching not-in-the-certificate" \
  SINK_CLICKHOUSE_URL="${CLICKHOUSE_HTTPS_URL/127.0.0.1/not-in-the-certificate}" SINK_CLICKHOUSE_TRANSPORT=vertx "${WRONG_HOST[@]}"
scenario kafka-foreign-group sink sink "Not authorized to access group" -- \
  -Dmp.messaging.incoming.arrow-tables.group.id="${RUN}_analyzer"

table_rows() { # table: rows, or 0 when it does not exist
  if [[ "$(ch "EXISTS TABLE streaming_arrow.\`$1\`")" == 1 ]]; then ch "SELECT count() FROM streaming_arrow.\`$1\` FINAL"; else echo 0; fi
}
deadline=$(( $(date +%s) + WAIT_LIMIT ))
until [[ "$(table_rows "${RUN}_clickhouse_ok_vertx" 2>/dev/null)" == "$ROWS" ]] || (( $(date +%s) >= deadline )); do sleep 2; done
rows=$(table_rows "${RUN}_clickhouse_ok_vertx")
check clickhouse-ok-vertx "the vertx transport over HTTPS with the CA: $rows of $ROWS rows in ClickHouse" test "$rows" == "$ROWS"
stop clickhouse-ok-vertx
for name in clickhouse-wrong-password clickhouse-untrusted-java-client clickhouse-untrusted-vertx clickhouse-wrong-host-java-client \
  clickhouse-wrong-host-vertx kafka-foreign-group; do
  if shows_error "$name"; then error="$(first_match "$name")"; else error=""; fi
  rows=$(table_rows "${RUN}_${name//-/_}")
  check "$name" "rows in its table $rows, error: ${error:-none found for '${SCENARIO_EXPECT[$name]}'}" \
    test -n "$error" -a "$rows" == 0
  stop "$name"
done

# The Kubernetes manifests' TLS settings for ClickHouse and PostgreSQL on servers of their own, with the sink and the
# analyzer as their Deployments configure them (Kafka: this stack's SASL_SSL listener).
log "the Kubernetes manifests' ClickHouse and PostgreSQL TLS on real servers (deploy/k8s/tls-local.sh)"
if "$REPO/deploy/k8s/tls-local.sh" >"$WORK/tls-local.log" 2>&1; then
  verdict k8s-tls-local 0 "$(grep -E '^\[tls-local [0-9:]+\] [0-9]+ passed' "$WORK/tls-local.log" | sed 's/^\[[^]]*\] //')"
else
  verdict k8s-tls-local 1 "$(grep -E 'FAIL|rror' "$WORK/tls-local.log" | head -5 | tr '\n' ' ') (log $WORK/tls-local.log)"
fi

# No secret in any log of this run (the refused ones print their errors, never the credentials).
if grep -rlF -f <(secure_secrets) "$WORK" --include=service.log >"$WORK/leaks.txt"; then
  verdict no-secret-in-logs 1 "a password or the token is printed in $(tr '\n' ' ' <"$WORK/leaks.txt")"
else
  verdict no-secret-in-logs 0 "$(cat "$WORK"/*/service.log | wc -l) log lines of $(ls -d "$WORK"/*/ | wc -l) services checked"
fi

log "summary (logs under $WORK):"
printf '  %s\n' "${RESULTS[@]}"
(( FAILED == 0 )) || { log "$FAILED refusal check(s) FAILED"; exit 1; }
log "PASS"
