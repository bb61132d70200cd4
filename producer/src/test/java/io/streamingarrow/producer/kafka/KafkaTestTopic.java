package io.streamingarrow.producer.kafka;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Points the producer at a fresh topic on the local stack's real broker (deploy/local/stack.sh up), so
 * a test sees only its own messages. Four partitions, like arrow_tables.
 */
public class KafkaTestTopic implements QuarkusTestResourceLifecycleManager {

    public static final String BOOTSTRAP = System.getenv().getOrDefault("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092");

    private String topic;

    @Override
    public Map<String, String> start() {
        topic = "arrow_tables_test_" + UUID.randomUUID().toString().substring(0, 8);
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, BOOTSTRAP);
        properties.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
        try (Admin admin = Admin.create(properties)) {
            admin.createTopics(List.of(new NewTopic(topic, 4, (short) 1))).all().get(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create a test topic on Kafka at " + BOOTSTRAP
                    + ": is the local stack up? (deploy/local/stack.sh up)", e);
        }
        return Map.of("mp.messaging.outgoing.arrow-tables.topic", topic, "kafka.bootstrap.servers", BOOTSTRAP);
    }

    /** A consumer in a group of its own, reading the topic from the start. */
    public static KafkaConsumer<String, byte[]> consumer() {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, BOOTSTRAP);
        properties.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID());
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        return new KafkaConsumer<>(properties, new StringDeserializer(), new ByteArrayDeserializer());
    }

    @Override
    public void stop() {
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, BOOTSTRAP);
        try (Admin admin = Admin.create(properties)) {
            admin.deleteTopics(List.of(topic)).all().get(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            // A leftover test topic is harmless; the stack is throwaway.
        }
    }
}
