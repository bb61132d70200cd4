#!/usr/bin/env bash
# The local stack: real Kafka (KRaft), ClickHouse and PostgreSQL on loopback, no Docker.
# All data, logs and pid files live under one work directory (default <repo>/.local-stack).
#
#   deploy/local/stack.sh up     [kafka|clickhouse|postgres ...]
#   deploy/local/stack.sh down   [kafka|clickhouse|postgres ...]
#   deploy/local/stack.sh status [kafka|clickhouse|postgres ...]
#
# `up` is idempotent; `down` stops only what this script started (it finds its own pid files).
# Ports can be moved with STREAMING_ARROW_KAFKA_PORT, STREAMING_ARROW_KAFKA_CONTROLLER_PORT,
# STREAMING_ARROW_CLICKHOUSE_HTTP_PORT, STREAMING_ARROW_CLICKHOUSE_TCP_PORT and STREAMING_ARROW_POSTGRES_PORT.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="${STREAMING_ARROW_HOME:-$REPO/.local-stack}"
CACHE="${STREAMING_ARROW_CACHE:-$WORK/cache}"

# Ports: the contract's by default. A second instance (deploy/local/faults.sh kills its servers) runs
# beside the first with its own STREAMING_ARROW_HOME and these overridden.
KAFKA_PORT="${STREAMING_ARROW_KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${STREAMING_ARROW_KAFKA_CONTROLLER_PORT:-19093}"
CLICKHOUSE_HTTP_PORT="${STREAMING_ARROW_CLICKHOUSE_HTTP_PORT:-8123}"
CLICKHOUSE_TCP_PORT="${STREAMING_ARROW_CLICKHOUSE_TCP_PORT:-9000}"
POSTGRES_PORT="${STREAMING_ARROW_POSTGRES_PORT:-5432}"
# Seconds a server may take to answer after its start (a busy machine may need more).
START_TIMEOUT="${STREAMING_ARROW_START_TIMEOUT:-60}"
DATABASE=streaming_arrow
PG_USER=streaming_arrow
PG_PASSWORD=streaming_arrow
# topic:partitions, as in the contract (docs/contract.md; ContractDocumentTest compares them)
TOPICS=(arrow_tables:4 arrow_aggregates:4 alerts:4 arrow_tables_dlq:1)

ALL_COMPONENTS=(kafka clickhouse postgres)

say() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }

is_root() { [[ "$(id -u)" == 0 ]]; }

port_in_use() { ss -ltnH "sport = :$1" 2>/dev/null | grep -q .; }

port_owner() { ss -ltnpH "sport = :$1" 2>/dev/null | sed -n 's/.*users:((\("[^"]*",pid=[0-9]*\).*/\1/p' | head -1; }

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_for() { # description seconds command...
  local what="$1" seconds="$2"; shift 2
  local deadline=$(( $(date +%s) + seconds ))
  until "$@" >/dev/null 2>&1; do
    if (( $(date +%s) >= deadline )); then return 1; fi
    sleep 0.3
  done
}

fail_with_log() { # component log
  printf '[stack] ERROR: %s did not come up; the end of %s:\n' "$1" "$2" >&2
  tail -n 30 "$2" >&2 || true
  exit 1
}

refuse_taken_port() { # component port
  if port_in_use "$2"; then
    local owner; owner="$(port_owner "$2")"
    die "$1 cannot start: port $2 is already taken${owner:+ by $owner}, and not by a process this script started. Stop it (ss -ltnp 'sport = :$2') or free the port."
  fi
}

# The Debian packages: deploy/local/prerequisites.sh installs what is missing (as root) or names it.
# shellcheck source=deploy/local/prerequisites.sh
source "$REPO/deploy/local/prerequisites.sh"

