#!/usr/bin/env bash
# The local stack: real Kafka (KRaft), ClickHouse and PostgreSQL on loopback, no Docker.
# All data, logs and pid files live under one work directory (default <repo>/.local-stack).
#
#   deploy/local/stack.sh up     [kafka|clickhouse|postgres ...]
#   deploy/local/stack.sh down   [kafka|clickhouse|postgres ...]
#   deploy/local/stack.sh status [kafka|clickhouse|postgres ...]
#
#   deploy/local/stack.sh acls   TOPIC AGGREGATES ALERTS DLQ SINK_GROUP ANALYZER_GROUP   (secure mode only)
#
# `up` is idempotent; `down` stops only what this script started (it finds its own pid files).
# STREAMING_ARROW_SECURE=1: the secured instance (docs/security.md): a CA and server certificates, Kafka
# SASL_SSL (SCRAM-SHA-512) with ACLs per service, ClickHouse HTTPS with passwords, PostgreSQL SSL with a
# scram-sha-256 role. A home is made in one mode and refuses the other.
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
# Secure mode (a mode, not the default: the module tests connect to the plaintext stack on the contract's
# ports without credentials, and other runs share that stack).
SECURE="${STREAMING_ARROW_SECURE:-0}"
KAFKA_SASL_PORT="${STREAMING_ARROW_KAFKA_SASL_PORT:-19094}"
CLICKHOUSE_HTTPS_PORT="${STREAMING_ARROW_CLICKHOUSE_HTTPS_PORT:-8443}"
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

# ---------------------------------------------------------------- Security (STREAMING_ARROW_SECURE=1)
# Everything secret or certificate lives in $WORK/security (mode 700): made once, on the first `up`.
SEC_DIR="$WORK/security"
TLS_DIR="$SEC_DIR/tls"
CREDENTIALS="$SEC_DIR/credentials.env"
ENDPOINTS="$SEC_DIR/endpoints.env"
# Kafka principals: admin is the super user; each service has its own; `outsider` authenticates but holds
# no ACL (the refusal tests use it).
KAFKA_USERS=(admin producer sink analyzer outsider)

secure() { [[ "$SECURE" == 1 ]]; }

# A home is made in one mode: a plaintext PostgreSQL cluster or Kafka log does not turn secure by a flag.
check_mode() {
  local wanted="plain"; secure && wanted="secure"
  local marker="$WORK/stack-mode"
  if [[ -f "$marker" ]]; then
    [[ "$(cat "$marker")" == "$wanted" ]] || die "$WORK holds a $(cat "$marker") stack; this call asks for a $wanted one" \
      "(STREAMING_ARROW_SECURE=${SECURE}). Use another STREAMING_ARROW_HOME for it."
  elif [[ -d "$WORK/kafka/data" || -d "$WORK/postgres/data" ]]; then
    [[ "$wanted" == plain ]] || die "$WORK holds a stack made before secure mode existed; use another STREAMING_ARROW_HOME"
    echo plain >"$marker"
  else
    echo "$wanted" >"$marker"
  fi
}

random_secret() { openssl rand -hex 24; }

security_init() {
  command -v openssl >/dev/null || die "openssl is missing (apt-get install openssl): secure mode makes its certificates with it"
  mkdir -p "$TLS_DIR"
  chmod 700 "$SEC_DIR"
  if [[ ! -f "$CREDENTIALS" ]]; then
    say "secure mode: generating passwords into $CREDENTIALS"
    ( umask 077
      {
        echo "# Made by deploy/local/stack.sh on the first secure start. Never commit or print these."
        for user in "${KAFKA_USERS[@]}"; do echo "KAFKA_PASSWORD_${user^^}=$(random_secret)"; done
        echo "KAFKA_KEYSTORE_PASSWORD=$(random_secret)"
        echo "CLICKHOUSE_ADMIN_PASSWORD=$(random_secret)"
        echo "CLICKHOUSE_SINK_PASSWORD=$(random_secret)"
        echo "POSTGRES_PASSWORD=$(random_secret)"
      } >"$CREDENTIALS" )
  fi
  # shellcheck disable=SC1090
  source "$CREDENTIALS"
  if [[ ! -f "$TLS_DIR/server.crt" ]]; then
    say "secure mode: generating a CA and a server certificate (localhost, 127.0.0.1) into $TLS_DIR"
    ( umask 077; cd "$TLS_DIR"
      openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 825 -keyout ca.key -out ca.crt \
        -subj "/CN=Streaming Arrow local CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
      openssl req -newkey rsa:2048 -nodes -sha256 -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
      printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=CA:FALSE" \
        "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" >server.ext
      openssl x509 -req -sha256 -days 825 -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
        -extfile server.ext -out server.crt 2>/dev/null
      openssl pkcs12 -export -in server.crt -inkey server.key -certfile ca.crt -name kafka \
        -out kafka.p12 -passout "pass:$KAFKA_KEYSTORE_PASSWORD"
      rm -f server.csr
      chmod 644 ca.crt server.crt ) || die "could not make the certificates in $TLS_DIR"
  fi
  # What clients need to connect (no secret in it): the tests and docs/security.md read it.
  cat >"$ENDPOINTS" <<EOT
KAFKA_ADMIN_BOOTSTRAP=127.0.0.1:$KAFKA_PORT
KAFKA_SASL_SSL_BOOTSTRAP=127.0.0.1:$KAFKA_SASL_PORT
CLICKHOUSE_HTTPS_URL=https://127.0.0.1:$CLICKHOUSE_HTTPS_PORT
POSTGRES_URL=postgresql://127.0.0.1:$POSTGRES_PORT/$DATABASE
POSTGRES_PORT=$POSTGRES_PORT
CA_CERT=$TLS_DIR/ca.crt
EOT
}

