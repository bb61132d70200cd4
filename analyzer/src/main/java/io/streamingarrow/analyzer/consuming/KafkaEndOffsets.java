package io.streamingarrow.analyzer.consuming;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

import io.streamingarrow.analyzer.windowing.EndOffsets;

/**
 * Asks the broker, through its own admin client, for the end offsets of the partitions this analyzer reads;
 * the latest answer decides which partitions are idle ({@link io.streamingarrow.analyzer.windowing.Watermarks}).
 * One question at a time; a question that fails or times out leaves the last answer to age, so while the
 * broker cannot be reached nothing becomes idle.
 */
public final class KafkaEndOffsets implements EndOffsets, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(KafkaEndOffsets.class);

    private final String topic;
    private final LongSupplier nanoClock;
    private final long maxGapNanos;
    private final Admin admin;
    private final AtomicBoolean asking = new AtomicBoolean();
    private volatile Answer latest;
    private volatile boolean failing;

    /**
     * @param connection how to reach and authenticate to the broker, as for the service's other clients
     *        ({@link #connectionSettings}); at least {@code bootstrap.servers}
     * @param maxGap two answers asked further apart than this (or with a failed question between them) mean the
     *        broker could not be reached in between: the later one starts a new stretch of answers
     *        ({@link Answer#answeringSinceNanos()})
     */
    public KafkaEndOffsets(Map<String, ?> connection, String topic, Duration timeout, Duration maxGap, LongSupplier nanoClock) {
        this.topic = topic;
        this.nanoClock = nanoClock;
        this.maxGapNanos = maxGap.toNanos();
        Properties properties = new Properties();
        properties.putAll(connection);
        properties.put(AdminClientConfig.CLIENT_ID_CONFIG, "analyzer-end-offsets");
        properties.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        properties.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000);
        this.admin = Admin.create(properties);
    }

    /**
     * The settings of the service's Kafka configuration ({@code kafka.*}, the connector's
     * {@code default-kafka-broker}) that say where the broker is and how to connect to it: bootstrap servers,
     * security protocol, SASL and TLS. This admin client has to pass the same authentication as the consumer
     * (on a SASL_SSL listener it would otherwise never be answered); the consumer- and producer-only settings
     * stay out, an admin client would only warn about them.
     */
    public static Map<String, Object> connectionSettings(Map<String, ?> kafkaConfig) {
        Map<String, Object> connection = new HashMap<>();
        kafkaConfig.forEach((key, value) -> {
            if (value != null && (key.equals(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG)
                    || key.equals(AdminClientConfig.SECURITY_PROTOCOL_CONFIG)
                    || key.equals(AdminClientConfig.CLIENT_DNS_LOOKUP_CONFIG)
                    || key.startsWith("sasl.") || key.startsWith("ssl."))) {
                connection.put(key, value);
            }
        });
        return connection;
    }

    @Override
    public Answer latest() {
        return latest;
    }

    /** Asks for the end offsets of {@code partitions} unless a question is still out; returns at once. */
    public void ask(List<Integer> partitions) {
        if (partitions.isEmpty() || !asking.compareAndSet(false, true)) {
            return;
        }
        long askedAt = nanoClock.getAsLong();
        Map<TopicPartition, OffsetSpec> question = new HashMap<>();
        for (int partition : partitions) {
            question.put(new TopicPartition(topic, partition), OffsetSpec.latest());
        }
        ListOffsetsResult result;
        try {
            result = admin.listOffsets(question);
        } catch (RuntimeException e) {
            asking.set(false);
            return;
        }
        result.all().whenComplete((offsets, error) -> {
            try {
                if (error != null) {
                    if (!failing) {
                        LOG.warnf("the broker does not answer for the end offsets of %s (%s): no partition counts as idle"
                                + " until it does", topic, error.toString());
                    }
                    failing = true;
                    return;
                }
                Map<Integer, Long> ends = new HashMap<>();
                offsets.forEach((tp, info) -> ends.put(tp.partition(), info.offset()));
                latest = Answer.following(latest, failing, maxGapNanos, Map.copyOf(ends), askedAt);
                if (failing) {
                    LOG.infof("the broker answers for the end offsets of %s again", topic);
                }
                failing = false;
            } finally {
                asking.set(false);
            }
        });
    }

    /** Seconds since the question behind the latest answer was asked (-1 before any). */
    public double answerAgeSeconds() {
        Answer answer = latest;
        return answer == null ? -1 : (nanoClock.getAsLong() - answer.askedAtNanos()) / 1e9;
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(2));
    }
}
