#!/usr/bin/env bash
# Runs the Kubernetes manifests' TLS settings against real servers on this machine (docs/security.md):
#   - ClickHouse with the StatefulSet's config.d over a configuration that has the image's plaintext ports, and its
#     first-start script; PostgreSQL with the StatefulSet's arguments and pg_hba.conf and a key owned by root,
#     group postgres, mode 0640 (as the kubelet leaves a Secret with fsGroup); certificates made like cert-manager's
#     for the Certificates' dnsNames;
#   - the packaged analyzer and sink with the effective environment of their rendered Deployments; only the
#     cluster-specific parts are replaced (printed): Secrets' values, mount paths, ports, the Kafka bootstrap (a
#     secure local stack's SASL_SSL listener), and the Service names, which -Djdk.net.hosts.file resolves to 127.0.0.1.
# Checks: only the TLS ports listen; the servers answer for each certificate name and refuse another name, TLS 1.1
# and plaintext; the analyzer connects with verify-full and makes its tables, the sink is ready with ClickHouse over
# HTTPS; both refuse a host name that the certificate lacks (the sink with both transports).
#
#   deploy/k8s/tls-local.sh     (after ./mvnw package, with a secure stack up:
#                                STREAMING_ARROW_SECURE=1 deploy/local/stack.sh up, same STREAMING_ARROW_HOME)
# Ports: TLS_LOCAL_CLICKHOUSE_HTTPS_PORT (18543), TLS_LOCAL_CLICKHOUSE_TLS_PORT (19540), TLS_LOCAL_POSTGRES_PORT
# (15452), the services' HTTP ports from TLS_LOCAL_HTTP_BASE (18390); the plaintext ports ClickHouse must drop are
# those plus 1000.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
SECURE_HOME="${STREAMING_ARROW_HOME:-$REPO/.local-stack}"
CH_HTTPS="${TLS_LOCAL_CLICKHOUSE_HTTPS_PORT:-18543}"
CH_TLS="${TLS_LOCAL_CLICKHOUSE_TLS_PORT:-19540}"
PG_PORT="${TLS_LOCAL_POSTGRES_PORT:-15452}"
HTTP_BASE="${TLS_LOCAL_HTTP_BASE:-18390}"
WAIT_LIMIT="${TLS_LOCAL_WAIT_LIMIT:-240}"
DIR="$(mktemp -d /tmp/tls-local.XXXXXX)"
chmod 755 "$DIR"
log() { printf '[tls-local %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

command -v kubectl >/dev/null || { echo "kubectl is missing: apt-get install kubernetes-client" >&2; exit 1; }
for generated in "$HERE"/generated/*/kubernetes.yml; do
  [[ -f "$generated" ]] || { echo "no generated manifests in $HERE/generated: run ./mvnw package first" >&2; exit 1; }
done
[[ -d "$HERE/validate/node_modules/kubernetes-models" && -d "$HERE/validate/node_modules/@kubernetes-models/cert-manager" ]] \
  || (cd "$HERE/validate" && npm install --no-audit --no-fund --loglevel=error)
[[ -f "$SECURE_HOME/security/endpoints.env" ]] || { echo "no secure stack under $SECURE_HOME: run STREAMING_ARROW_SECURE=1 deploy/local/stack.sh up" >&2; exit 1; }
for svc in analyzer sink; do
  [[ -f "$REPO/$svc/target/quarkus-app/quarkus-run.jar" ]] || { echo "$svc is not packaged: run ./mvnw package first" >&2; exit 1; }
done
for port in "$CH_HTTPS" "$CH_TLS" "$PG_PORT" $((CH_HTTPS + 1000)) $((CH_TLS + 1000)) $((CH_HTTPS + 1001)); do
  ! ss -ltnH "sport = :$port" | grep -q . || { echo "port $port is taken" >&2; exit 1; }
done
# shellcheck disable=SC1091
source "$SECURE_HOME/security/endpoints.env"
# shellcheck disable=SC1091
source "$SECURE_HOME/security/credentials.env"

PIDS=()
CH_PID="" PG_DATA=""
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  [[ -n "$CH_PID" ]] && kill -TERM "$CH_PID" 2>/dev/null || true
  [[ -n "$PG_DATA" && -f "$PG_DATA/postmaster.pid" ]] && as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
  for pid in "${PIDS[@]}" "$CH_PID"; do
    [[ -n "$pid" ]] || continue
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  if [[ "${TLS_LOCAL_KEEP:-0}" == 1 ]]; then log "kept $DIR"; else rm -rf "$DIR"; fi
}
trap cleanup EXIT
is_root() { [[ "$(id -u)" == 0 ]]; }
as_postgres() { if is_root; then runuser -u postgres -- "$@"; else "$@"; fi; }

PASSED=0 FAILED=0
check() { # name detail command...: one verdict line
  local name="$1" detail="$2"; shift 2
  if "$@" >/dev/null 2>&1; then PASSED=$((PASSED + 1)); log "PASS $name: $detail"; else FAILED=$((FAILED + 1)); log "FAIL $name: $detail"; fi
}
refused() { ! "$@"; }

# ---------------------------------------------------------------- the manifests, laid out here
log "rendering deploy/k8s and laying out its TLS settings in $DIR"
kubectl kustomize "$HERE" >"$DIR/rendered.yaml"
python3 - "$DIR/local.json" <<PY
import json, sys
cred = {"KAFKA_PASSWORD_SINK": """$KAFKA_PASSWORD_SINK""", "KAFKA_PASSWORD_ANALYZER": """$KAFKA_PASSWORD_ANALYZER""", "KAFKA_PASSWORD_PRODUCER": """$KAFKA_PASSWORD_PRODUCER"""}
jaas = lambda user: 'org.apache.kafka.common.security.scram.ScramLoginModule required username="%s" password="%s";' % (user, cred["KAFKA_PASSWORD_" + user.upper()])
secrets = {"streaming-arrow-%s/sasl.jaas.config" % s: jaas(s) for s in ("producer", "sink", "analyzer")}
secrets["streaming-arrow-cluster-ca-cert/ca.crt"] = open("$CA_CERT").read()
for db in ("clickhouse", "postgres"):
    secrets["streaming-arrow-%s/user" % db] = "streaming_arrow"
    secrets["streaming-arrow-%s/password" % db] = "tls-local-password"
secrets["streaming-arrow-ingest/token"] = "tls-local-token"
json.dump({"clickhouseHttpsPort": $CH_HTTPS, "clickhouseTlsPort": $CH_TLS, "postgresPort": $PG_PORT, "hostname": "$(hostname)",
           "kafkaBootstrap": "$KAFKA_SASL_SSL_BOOTSTRAP", "secrets": secrets}, open(sys.argv[1], "w"))
PY
chmod 600 "$DIR/local.json"
(cd "$HERE/validate" && node local-tls.mjs "$DIR/rendered.yaml" "$DIR")
CA="$DIR/ca.crt"

# ---------------------------------------------------------------- ClickHouse
log "ClickHouse with the StatefulSet's config.d over the image's plaintext ports ($((CH_HTTPS + 1000)) http, $((CH_TLS + 1000)) native, $((CH_HTTPS + 1001)) interserver)"
CH="$DIR/clickhouse"
mkdir -p "$CH/data" "$CH/tmp" "$CH/log"
cat >"$CH/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
    <logger><level>information</level><log>$CH/log/server.log</log><errorlog>$CH/log/server.err.log</errorlog></logger>
    <listen_host>127.0.0.1</listen_host>
    <http_port>$((CH_HTTPS + 1000))</http_port>
    <tcp_port>$((CH_TLS + 1000))</tcp_port>
    <interserver_http_port>$((CH_HTTPS + 1001))</interserver_http_port>
    <openSSL><server><verificationMode>none</verificationMode><loadDefaultCAFile>true</loadDefaultCAFile>
        <cacheSessions>true</cacheSessions><disableProtocols>sslv2,sslv3</disableProtocols></server></openSSL>
    <path>$CH/data/</path>
    <tmp_path>$CH/tmp/</tmp_path>
    <users_config>$CH/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <mark_cache_size>53687091</mark_cache_size>
</yandex>
EOF
# The user the image's entrypoint makes from CLICKHOUSE_USER and CLICKHOUSE_PASSWORD (the default user removed).
cat >"$CH/users.xml" <<EOF
<?xml version="1.0"?>
<yandex>
    <profiles><default></default></profiles>
    <users><streaming_arrow><password>tls-local-password</password><networks><ip>::/0</ip></networks>
        <profile>default</profile><quota>default</quota></streaming_arrow></users>
    <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows>
        <read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
EOF
as_ch=()
if is_root && id clickhouse >/dev/null 2>&1; then chown -R clickhouse: "$CH" "$DIR/root/clickhouse"; as_ch=(setpriv --reuid=clickhouse --regid=clickhouse --init-groups); fi
(cd "$CH"; exec "${as_ch[@]}" clickhouse-server --config-file="$CH/config.xml" >"$CH/log/stdout.log" 2>&1 </dev/null) &
CH_PID=$!
chs() { curl -sS --max-time 5 --cacert "$CA" "$@"; }
for _ in $(seq 1 120); do chs --resolve "clickhouse:$CH_HTTPS:127.0.0.1" "https://clickhouse:$CH_HTTPS/ping" >/dev/null 2>&1 && break; sleep 1; done
for script in "$CH"/initdb/*.sh; do
  ( CLICKHOUSE_USER=streaming_arrow CLICKHOUSE_PASSWORD=tls-local-password; . "$script" ) && log "ran first-start script $(basename "$script")"
done
listening="$(ss -ltnpH | awk -v pid="pid=$CH_PID," '$0 ~ pid { sub(/.*:/, "", $4); print $4 }' | sort -n | tr '\n' ' ')"
expected="$(printf '%s\n' "$CH_HTTPS" "$CH_TLS" | sort -n | tr '\n' ' ')"
check clickhouse-only-tls-ports "listening on: ${listening:-nothing}(expected: ${expected}only)" test "$listening" == "$expected"
for name in $(tr ' ' '\n' <"$DIR/hosts" | grep '^clickhouse' | sort -u); do
  check "clickhouse-https-as-$name" "/ping over HTTPS, certificate checked for $name" \
    bash -c "[[ \"\$(curl -sS --max-time 5 --cacert '$CA' --resolve '$name:$CH_HTTPS:127.0.0.1' 'https://$name:$CH_HTTPS/ping')\" == Ok. ]]"
done
check clickhouse-refuses-other-name "a name not in the certificate (127.0.0.1)" refused chs "https://127.0.0.1:$CH_HTTPS/ping"
check clickhouse-refuses-tls11 "TLS 1.1" refused chs --tls-max 1.1 --resolve "clickhouse:$CH_HTTPS:127.0.0.1" "https://clickhouse:$CH_HTTPS/ping"
check clickhouse-native-tls "native protocol over TLS, certificate checked for clickhouse" \
  bash -c "openssl s_client -connect 127.0.0.1:$CH_TLS -servername clickhouse -verify_hostname clickhouse -CAfile '$CA' </dev/null 2>&1 | grep -q 'Verify return code: 0'"
check clickhouse-database "the first-start script made the database over HTTPS" \
  bash -c "chs() { curl -sS --max-time 5 --cacert '$CA' \"\$@\"; }; chs --resolve 'clickhouse:$CH_HTTPS:127.0.0.1' -H 'X-ClickHouse-User: streaming_arrow' -H 'X-ClickHouse-Key: tls-local-password' 'https://clickhouse:$CH_HTTPS/' --data-binary 'SHOW DATABASES' | grep -qx streaming_arrow"

# ---------------------------------------------------------------- PostgreSQL
PG_BIN="$(dirname "$(ls /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -1)")"
log "PostgreSQL $("$PG_BIN/postgres" --version | awk '{ print $3 }') with the StatefulSet's arguments and pg_hba.conf"
PG="$DIR/postgres"
PG_DATA="$PG/data"
mkdir -p "$PG/run"
printf '%s\n' tls-local-password >"$PG/pw"
if is_root; then
  chown postgres "$PG" "$PG/run" "$PG/pw"
  # As the kubelet leaves a Secret volume with fsGroup: owned by root, the server's group, the manifest's mode.
  find "$DIR/root/postgres" -type f -exec chown root:postgres {} +
  find "$DIR/root/postgres" -type d -exec chmod 755 {} +
fi
as_postgres "$PG_BIN/initdb" -D "$PG_DATA" -U streaming_arrow --pwfile="$PG/pw" -A scram-sha-256 >"$PG/initdb.log" 2>&1
rm -f "$PG/pw"
mapfile -t ARGS <"$PG/args"
as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG/postgres.log" -w -t 120 \
  -o "$(printf '%q ' "${ARGS[@]}") -c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=$PG/run" start >/dev/null
DB="$(cat "$PG/database")"
PGPASSWORD=tls-local-password psql -q -h "$PG/run" -p "$PG_PORT" -U streaming_arrow -d postgres -c "CREATE DATABASE $DB" >/dev/null
pgs() { PGPASSWORD=tls-local-password psql "port=$PG_PORT dbname=$DB user=streaming_arrow sslrootcert=$CA $1" -tAc "${2:-SELECT 1}"; }
for name in $(tr ' ' '\n' <"$DIR/hosts" | grep '^postgres' | sort -u); do
  check "postgres-verify-full-as-$name" "psql sslmode=verify-full, certificate checked for $name" pgs "host=$name hostaddr=127.0.0.1 sslmode=verify-full"
done
check postgres-refuses-other-name "verify-full for a name not in the certificate (127.0.0.1)" refused pgs "host=127.0.0.1 sslmode=verify-full"
check postgres-refuses-plaintext "sslmode=disable: pg_hba.conf rejects it" refused pgs "host=127.0.0.1 sslmode=disable"
# s_client prints a verify result even when the server ends the handshake; no cipher is what says it was refused.
check postgres-refuses-tls11 "TLS 1.1 (no cipher agreed)" bash -c "openssl s_client -connect 127.0.0.1:$PG_PORT -starttls postgres -tls1_1 </dev/null 2>&1 | grep -q 'Cipher is (NONE)'"

# ---------------------------------------------------------------- the services, as their Deployments configure them
NEXT_PORT="$HTTP_BASE"
start_service() { # name service [VAR=value ...]: the packaged service with its Deployment's environment
  local name="$1" svc="$2"; shift 2
  local -a vars
  mapfile -d '' vars <"$DIR/$svc.env"
  local port="$NEXT_PORT"; NEXT_PORT=$((NEXT_PORT + 1))
  env -i PATH="$PATH" HOME="$HOME" "${vars[@]}" QUARKUS_HTTP_PORT="$port" ANALYZER_STORE_MIGRATE_TIMEOUT=120s "$@" \
    java -jar "$REPO/$svc/target/quarkus-app/quarkus-run.jar" >"$DIR/$name.log" 2>&1 &
  PIDS+=($!)
  eval "PORT_${name//-/_}=$port"
}
ready_answer() { # name: the readiness answer once the service answers at all
  local var="PORT_${1//-/_}" deadline=$(( $(date +%s) + WAIT_LIMIT ))
  until curl -s --max-time 3 "http://127.0.0.1:${!var}/q/health/live" >/dev/null 2>&1 || (( $(date +%s) >= deadline )); do sleep 2; done
  sleep 5
  curl -s --max-time 5 "http://127.0.0.1:${!var}/q/health/ready" || true
}
wait_ready() { # name pattern: the readiness answer matches within WAIT_LIMIT
  local deadline=$(( $(date +%s) + WAIT_LIMIT )) answer
  while (( $(date +%s) < deadline )); do
    answer="$(ready_answer "$1" | tr -d '\n')"
    grep -qE -- "$2" <<<"$answer" && return 0
    sleep 3
  done
  return 1
}
log "the analyzer and the sink with their Deployments' environment"
WRONG_PG="$(tr '\0' '\n' <"$DIR/analyzer.env" | sed -n 's#^POSTGRES_URL=postgresql://[^:/]*#postgresql://not-in-the-certificate#p')"
WRONG_CH="$(tr '\0' '\n' <"$DIR/sink.env" | sed -n 's#^CLICKHOUSE_URL=https://[^:/]*#https://not-in-the-certificate#p')"
start_service analyzer-ok analyzer
start_service analyzer-wrong-host analyzer POSTGRES_URL="$WRONG_PG"
start_service sink-ok sink
start_service sink-wrong-host sink CLICKHOUSE_URL="$WRONG_CH"
start_service sink-wrong-host-vertx sink CLICKHOUSE_URL="$WRONG_CH" SINK_CLICKHOUSE_TRANSPORT=vertx
check analyzer-verify-full "ready: connected with verify-full" wait_ready analyzer-ok '^\{ *"status": *"UP"'
tables="$(pgs "host=postgres hostaddr=127.0.0.1 sslmode=verify-full" "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")"
ssl_rows="$(pgs "host=postgres hostaddr=127.0.0.1 sslmode=verify-full" "SELECT string_agg(DISTINCT s.version, ',') FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.application_name = 'vertx-pg-client' AND s.ssl")"
check analyzer-tables "its tables made over TLS: $tables tables, its connections' TLS: ${ssl_rows:-none}" test "$tables" -ge 3 -a -n "$ssl_rows"
check analyzer-refuses-wrong-host "verify-full refuses a name the certificate lacks (SSL handshake failed)" wait_ready analyzer-wrong-host 'SSL handshake failed'
check sink-https "ready: ClickHouse answers over HTTPS" wait_ready sink-ok '"name": *"clickhouse", *"status": *"UP"'
check sink-refuses-wrong-host "java-client refuses a name the certificate lacks" wait_ready sink-wrong-host "doesn't match any of the subject alternative names"
check sink-vertx-refuses-wrong-host "vertx refuses a name the certificate lacks" wait_ready sink-wrong-host-vertx "No subject alternative DNS name matching"

log "$PASSED passed, $FAILED failed"
(( FAILED == 0 ))