# A copy of the server certificate and key for a server that runs as another user (ClickHouse, PostgreSQL).
install_server_tls() { # directory owner
  mkdir -p "$1"
  install -m 644 "$TLS_DIR/server.crt" "$1/server.crt"
  install -m 600 "$TLS_DIR/server.key" "$1/server.key"
  if [[ -n "$2" ]] && is_root && id "$2" >/dev/null 2>&1; then chown -R "$2": "$1"; fi
}

sha256_hex() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

# Least privilege (docs/security.md): the producer writes the Arrow topic; sink and analyzer read it in
# their own groups and write the dead-letter topic; the analyzer writes the aggregates and alerts.
kafka_acls() { # topic aggregates alerts dlq sink-group analyzer-group
  local topic="$1" aggregates="$2" alerts="$3" dlq="$4" sink_group="$5" analyzer_group="$6"
  local acl=(kafka_java org.apache.kafka.tools.AclCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" --add)
  local log="$KAFKA_DIR/logs/acls.out"
  : >"$log"
  (
    "${acl[@]}" --allow-principal User:producer --operation Write --operation Describe --topic "$topic" &
    "${acl[@]}" --allow-principal User:sink --allow-principal User:analyzer --operation Read --operation Describe --topic "$topic" &
    "${acl[@]}" --allow-principal User:sink --operation Read --group "$sink_group" &
    "${acl[@]}" --allow-principal User:analyzer --operation Read --group "$analyzer_group" &
    "${acl[@]}" --allow-principal User:sink --allow-principal User:analyzer --operation Write --operation Describe --topic "$dlq" &
    "${acl[@]}" --allow-principal User:analyzer --operation Write --operation Describe --topic "$aggregates" --topic "$alerts" &
    local failed=0 job
    for job in $(jobs -p); do wait "$job" || failed=1; done
    exit "$failed"
  ) >>"$log" 2>&1 || fail_with_log "kafka ACLs" "$log"
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
  local listeners="PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT"
  local advertised="PLAINTEXT://127.0.0.1:$KAFKA_PORT"
  local protocols="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
  if secure; then
    refuse_taken_port "kafka (SASL_SSL)" "$KAFKA_SASL_PORT"
    listeners+=",SASL_SSL://127.0.0.1:$KAFKA_SASL_PORT"
    advertised+=",SASL_SSL://127.0.0.1:$KAFKA_SASL_PORT"
    protocols+=",SASL_SSL:SASL_SSL"
  fi
  ( umask 077
  cat >"$KAFKA_DIR/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=$listeners
advertised.listeners=$advertised
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=$protocols
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
  if secure; then
    # Clients authenticate on SASL_SSL with SCRAM-SHA-512 (users stored in the metadata log at format
    # time). The PLAINTEXT listener stays on loopback for the broker itself (inter-broker, controller)
    # and the admin tools: its principal is ANONYMOUS, a super user like admin. Everything else needs an ACL.
    cat >>"$KAFKA_DIR/server.properties" <<EOF
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PKCS12
ssl.keystore.location=$TLS_DIR/kafka.p12
ssl.keystore.password=$KAFKA_KEYSTORE_PASSWORD
ssl.key.password=$KAFKA_KEYSTORE_PASSWORD
ssl.enabled.protocols=TLSv1.3,TLSv1.2
ssl.client.auth=none
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:admin;User:ANONYMOUS
allow.everyone.if.no.acl.found=false
EOF
  fi
  )
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
    local -a scram=()
    if secure; then
      local user password
      for user in "${KAFKA_USERS[@]}"; do
        password="KAFKA_PASSWORD_${user^^}"
        scram+=(--add-scram "SCRAM-SHA-512=[name=$user,password=${!password}]")
      done
    fi
    kafka_java kafka.tools.StorageTool format --standalone -t "$cluster_id" "${scram[@]}" \
      -c "$KAFKA_DIR/server.properties" >"$KAFKA_DIR/logs/format.out" 2>&1 \
      || fail_with_log "kafka storage format" "$KAFKA_DIR/logs/format.out"
  fi
  say "starting kafka on 127.0.0.1:$KAFKA_PORT (controller $KAFKA_CONTROLLER_PORT)"
  # Appended: after a kill and restart (faults.sh) what the broker said before the kill is still there.
  nohup java -Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.yaml" \
    -cp "$cp" kafka.Kafka "$KAFKA_DIR/server.properties" >>"$KAFKA_LOG" 2>&1 </dev/null &
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
  if secure; then
    kafka_acls arrow_tables arrow_aggregates alerts arrow_tables_dlq sink analyzer
    say "kafka ready: SASL_SSL (SCRAM-SHA-512) on 127.0.0.1:$KAFKA_SASL_PORT for ${KAFKA_USERS[*]}, ACLs per service; topics ${TOPICS[*]}"
    return
  fi
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
  if secure; then
    [[ "$(curl -fsS --max-time 2 --cacert "$TLS_DIR/ca.crt" "https://127.0.0.1:$CLICKHOUSE_HTTPS_PORT/ping" 2>/dev/null)" == "Ok." ]]
  else
    [[ "$(curl -fsS --max-time 2 "http://127.0.0.1:$CLICKHOUSE_HTTP_PORT/ping" 2>/dev/null)" == "Ok." ]]
  fi
}

clickhouse_query() {
  if secure; then
    # The password goes to curl through a file descriptor, not its command line (visible in ps).
    curl -fsS --max-time 30 --cacert "$TLS_DIR/ca.crt" -K <(printf 'user = "default:%s"\n' "$CLICKHOUSE_ADMIN_PASSWORD") \
      "https://127.0.0.1:$CLICKHOUSE_HTTPS_PORT/" --data-binary "$1"
  else
    curl -fsS --max-time 30 "http://127.0.0.1:$CLICKHOUSE_HTTP_PORT/" --data-binary "$1"
  fi
}

clickhouse_up() {
  if alive "$CH_PID"; then say "clickhouse already running (pid $(cat "$CH_PID"))"; return; fi
  stop_distro_server clickhouse "$CLICKHOUSE_HTTP_PORT"
  refuse_taken_port clickhouse "$CLICKHOUSE_TCP_PORT"
  mkdir -p "$CH_DIR/data" "$CH_DIR/tmp" "$CH_DIR/user_files" "$CH_DIR/format_schemas" "$CH_DIR/log"
  # Plaintext: HTTP and native. Secure: HTTPS and native over TLS only, and every user has a password.
  local listen
  if secure; then
    refuse_taken_port clickhouse "$CLICKHOUSE_HTTPS_PORT"
    install_server_tls "$CH_DIR/tls" ""
    listen="<https_port>$CLICKHOUSE_HTTPS_PORT</https_port>
    <tcp_port_secure>$CLICKHOUSE_TCP_PORT</tcp_port_secure>
    <openSSL>
        <server>
            <certificateFile>$CH_DIR/tls/server.crt</certificateFile>
            <privateKeyFile>$CH_DIR/tls/server.key</privateKeyFile>
            <verificationMode>none</verificationMode>
            <loadDefaultCAFile>false</loadDefaultCAFile>
            <cacheSessions>true</cacheSessions>
            <disableProtocols>sslv2,sslv3,tlsv1,tlsv1_1</disableProtocols>
            <preferServerCiphers>true</preferServerCiphers>
        </server>
    </openSSL>"
  else
    refuse_taken_port clickhouse "$CLICKHOUSE_HTTP_PORT"
    listen="<http_port>$CLICKHOUSE_HTTP_PORT</http_port>
    <tcp_port>$CLICKHOUSE_TCP_PORT</tcp_port>"
  fi
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
    $listen
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
  # Secure: default is the admin, streaming_arrow the sink's user (its database only); both with passwords,
  # stored as SHA-256.
  local default_password="<password></password>" sink_user=""
  if secure; then
    default_password="<password_sha256_hex>$(sha256_hex "$CLICKHOUSE_ADMIN_PASSWORD")</password_sha256_hex>"
    sink_user="<streaming_arrow>
            <password_sha256_hex>$(sha256_hex "$CLICKHOUSE_SINK_PASSWORD")</password_sha256_hex>
            <networks>
                <ip>127.0.0.1</ip>
                <ip>::1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
            <allow_databases>
                <database>$DATABASE</database>
            </allow_databases>
        </streaming_arrow>"
  fi
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
        $sink_user
        <default>
            $default_password
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
  if secure; then
    say "starting clickhouse on 127.0.0.1:$CLICKHOUSE_HTTPS_PORT (https) / $CLICKHOUSE_TCP_PORT (native, TLS)"
  else
    say "starting clickhouse on 127.0.0.1:$CLICKHOUSE_HTTP_PORT (http) / $CLICKHOUSE_TCP_PORT (native)"
  fi
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
    if secure; then
      # TCP only over TLS, with scram-sha-256; the superuser only through the socket (the stack's own psql).
      cat >>"$PG_DATA/postgresql.conf" <<EOF
ssl = on
ssl_cert_file = '$PG_DIR/tls/server.crt'
ssl_key_file = '$PG_DIR/tls/server.key'
ssl_min_protocol_version = 'TLSv1.2'
password_encryption = 'scram-sha-256'
EOF
      cat >"$PG_DATA/pg_hba.conf" <<EOF
local   all postgres trust
local   all all scram-sha-256
hostssl all all 127.0.0.1/32 scram-sha-256
host    all all 127.0.0.1/32 reject
EOF
    else
      cat >"$PG_DATA/pg_hba.conf" <<EOF
local all postgres trust
local all all scram-sha-256
host  all postgres 127.0.0.1/32 trust
host  all all 127.0.0.1/32 scram-sha-256
EOF
    fi
    is_root && chown postgres: "$PG_DATA/postgresql.conf" "$PG_DATA/pg_hba.conf"
  fi
  secure && install_server_tls "$PG_DIR/tls" postgres
  say "starting postgres on 127.0.0.1:$POSTGRES_PORT"
  as_postgres "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -o "-p $POSTGRES_PORT" -w -t "$START_TIMEOUT" start >/dev/null || fail_with_log postgres "$PG_LOG"
  local psql=("$bin/psql" -q -h 127.0.0.1 -p "$POSTGRES_PORT" -U postgres -v ON_ERROR_STOP=1)
  secure && psql=("$bin/psql" -q -h "$PG_SOCKETS" -p "$POSTGRES_PORT" -U postgres -v ON_ERROR_STOP=1)
  if [[ "$(as_postgres "${psql[@]}" -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER'")" != 1 ]]; then
    as_postgres "${psql[@]}" -c "CREATE ROLE $PG_USER LOGIN PASSWORD '$PG_PASSWORD'" >/dev/null
  fi
  if [[ "$(as_postgres "${psql[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" != 1 ]]; then
    as_postgres "${psql[@]}" -c "CREATE DATABASE $DATABASE OWNER $PG_USER" >/dev/null
  fi
  if secure; then
    say "postgres ready: database $DATABASE, user $PG_USER (scram-sha-256, password in $CREDENTIALS), TLS only"
    return
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
        if secure; then
          status_line clickhouse "$pid" "$answers" "https 127.0.0.1:$CLICKHOUSE_HTTPS_PORT/$CLICKHOUSE_TCP_PORT"
        else
          status_line clickhouse "$pid" "$answers" "127.0.0.1:$CLICKHOUSE_HTTP_PORT/$CLICKHOUSE_TCP_PORT"
        fi ;;
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
  if [[ "$command" == acls ]]; then
    mkdir -p "$WORK"; secure && security_init
    secure || die "acls: only for a secure stack (STREAMING_ARROW_SECURE=1)"
    (( $# == 6 )) || die "usage: $0 acls TOPIC AGGREGATES ALERTS DLQ SINK_GROUP ANALYZER_GROUP"
    kafka_acls "$@"
    say "ACLs granted on topic $1 (sink group $5, analyzer group $6)"
    return
  fi
  local components=("$@")
  (( ${#components[@]} )) || components=("${ALL_COMPONENTS[@]}")
  local c
  for c in "${components[@]}"; do
    case "$c" in kafka|clickhouse|postgres) ;; *) die "unknown component '$c' (kafka, clickhouse, postgres)";; esac
  done
  mkdir -p "$WORK"
  check_mode
  if secure; then
    security_init
    # The role's password is generated, not the contract's well-known one.
    PG_PASSWORD="$POSTGRES_PASSWORD"
  fi
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
      echo "usage: $0 up|down|status [kafka|clickhouse|postgres ...] | acls TOPIC AGGREGATES ALERTS DLQ SINK_GROUP ANALYZER_GROUP" >&2; exit 2 ;;
  esac
}

main "$@"