# The clickhouse-server and postgresql packages start their own servers on the ports the stack uses.
# When one of those holds our port, stop it (as root): the stack runs its own instances.
stop_distro_server() { # component port
  local component="$1" port="$2"
  port_in_use "$port" && is_root || return 0
  local stopped=0
  case "$component" in
    clickhouse)
      if command -v systemctl >/dev/null && systemctl is-active --quiet clickhouse-server 2>/dev/null; then
        say "stopping the clickhouse-server package's own service (it holds port $port)"
        systemctl stop clickhouse-server || true
        stopped=1
      fi
      local pid
      pid="$(ss -ltnpH "sport = :$port" 2>/dev/null | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1)"
      if [[ -n "$pid" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'config.*=/etc/clickhouse-server/'; then
        say "stopping the clickhouse-server package's own server (pid $pid, /etc/clickhouse-server, port $port)"
        kill -TERM "$pid" 2>/dev/null || true
        stopped=1
      fi ;;
    postgres)
      if command -v pg_lsclusters >/dev/null; then
        local version name cluster_port status
        while read -r version name cluster_port status _; do
          if [[ "$cluster_port" == "$port" && "$status" == online* ]]; then
            say "stopping the postgresql package's own cluster $version/$name (it holds port $port)"
            pg_ctlcluster "$version" "$name" stop >/dev/null 2>&1 || true
            stopped=1
          fi
        done < <(pg_lsclusters -h 2>/dev/null)
      fi ;;
  esac
  if (( stopped )); then
    wait_for "port $port to be free" 30 bash -c "! ss -ltnH 'sport = :$port' | grep -q ." || true
  fi
}

# ---------------------------------------------------------------- Kafka
KAFKA_DIR="$WORK/kafka"
KAFKA_PID="$KAFKA_DIR/kafka.pid"
KAFKA_LOG="$KAFKA_DIR/logs/server.out"

kafka_version() {
  sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$REPO/pom.xml" | head -1
}

kafka_classpath() {
  local version; version="$(kafka_version)"
  local libs="$CACHE/kafka-$version"
  if [[ ! -f "$libs/kafka_2.13-$version.jar" ]]; then
    say "fetching the Apache Kafka $version broker from Maven Central into $libs"
    mkdir -p "$libs"
    (cd "$REPO" && ./mvnw -q -B -f deploy/local/kafka/pom.xml dependency:copy-dependencies \
        -Dkafka.version="$version" -DincludeScope=runtime -DoutputDirectory="$libs") \
      || die "could not fetch org.apache.kafka:kafka_2.13:$version through Maven"
  fi
  echo "$libs/*"
}

kafka_java() { # main-class args...
  local cp; cp="$(kafka_classpath)"
  java -Xmx256m -cp "$cp" -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2-tools.yaml" "$@"
}

kafka_answers() {
  (exec 3<>"/dev/tcp/127.0.0.1/$KAFKA_PORT") 2>/dev/null
}

kafka_up() {
  if alive "$KAFKA_PID"; then say "kafka already running (pid $(cat "$KAFKA_PID"))"; return; fi
  refuse_taken_port kafka "$KAFKA_PORT"
  refuse_taken_port "kafka (controller)" "$KAFKA_CONTROLLER_PORT"
  command -v java >/dev/null || die "java is missing: install a JDK 17+ (apt-get install openjdk-17-jdk-headless)"
  mkdir -p "$KAFKA_DIR/data" "$KAFKA_DIR/logs"
  local cp; cp="$(kafka_classpath)"
  cat >"$KAFKA_DIR/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$KAFKA_DIR/data
num.partitions=4
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
message.max.bytes=67108864
replica.fetch.max.bytes=67108864
EOF
  cat >"$KAFKA_DIR/log4j2.yaml" <<EOF
Configuration:
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        Pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: INFO
      AppenderRef:
        - ref: STDOUT
    Logger:
      - name: kafka
        level: INFO
      - name: org.apache.kafka
        level: WARN
EOF
  cat >"$KAFKA_DIR/log4j2-tools.yaml" <<EOF
Configuration:
  Appenders:
    Console:
      name: STDERR
      target: SYSTEM_ERR
      PatternLayout:
        Pattern: "%p %m%n"
  Loggers:
    Root:
      level: WARN
      AppenderRef:
        - ref: STDERR
EOF
  if [[ ! -f "$KAFKA_DIR/data/meta.properties" ]]; then
    local cluster_id; cluster_id="$(kafka_java kafka.tools.StorageTool random-uuid)"
    kafka_java kafka.tools.StorageTool format --standalone -t "$cluster_id" \
      -c "$KAFKA_DIR/server.properties" >"$KAFKA_DIR/logs/format.out" 2>&1 \
      || fail_with_log "kafka storage format" "$KAFKA_DIR/logs/format.out"
  fi
  say "starting kafka on 127.0.0.1:$KAFKA_PORT (controller $KAFKA_CONTROLLER_PORT)"
  nohup java -Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.yaml" \
    -cp "$cp" kafka.Kafka "$KAFKA_DIR/server.properties" >"$KAFKA_LOG" 2>&1 </dev/null &
  echo $! >"$KAFKA_PID"
  wait_for kafka "$START_TIMEOUT" kafka_answers || fail_with_log kafka "$KAFKA_LOG"
  local spec topic partitions
  for spec in "${TOPICS[@]}"; do
    topic="${spec%%:*}"; partitions="${spec##*:}"
    # --if-not-exists keeps `up` idempotent; retries cover the broker's first seconds.
    wait_for "topic $topic" 60 kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" \
        --create --if-not-exists --topic "$topic" --partitions "$partitions" --replication-factor 1 \
      || fail_with_log "kafka topic $topic" "$KAFKA_LOG"
  done
  say "kafka ready: topics ${TOPICS[*]}"
}

