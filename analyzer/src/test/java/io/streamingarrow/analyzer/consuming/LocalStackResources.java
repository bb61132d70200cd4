package io.streamingarrow.analyzer.consuming;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Fresh topics on the local stack's Kafka and a fresh PostgreSQL schema for one test class, so it sees
 * only its own data (deploy/local/stack.sh up).
 */
public class LocalStackResources implements QuarkusTestResourceLifecycleManager {

    public static final String BOOTSTRAP = System.getenv().getOrDefault("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092");
    static final String SUFFIX = UUID.randomUUID().toString().substring(0, 8);
    public static final String INPUT = "arrow_tables_it_" + SUFFIX;
    public static final String AGGREGATES = "arrow_aggregates_it_" + SUFFIX;
    public static final String ALERTS = "alerts_it_" + SUFFIX;
    public static final String DLQ = "arrow_tables_dlq_it_" + SUFFIX;
    public static final String SCHEMA = "analyzer_it_" + SUFFIX;

    @Override
    public Map<String, String> start() {
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, BOOTSTRAP);
        properties.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
        try (Admin admin = Admin.create(properties)) {
            admin.createTopics(List.of(new NewTopic(INPUT, 4, (short) 1), new NewTopic(AGGREGATES, 1, (short) 1),
                    new NewTopic(ALERTS, 1, (short) 1), new NewTopic(DLQ, 1, (short) 1))).all().get(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create test topics on Kafka at " + BOOTSTRAP
                    + ": is the local stack up? (deploy/local/stack.sh up)", e);
        }
        return Map.of(
                "kafka.bootstrap.servers", BOOTSTRAP,
                "mp.messaging.incoming.arrow-tables.topic", INPUT,
                "mp.messaging.outgoing.arrow-aggregates.topic", AGGREGATES,
                "mp.messaging.outgoing.alerts.topic", ALERTS,
                "mp.messaging.outgoing.arrow-tables-dlq.topic", DLQ,
                "analyzer.store.schema", SCHEMA);
    }

    @Override
    public void stop() {
        // Throwaway stack: the topics and the schema are left for inspection.
    }
}
