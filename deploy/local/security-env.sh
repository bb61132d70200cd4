# Sourced by e2e.sh --secure and security.sh: how a service is configured for the secure stack, by
# environment variables only, the names Kubernetes sets (SmallRye maps KAFKA_SASL_JAAS_CONFIG to
# kafka.sasl.jaas.config, SINK_CLICKHOUSE_URL to sink.clickhouse.url, and so on; docs/security.md).
# Needs the stack's security/credentials.env and security/endpoints.env sourced first. Call it in the
# service's own subshell, just before exec: no secret goes on a command line, where ps would show it.

secure_service_env() { # service [kafka-user]
  local user="${2:-$1}"
  local password="KAFKA_PASSWORD_${user^^}"
  export KAFKA_BOOTSTRAP_SERVERS="$KAFKA_SASL_SSL_BOOTSTRAP" KAFKA_SECURITY_PROTOCOL=SASL_SSL \
    KAFKA_SASL_MECHANISM=SCRAM-SHA-512 KAFKA_SSL_TRUSTSTORE_TYPE=PEM KAFKA_SSL_TRUSTSTORE_LOCATION="$CA_CERT" \
    KAFKA_SASL_JAAS_CONFIG="org.apache.kafka.common.security.scram.ScramLoginModule required username=\"$user\" password=\"${!password}\";"
  case "$1" in
    producer)
      export PRODUCER_INGEST_TOKEN="$INGEST_TOKEN" ;;
    sink)
      export SINK_CLICKHOUSE_URL="$CLICKHOUSE_HTTPS_URL" SINK_CLICKHOUSE_CA_CERT="$CA_CERT" \
        SINK_CLICKHOUSE_USER=streaming_arrow SINK_CLICKHOUSE_PASSWORD="$CLICKHOUSE_SINK_PASSWORD" ;;
    analyzer)
      export POSTGRES_URL POSTGRES_PASSWORD QUARKUS_DATASOURCE_REACTIVE_POSTGRESQL_SSL_MODE=verify-full \
        QUARKUS_DATASOURCE_REACTIVE_TRUST_CERTIFICATE_PEM=true QUARKUS_DATASOURCE_REACTIVE_TRUST_CERTIFICATE_PEM_CERTS="$CA_CERT" \
        QUARKUS_DATASOURCE_REACTIVE_HOSTNAME_VERIFICATION_ALGORITHM=HTTPS ;;
  esac
}

# Every secret of the stack and run, for the checks that none is printed.
secure_secrets() {
  local user password
  printf '%s\n' "$INGEST_TOKEN" "$CLICKHOUSE_SINK_PASSWORD" "$CLICKHOUSE_ADMIN_PASSWORD" "$POSTGRES_PASSWORD" "$KAFKA_KEYSTORE_PASSWORD"
  for user in producer sink analyzer admin outsider; do password="KAFKA_PASSWORD_${user^^}"; printf '%s\n' "${!password}"; done
}
