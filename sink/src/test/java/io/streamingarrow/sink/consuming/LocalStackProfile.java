package io.streamingarrow.sink.consuming;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

import io.quarkus.test.junit.QuarkusTestProfile;

/**
 * Runs the sink against the local stack's real Kafka and ClickHouse with a unique topic, dead-letter
 * topic, consumer group and table, so parallel test runs never see each other's data.
 */
public class LocalStackProfile implements QuarkusTestProfile {

    public static final String KAFKA = System.getProperty("streamingarrow.sinktest.kafka", "127.0.0.1:19092");
    /** Kept in a system property: Quarkus loads this class again in its own class loader. */
    public static final String SUFFIX = suffix();
    public static final String TOPIC = "arrow_tables_sinktest_" + SUFFIX;
    public static final String DLQ_TOPIC = "arrow_tables_dlq_sinktest_" + SUFFIX;
    public static final String TABLE = "sensor_readings_sinktest_" + SUFFIX;

    private static synchronized String suffix() {
        String suffix = System.getProperty("streamingarrow.sinktest.suffix");
        if (suffix == null) {
            suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
            System.setProperty("streamingarrow.sinktest.suffix", suffix);
        }
        return suffix;
    }

    @Override
    public Map<String, String> getConfigOverrides() {
        createTopics(TOPIC, DLQ_TOPIC);
        return Map.of(
                "kafka.bootstrap.servers", KAFKA,
                "mp.messaging.incoming.arrow-tables.topic", TOPIC,
                "mp.messaging.incoming.arrow-tables.group.id", "sink-test-" + SUFFIX,
                "mp.messaging.outgoing.arrow-tables-dlq.topic", DLQ_TOPIC,
                "sink.clickhouse.table", TABLE,
                "sink.insert.linger", "200ms",
                "sink.insert.max-rows", "2500",
                "quarkus.log.category.\"io.streamingarrow\".level", "DEBUG");
    }

    /** Creates {@code topic} (2 partitions) and {@code dlqTopic} (1) unless they exist. */
    static void createTopics(String topic, String dlqTopic) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
        try (Admin admin = Admin.create(props)) {
            admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1), new NewTopic(dlqTopic, 1, (short) 1)))
                    .all().get(20, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (!(e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException)) {
                throw new IllegalStateException("Kafka at " + KAFKA + " refused the test topics; is the local stack up"
                        + " (deploy/local/stack.sh up)? " + e.getCause(), e);
            }
        } catch (Exception e) {
            throw new IllegalStateException("Kafka is not reachable at " + KAFKA
                    + ": start the local stack with deploy/local/stack.sh up (" + e + ")", e);
        }
    }
}
