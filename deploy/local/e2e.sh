#!/usr/bin/env bash
# End-to-end test of the whole pipeline on the local stack: the three packaged services run together
# (on their own topic, ClickHouse table, PostgreSQL schema and consumer groups), a known set of events
# goes in through HTTP ingest, and then:
#   - exactly those rows are in ClickHouse, with the right values;
#   - the window aggregates in PostgreSQL equal a brute-force computation over the same events;
#   - the one device driven hot has opened exactly one alert;
#   - all of that although the analyzer and the sink were killed (SIGKILL) and restarted in the middle
#     of the stream.
# Needs: the stack up (deploy/local/stack.sh up) and the services packaged (./mvnw package).
# --native: the same scenario with the native executables (./mvnw package -Dnative, deploy/native/README.md).
# --secure: the same scenario over a secure stack (STREAMING_ARROW_SECURE=1 deploy/local/stack.sh up, same
#   STREAMING_ARROW_HOME and port variables): Kafka over SASL_SSL with each service's own SCRAM user and
#   ACLs granted for this run's names only, the sink on ClickHouse's HTTPS port, the analyzer on PostgreSQL
#   with verify-full, /ingest behind a bearer token. The services are configured only through environment
#   variables (as in Kubernetes), and at the end no secret may appear in their logs (docs/security.md).
set -euo pipefail
NATIVE=false
SECURE=false
while [[ $# -gt 0 ]]; do
  case "$1" in
    --native) NATIVE=true; shift ;;
    --secure) SECURE=true; shift ;;
    *) break ;;
  esac
done

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ID="e2e_$(date +%s)_$$"
WORK="${STREAMING_ARROW_HOME:-$REPO/.local-stack}/e2e/$ID"
mkdir -p "$WORK"
TOPIC="arrow_tables_$ID"
TABLE="sensor_readings_$ID"
SCHEMA="$ID"
ARROW_OPENS="--add-opens=java.base/java.nio=ALL-UNNAMED"
# STREAMING_ARROW_E2E_PORTS="P R S": the HTTP ports of producer, analyzer and sink (default "8080 8081 8082"), for a
# run beside another one that holds the usual ports (each run has its own topic, table, schema and groups anyway).
read -r port_producer port_analyzer port_sink <<<"${STREAMING_ARROW_E2E_PORTS:-8080 8081 8082}"
declare -A PORT=([producer]="$port_producer" [analyzer]="$port_analyzer" [sink]="$port_sink")
PIDS=()

log() { printf '[e2e] %s\n' "$*"; }
fail() {
  printf '[e2e] FAIL: %s\n' "$*" >&2
  for svc in producer analyzer sink; do
    echo "---- end of $WORK/$svc.log" >&2
    tail -n 25 "$WORK/$svc.log" >&2 || true
  done
  exit 1
}
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT

for svc in producer analyzer sink; do
  if [[ "$NATIVE" == true ]]; then
    compgen -G "$REPO/$svc/target/*-runner" >/dev/null || fail "$svc has no native executable: run ./mvnw package -Dnative first"
  else
    [[ -f "$REPO/$svc/target/quarkus-app/quarkus-run.jar" ]] || fail "$svc is not packaged: run ./mvnw package first"
  fi
  if ss -ltnH "sport = :${PORT[$svc]}" | grep -q .; then fail "port ${PORT[$svc]} for $svc is taken"; fi
done