kafka_down() {
  stop_pid kafka "$KAFKA_PID" 60
}

# ---------------------------------------------------------------- ClickHouse
CH_DIR="$WORK/clickhouse"
CH_PID="$CH_DIR/clickhouse.pid"
CH_LOG="$CH_DIR/log/stdout.log"

clickhouse_answers() {
  [[ "$(curl -fsS --max-time 2 "http://127.0.0.1:$CLICKHOUSE_HTTP_PORT/ping" 2>/dev/null)" == "Ok." ]]
}

clickhouse_query() {
  curl -fsS --max-time 30 "http://127.0.0.1:$CLICKHOUSE_HTTP_PORT/" --data-binary "$1"
}

clickhouse_up() {
  if alive "$CH_PID"; then say "clickhouse already running (pid $(cat "$CH_PID"))"; return; fi
  stop_distro_server clickhouse "$CLICKHOUSE_HTTP_PORT"
  refuse_taken_port clickhouse "$CLICKHOUSE_HTTP_PORT"
  refuse_taken_port clickhouse "$CLICKHOUSE_TCP_PORT"
  mkdir -p "$CH_DIR/data" "$CH_DIR/tmp" "$CH_DIR/user_files" "$CH_DIR/format_schemas" "$CH_DIR/log"
  # Own config and paths: the packaged config writes to /var and listens on every interface.
  cat >"$CH_DIR/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
    <logger>
        <level>information</level>
        <log>$CH_DIR/log/clickhouse-server.log</log>
        <errorlog>$CH_DIR/log/clickhouse-server.err.log</errorlog>
        <size>100M</size>
        <count>3</count>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <http_port>$CLICKHOUSE_HTTP_PORT</http_port>
    <tcp_port>$CLICKHOUSE_TCP_PORT</tcp_port>
    <max_connections>1024</max_connections>
    <keep_alive_timeout>10</keep_alive_timeout>
    <max_concurrent_queries>100</max_concurrent_queries>
    <uncompressed_cache_size>1073741824</uncompressed_cache_size>
    <mark_cache_size>536870912</mark_cache_size>
    <path>$CH_DIR/data/</path>
    <tmp_path>$CH_DIR/tmp/</tmp_path>
    <user_files_path>$CH_DIR/user_files/</user_files_path>
    <format_schema_path>$CH_DIR/format_schemas/</format_schema_path>
    <users_config>$CH_DIR/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
    <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
    <max_session_timeout>3600</max_session_timeout>
    <default_session_timeout>60</default_session_timeout>
</yandex>
EOF
  cat >"$CH_DIR/users.xml" <<EOF
<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>4000000000</max_memory_usage>
            <load_balancing>random</load_balancing>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks>
                <ip>127.0.0.1</ip>
                <ip>::1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
EOF
  local -a as_user=()
  if is_root && id clickhouse >/dev/null 2>&1; then
    # ClickHouse prefers not to run as root; the package creates its own user. setpriv execs in
    # place, so the pid recorded below is the server's own.
    chown -R clickhouse: "$CH_DIR"
    as_user=(setpriv --reuid=clickhouse --regid=clickhouse --init-groups)
  fi
  say "starting clickhouse on 127.0.0.1:$CLICKHOUSE_HTTP_PORT (http) / $CLICKHOUSE_TCP_PORT (native)"
  (cd "$CH_DIR"; exec nohup "${as_user[@]}" clickhouse-server --config-file="$CH_DIR/config.xml" >"$CH_LOG" 2>&1 </dev/null) &
  echo $! >"$CH_PID"
  wait_for clickhouse "$START_TIMEOUT" clickhouse_answers || fail_with_log clickhouse "$CH_DIR/log/clickhouse-server.err.log"
  clickhouse_query "CREATE DATABASE IF NOT EXISTS $DATABASE" >/dev/null
  say "clickhouse ready: database $DATABASE, version $(clickhouse_query 'SELECT version()')"
}

clickhouse_down() {
  stop_pid clickhouse "$CH_PID" 60
}

# ---------------------------------------------------------------- PostgreSQL
PG_DIR="$WORK/postgres"
PG_DATA="$PG_DIR/data"
PG_SOCKETS="$PG_DIR/run"
PG_LOG="$PG_DIR/postgres.log"

pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [[ -x "$dir/pg_ctl" ]] && { echo "$dir"; return; }
  done
  return 1
}

as_postgres() {
  if is_root; then runuser -u postgres -- "$@"; else "$@"; fi
}

postgres_answers() {
  local bin; bin="$(pg_bin)" || return 1
  "$bin/pg_isready" -q -h 127.0.0.1 -p "$POSTGRES_PORT"
}

postgres_ours() {
  [[ -f "$PG_DATA/postmaster.pid" ]] && kill -0 "$(head -1 "$PG_DATA/postmaster.pid")" 2>/dev/null
}

postgres_up() {
  if postgres_ours; then say "postgres already running (pid $(head -1 "$PG_DATA/postmaster.pid"))"; return; fi
  stop_distro_server postgres "$POSTGRES_PORT"
  refuse_taken_port postgres "$POSTGRES_PORT"
  local bin; bin="$(pg_bin)"
  mkdir -p "$PG_DIR" "$PG_SOCKETS"
  if is_root; then
    id postgres >/dev/null 2>&1 || die "user 'postgres' is missing (reinstall the postgresql package)"
    chown -R postgres: "$PG_DIR"
    # initdb runs as postgres: every parent directory must be traversable by it.
    local d="$PG_DIR"
    while [[ "$d" != "/" ]]; do
      d="$(dirname "$d")"
      as_postgres test -x "$d" || die "postgres cannot enter $d: chmod o+x $d, or set STREAMING_ARROW_HOME elsewhere"
    done
  fi
  if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
    printf '%s\n' "$PG_PASSWORD" >"$PG_DIR/.pwfile"
    is_root && chown postgres: "$PG_DIR/.pwfile"
    as_postgres "$bin/initdb" --no-sync -D "$PG_DATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
      >"$PG_DIR/initdb.log" 2>&1 || fail_with_log "postgres initdb" "$PG_DIR/initdb.log"
    rm -f "$PG_DIR/.pwfile"
    cat >>"$PG_DATA/postgresql.conf" <<EOF
# streaming-arrow local stack: throwaway, loopback only, speed over durability
listen_addresses = '127.0.0.1'
port = $POSTGRES_PORT
unix_socket_directories = '$PG_SOCKETS'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
EOF
    cat >"$PG_DATA/pg_hba.conf" <<EOF
local all postgres trust
local all all scram-sha-256
host  all postgres 127.0.0.1/32 trust
host  all all 127.0.0.1/32 scram-sha-256
EOF
    is_root && chown postgres: "$PG_DATA/postgresql.conf" "$PG_DATA/pg_hba.conf"
  fi
  say "starting postgres on 127.0.0.1:$POSTGRES_PORT"
  as_postgres "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -o "-p $POSTGRES_PORT" -w -t "$START_TIMEOUT" start >/dev/null || fail_with_log postgres "$PG_LOG"
  local psql=("$bin/psql" -q -h 127.0.0.1 -p "$POSTGRES_PORT" -U postgres -v ON_ERROR_STOP=1)
  if [[ "$(as_postgres "${psql[@]}" -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER'")" != 1 ]]; then
    as_postgres "${psql[@]}" -c "CREATE ROLE $PG_USER LOGIN PASSWORD '$PG_PASSWORD'" >/dev/null
  fi
  if [[ "$(as_postgres "${psql[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" != 1 ]]; then
    as_postgres "${psql[@]}" -c "CREATE DATABASE $DATABASE OWNER $PG_USER" >/dev/null
  fi
  say "postgres ready: database $DATABASE, user/password $PG_USER/$PG_PASSWORD"
}

postgres_down() {
  if postgres_ours; then
    say "stopping postgres"
    as_postgres "$(pg_bin)/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null
  fi
}

# ---------------------------------------------------------------- common
stop_pid() { # component pidfile seconds
  local component="$1" pidfile="$2" seconds="$3"
  if ! alive "$pidfile"; then rm -f "$pidfile"; return; fi
  local pid; pid="$(cat "$pidfile")"
  say "stopping $component (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$(( $(date +%s) + seconds ))
  while kill -0 "$pid" 2>/dev/null; do
    if (( $(date +%s) >= deadline )); then say "$component did not stop in ${seconds}s: killing it"; kill -KILL "$pid" 2>/dev/null || true; fi
    sleep 0.3
  done
  rm -f "$pidfile"
}

status_line() { # component pid-or-empty answers(0/1) address
  local state
  if [[ "$3" == 1 ]]; then state="answering"; elif [[ -n "$2" ]]; then state="NOT answering"; else state="stopped"; fi
  printf '%-11s %-14s %-24s %s\n' "$1" "$state" "$4" "${2:+pid $2}"
}

status() {
  local component ok=0 pid answers
  for component in "$@"; do
    pid=""; answers=0
    case "$component" in
      kafka)
        alive "$KAFKA_PID" && pid="$(cat "$KAFKA_PID")"
        [[ -n "$pid" ]] && kafka_answers && answers=1
        status_line kafka "$pid" "$answers" "127.0.0.1:$KAFKA_PORT" ;;
      clickhouse)
        alive "$CH_PID" && pid="$(cat "$CH_PID")"
        [[ -n "$pid" ]] && clickhouse_answers && answers=1
        status_line clickhouse "$pid" "$answers" "127.0.0.1:$CLICKHOUSE_HTTP_PORT/$CLICKHOUSE_TCP_PORT" ;;
      postgres)
        postgres_ours && pid="$(head -1 "$PG_DATA/postmaster.pid")"
        [[ -n "$pid" ]] && postgres_answers && answers=1
        status_line postgres "$pid" "$answers" "127.0.0.1:$POSTGRES_PORT" ;;
    esac
    [[ "$answers" == 1 ]] || ok=1
  done
  return "$ok"
}

main() {
  local command="${1:-}"; shift || true
  local components=("$@")
  (( ${#components[@]} )) || components=("${ALL_COMPONENTS[@]}")
  local c
  for c in "${components[@]}"; do
    case "$c" in kafka|clickhouse|postgres) ;; *) die "unknown component '$c' (kafka, clickhouse, postgres)";; esac
  done
  mkdir -p "$WORK"
  case "$command" in
    up)
      # Only when something has to start: a running stack needs nothing installed.
      status "${components[@]}" >/dev/null 2>&1 || prerequisites stack
      for c in "${components[@]}"; do "${c}_up"; done
      say "work dir $WORK (logs: kafka/logs, clickhouse/log, postgres/postgres.log)"
      status "${components[@]}" ;;
    down)
      # Reverse order: the services' dependencies go last.
      for (( i=${#components[@]}-1; i>=0; i-- )); do "${components[$i]}_down"; done ;;
    status)
      status "${components[@]}" ;;
    *)
      echo "usage: $0 up|down|status [kafka|clickhouse|postgres ...]" >&2; exit 2 ;;
  esac
}

main "$@"