ADMIN_BOOTSTRAP=127.0.0.1:19092
if [[ "$SECURE" == true ]]; then
  SECURITY="${STREAMING_ARROW_HOME:-$REPO/.local-stack}/security"
  [[ -f "$SECURITY/credentials.env" && -f "$SECURITY/endpoints.env" ]] \
    || fail "no secure stack under ${STREAMING_ARROW_HOME:-$REPO/.local-stack}: run STREAMING_ARROW_SECURE=1 deploy/local/stack.sh up first"
  # shellcheck disable=SC1091
  source "$SECURITY/credentials.env"
  # shellcheck disable=SC1091
  source "$SECURITY/endpoints.env"
  ADMIN_BOOTSTRAP="$KAFKA_ADMIN_BOOTSTRAP"
  INGEST_TOKEN="$(openssl rand -hex 24)"
  # Each service's principal may use only this run's names: the ACLs the stack grants for the contract's.
  STREAMING_ARROW_SECURE=1 "$REPO/deploy/local/stack.sh" acls "$TOPIC" "aggregates_$ID" "alerts_$ID" "dlq_$ID" \
    "sink_$ID" "analyzer_$ID" >"$WORK/acls.log" 2>&1 || fail "cannot grant the run's ACLs: $(tail -5 "$WORK/acls.log")"
fi

# The run's topics exist before anyone uses them, with the partitions of the stack's (stack.sh TOPICS): on the secure
# stack the services may not create topics (no CREATE ACL), so without this the analyzer's outputs were refused
# (TopicAuthorizationException) for the whole secure run, unnoticed while its windows reached PostgreSQL first.
KAFKA_LIBS="$(ls -d "${STREAMING_ARROW_CACHE:-${STREAMING_ARROW_HOME:-$REPO/.local-stack}/cache}"/kafka-* | head -1)"
for topic_partitions in "$TOPIC:4" "aggregates_$ID:4" "alerts_$ID:4" "dlq_$ID:1"; do
  java -cp "$KAFKA_LIBS/*" -Dlog4j2.level=WARN org.apache.kafka.tools.TopicCommand --bootstrap-server "$ADMIN_BOOTSTRAP" \
    --create --if-not-exists --topic "${topic_partitions%:*}" --partitions "${topic_partitions##*:}" --replication-factor 1 \
    >>"$WORK/topic.log" 2>&1 || fail "cannot create ${topic_partitions%:*}: $(tail -3 "$WORK/topic.log")"
done

# --secure: each service configured by environment variables only (deploy/local/security-env.sh).
# shellcheck source=deploy/local/security-env.sh
source "$REPO/deploy/local/security-env.sh"
secure_env() { # service
  [[ "$SECURE" == true ]] || return 0
  secure_service_env "$1"
}

start() { # service, then -D options
  local svc="$1"; shift
  if [[ "$NATIVE" == true ]]; then
    ( export QUARKUS_HTTP_PORT="${PORT[$svc]}"; secure_env "$svc"; exec "$(compgen -G "$REPO/$svc/target/*-runner" | head -1)" -Xmx256m "$@" ) >"$WORK/$svc.log" 2>&1 &
  else
    ( export QUARKUS_HTTP_PORT="${PORT[$svc]}"; secure_env "$svc"; exec java $ARROW_OPENS -Xmx256m "$@" -jar "$REPO/$svc/target/quarkus-app/quarkus-run.jar" ) >"$WORK/$svc.log" 2>&1 &
  fi
  PIDS+=($!)
}
# Both consumers get a short session timeout, so that after the kill below Kafka hands their partitions
# to the restarted process within seconds.
start_sink() {
  start sink \
    -Dmp.messaging.incoming.arrow-tables.topic="$TOPIC" \
    -Dmp.messaging.incoming.arrow-tables.group.id="sink_$ID" \
    -Dmp.messaging.outgoing.arrow-tables-dlq.topic="dlq_$ID" \
    -Dsink.clickhouse.table="$TABLE" \
    -Dsink.insert.linger=500ms \
    -Dmp.messaging.incoming.arrow-tables.session.timeout.ms=6000 \
    -Dmp.messaging.incoming.arrow-tables.heartbeat.interval.ms=1000
}
start_sink
if [[ "$SECURE" == true ]]; then
  # ClickHouse's admin over HTTPS, PostgreSQL over TLS with the server's name checked; passwords through a
  # file descriptor or the environment, never the command line.
  ch() { curl -fsS --cacert "$CA_CERT" -K <(printf 'user = "default:%s"\n' "$CLICKHOUSE_ADMIN_PASSWORD") "$CLICKHOUSE_HTTPS_URL/" --data-binary "$1"; }
  pg() { PGPASSWORD="$POSTGRES_PASSWORD" psql "host=127.0.0.1 port=$POSTGRES_PORT dbname=streaming_arrow user=streaming_arrow sslmode=verify-full sslrootcert=$CA_CERT" -tAqc "$1"; }
  ingest_auth() { printf 'header = "Authorization: Bearer %s"\n' "$INGEST_TOKEN"; }
else
  ch() { curl -fsS http://127.0.0.1:8123/ --data-binary "$1"; }
  pg() { PGPASSWORD=streaming_arrow psql -h 127.0.0.1 -U streaming_arrow -d streaming_arrow -tAqc "$1"; }
  ingest_auth() { :; }
fi
ingest() { # NDJSON file
  local code
  code=$(curl -s -o "$WORK/ingest-answer.json" -w '%{http_code}' -H 'content-type: application/x-ndjson' \
    -K <(ingest_auth) --data-binary @"$1" http://127.0.0.1:${PORT[producer]}/ingest)
  [[ "$code" == 200 ]] || fail "ingest answered $code: $(cat "$WORK/ingest-answer.json")"
}
ready() { # service
  for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:${PORT[$1]}/q/health/ready" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  fail "$1 did not become ready (log $WORK/$1.log)"
}

start_analyzer() {
  start analyzer \
    -Dmp.messaging.incoming.arrow-tables.topic="$TOPIC" \
    -Dmp.messaging.incoming.arrow-tables.group.id="analyzer_$ID" \
    -Dmp.messaging.outgoing.arrow-aggregates.topic="aggregates_$ID" \
    -Dmp.messaging.outgoing.alerts.topic="alerts_$ID" \
    -Dmp.messaging.outgoing.arrow-tables-dlq.topic="dlq_$ID" \
    -Danalyzer.store.schema="$SCHEMA" \
    -Danalyzer.store.migrate-timeout=120s \
    -Danalyzer.window.idle-timeout=5s \
    -Danalyzer.window.allowed-lateness=60s \
    -Dmp.messaging.incoming.arrow-tables.session.timeout.ms=6000 \
    -Dmp.messaging.incoming.arrow-tables.heartbeat.interval.ms=1000 \
    -Dmp.messaging.incoming.arrow-tables.auto.commit.interval.ms=250
}
start_analyzer
start producer \
  -Dmp.messaging.outgoing.arrow-tables.topic="$TOPIC" \
  -Dproducer.host-metrics.enabled=false \
  -Dproducer.fleet.enabled=false

for svc in sink analyzer producer; do
  ready "$svc"
done
log "services ready (topic $TOPIC, table $TABLE, schema $SCHEMA)"

# The live page in headless Chromium, open before any event arrives: it must update by itself.
command -v chromium >/dev/null || fail "chromium is missing (apt-get install chromium): needed for the live page check"
(cd "$REPO/deploy/local/browser" && { [[ -d node_modules/playwright-core ]] || npm install --no-audit --no-fund --loglevel=error; })
node "$REPO/deploy/local/browser/live-view-check.mjs" http://127.0.0.1:${PORT[analyzer]}/ 12 boiler-hot "$WORK/live-view.json" \
  >"$WORK/browser.log" 2>&1 &
BROWSER_PID=$!
for _ in $(seq 1 60); do grep -q '^ready' "$WORK/browser.log" && break; sleep 0.5; done
grep -q '^ready' "$WORK/browser.log" || fail "the live page did not load: $(cat "$WORK/browser.log")"
log "live page open in headless Chromium"

# The known events: 12 devices x 250 events over 50 s of event time, ending a minute ago; boiler-hot runs
# at 95-99 % CPU, the others at 10-70 %. Written as NDJSON, then the expected results by brute force.
# They arrive as one burst (a backfill), so the analyzer runs with 60 s allowed lateness: every event
# counts and the windows close when the stream goes idle (late-event handling is covered by the
# analyzer's own property tests).
python3 - "$WORK" <<'PY'
import json, random, sys, time
work = sys.argv[1]
random.seed(7)
end = (int(time.time()) - 60) // 10 * 10 * 1_000_000
start = end - 50_000_000
events = []
devices = [f"pump-{i:02d}" for i in range(11)] + ["boiler-hot"]
for d in devices:
    for i in range(250):
        ts = start + i * 200_000 + random.randrange(0, 150_000)
        cpu = round(random.uniform(95, 99), 3) if d == "boiler-hot" else round(random.uniform(10, 70), 3)
        mem = round(random.uniform(30, 60), 3)
        events.append({"device": d, "ts": ts, "cpu_used": cpu, "cpu_free": round(100 - cpu, 3),
                       "memory_used": mem, "memory_free": round(100 - mem, 3), "run_elapsed_ms": i})
# In event-time order as a live source sends them (ts jitter of up to 150 ms, well within the analyzer's
# allowed lateness): events far out of order would be late, and left out of the windows by design.
events.sort(key=lambda e: e["ts"] // 1_000_000)
with open(f"{work}/events.ndjson", "w") as f:
    for e in events:
        f.write(json.dumps(e) + "\n")
import struct
f32 = lambda x: struct.unpack("f", struct.pack("f", x))[0]
windows = {}
for e in events:
    key = (e["device"], e["ts"] // 10_000_000 * 10_000_000)
    w = windows.setdefault(key, [0, 0.0, float("inf"), float("-inf")])
    c = f32(e["cpu_used"])
    w[0] += 1; w[1] += c; w[2] = min(w[2], c); w[3] = max(w[3], c)
json.dump({"rows": len(events), "cpu_sum": sum(f32(e["cpu_used"]) for e in events),
           "windows": {f"{d}@{s}": w for (d, s), w in windows.items()}}, open(f"{work}/expected.json", "w"))
PY
ROWS=$(python3 -c "import json;print(json.load(open('$WORK/expected.json'))['rows'])")

# In three parts, with the analyzer killed (SIGKILL, no shutdown) in the middle of the stream:
#   A: event time [0, 20 s): sent, then the stream pauses until its 24 windows are stored;
#   B: [20 s, 35 s): sent, and the analyzer killed at once, while those windows are open and their
#      messages unacknowledged; it restarts in the same consumer group;
#   C: the rest. (A short session timeout lets Kafka give the dead consumer's partitions away in seconds,
#      and commits every 250 ms make sure whatever was acknowledged before the kill is committed.)
#      Kafka then hands the restarted analyzer what was not committed: windows must come out
#      exactly once with the right values, neither lost nor counted twice.
python3 - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
events = [json.loads(line) for line in open(f"{work}/events.ndjson")]
start = min(e["ts"] for e in events) // 10_000_000 * 10_000_000
parts = {"a": [], "b": [], "c": []}
for line, e in zip(open(f"{work}/events.ndjson"), events):
    offset = e["ts"] - start
    parts["a" if offset < 20_000_000 else "b" if offset < 35_000_000 else "c"].append(line)
for name, lines in parts.items():
    open(f"{work}/part-{name}.ndjson", "w").writelines(lines)
PY
log "sending $ROWS events through POST /ingest, in three parts"
ingest "$WORK/part-a.ndjson"
for _ in $(seq 1 60); do
  [[ "$(pg "SELECT count(*) FROM $SCHEMA.window_aggregates" 2>/dev/null || echo 0)" == 24 ]] && break
  sleep 0.5
done
[[ "$(pg "SELECT count(*) FROM $SCHEMA.window_aggregates")" == 24 ]] || fail "the first 24 windows were not stored"
ingest "$WORK/part-b.ndjson"
sleep 2.5 # commits run every 250 ms: anything acknowledged by now is committed; B's windows stay open (idle 5 s)
# The sink dies too. Its commits run every 5 s (the default), so B's rows are typically in ClickHouse with
# their offsets not yet committed: the restarted sink inserts them again, and the table's key
# (kafka_partition, kafka_offset, kafka_row) must make FINAL see each row once.
kill -KILL "${PIDS[1]}" "${PIDS[0]}"
wait "${PIDS[1]}" "${PIDS[0]}" 2>/dev/null || true
log "analyzer and sink killed mid-stream with $(pg "SELECT count(*) FROM $SCHEMA.window_aggregates") windows stored" \
  "and $(ch "SELECT count() FROM streaming_arrow.\`$TABLE\`") rows in ClickHouse; restarting them"
mv "$WORK/analyzer.log" "$WORK/analyzer-before-kill.log"
mv "$WORK/sink.log" "$WORK/sink-before-kill.log"
start_analyzer
PIDS[1]="${PIDS[-1]}"
unset 'PIDS[-1]'
start_sink
PIDS[0]="${PIDS[-1]}"
unset 'PIDS[-1]'
ready analyzer
ready sink
ingest "$WORK/part-c.ndjson"


log "waiting for ClickHouse and PostgreSQL"
EXPECTED_WINDOWS=$(python3 -c "import json;print(len(json.load(open('$WORK/expected.json'))['windows']))")
for _ in $(seq 1 120); do
  in_ch=$(ch "SELECT count() FROM streaming_arrow.\`$TABLE\` FINAL" 2>/dev/null || echo 0)
  in_pg=$(pg "SELECT count(*) FROM $SCHEMA.window_aggregates" 2>/dev/null || echo 0)
  [[ "$in_ch" == "$ROWS" && "$in_pg" == "$EXPECTED_WINDOWS" ]] && break
  sleep 1
done
log "ClickHouse rows: $in_ch of $ROWS ($(ch "SELECT count() FROM streaming_arrow.\`$TABLE\`") before FINAL collapses" \
  "the replayed ones); PostgreSQL windows: $in_pg of $EXPECTED_WINDOWS"
[[ "$in_ch" == "$ROWS" ]] || fail "ClickHouse holds $in_ch rows, expected $ROWS"
[[ "$in_pg" == "$EXPECTED_WINDOWS" ]] || fail "PostgreSQL holds $in_pg windows, expected $EXPECTED_WINDOWS"

# Values: ClickHouse sums and per-device counts; PostgreSQL windows one by one.
ch "SELECT device, count(), sum(toFloat64(cpu_used)) FROM streaming_arrow.\`$TABLE\` FINAL GROUP BY device ORDER BY device FORMAT JSONCompact" \
  >"$WORK/clickhouse.json"
pg "SELECT json_agg(json_build_array(device, (extract(epoch from window_start) * 1000000)::bigint, row_count,
      (stats->'cpu_used'->>'mean')::float8, (stats->'cpu_used'->>'min')::float8, (stats->'cpu_used'->>'max')::float8))
    FROM $SCHEMA.window_aggregates" >"$WORK/windows.json"
pg "SELECT json_agg(json_build_array(rule, device, state, (extract(epoch from opened_window_end) * 1000000)::bigint))
    FROM $SCHEMA.alerts" >"$WORK/alerts.json"

python3 - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
expected = json.load(open(f"{work}/expected.json"))
events = [json.loads(line) for line in open(f"{work}/events.ndjson")]
problems = []
per_device = {}
for e in events:
    d = per_device.setdefault(e["device"], [0, 0.0])
    d[0] += 1
for row in json.load(open(f"{work}/clickhouse.json"))["data"]:
    device, count = row[0], int(row[1])
    if per_device.get(device, [None])[0] != count:
        problems.append(f"ClickHouse: {device} has {count} rows, expected {per_device.get(device, [0])[0]}")
ch_sum = sum(float(r[2]) for r in json.load(open(f"{work}/clickhouse.json"))["data"])
if abs(ch_sum - expected["cpu_sum"]) > 1e-6 * abs(expected["cpu_sum"]):
    problems.append(f"ClickHouse: sum(cpu_used) {ch_sum}, expected {expected['cpu_sum']}")
stored = {f"{d}@{s}": (n, mean, lo, hi) for d, s, n, mean, lo, hi in json.load(open(f"{work}/windows.json"))}
for key, (n, total, lo, hi) in expected["windows"].items():
    got = stored.get(key)
    if got is None:
        problems.append(f"PostgreSQL: window {key} missing"); continue
    if got[0] != n or abs(got[1] - total / n) > 1e-6 or got[2] != lo or got[3] != hi:
        problems.append(f"PostgreSQL: window {key} is {got}, expected {(n, total / n, lo, hi)}")
alerts = json.load(open(f"{work}/alerts.json")) or []
# cpu-hot needs 3 hot windows in a row: two closed before the analyzer was killed, the third after it.
third_window_end = min(e["ts"] for e in events) // 10_000_000 * 10_000_000 + 30_000_000
if alerts != [["cpu-hot", "boiler-hot", "open", third_window_end]]:
    problems.append(f"alerts: {alerts}, expected exactly one open cpu-hot alert for boiler-hot, opened at the end of"
                    f" its third window ({third_window_end})")
for p in problems[:20]:
    print("[e2e] " + p)
print(f"[e2e] checked {len(events)} rows in ClickHouse, {len(expected['windows'])} windows in PostgreSQL, {len(alerts)} alert(s)")
sys.exit(1 if problems else 0)
PY
if ! wait "$BROWSER_PID"; then
  fail "live page: $(cat "$WORK/live-view.json" 2>/dev/null || cat "$WORK/browser.log")"
fi
python3 -c "import json,sys; [print('[e2e] live page: ' + s) for s in json.load(open(sys.argv[1]))['steps']]" "$WORK/live-view.json"
if [[ "$SECURE" == true ]]; then
  # Without the token /ingest refuses, and no secret (passwords, the token) is in any service's log.
  code=$(curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/x-ndjson' --data-binary @"$WORK/part-a.ndjson" \
    http://127.0.0.1:${PORT[producer]}/ingest)
  [[ "$code" == 401 ]] || fail "/ingest without the token answered $code, expected 401"
  code=$(curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/x-ndjson' -H 'Authorization: Bearer wrong' \
    --data-binary @"$WORK/part-a.ndjson" http://127.0.0.1:${PORT[producer]}/ingest)
  [[ "$code" == 401 ]] || fail "/ingest with a wrong token answered $code, expected 401"
  in_ch_after=$(ch "SELECT count() FROM streaming_arrow.\`$TABLE\` FINAL")
  [[ "$in_ch_after" == "$ROWS" ]] || fail "after the refused requests ClickHouse holds $in_ch_after rows, expected $ROWS"
  log "/ingest without the token and with a wrong one: 401, nothing stored"
  curl -s http://127.0.0.1:${PORT[producer]}/q/metrics >"$WORK/producer-metrics.txt" || true
  if grep -lF -f <(secure_secrets) "$WORK"/*.log "$WORK/producer-metrics.txt" >"$WORK/leaks.txt" 2>/dev/null; then
    fail "a password or the token is printed in $(tr '\n' ' ' <"$WORK/leaks.txt")"
  fi
  log "no password or token in the services' logs ($(cat "$WORK"/*.log | wc -l) lines) nor in the producer's metrics"
fi
# Every service ready at the end: an analyzer whose Kafka outputs are refused stores its windows but says so here.
for svc in producer analyzer sink; do
  curl -fsS "http://127.0.0.1:${PORT[$svc]}/q/health/ready" >"$WORK/$svc-ready.json" 2>&1 \
    || fail "$svc is not ready at the end: $(head -c 600 "$WORK/$svc-ready.json")"
done
log "every service ready at the end"
log "PASS"
# Leave nothing behind in the stores.
ch "DROP TABLE IF EXISTS streaming_arrow.\`$TABLE\`" >/dev/null || true
pg "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null || true
