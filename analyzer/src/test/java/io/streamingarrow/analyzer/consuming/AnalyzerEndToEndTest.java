package io.streamingarrow.analyzer.consuming;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;

import jakarta.inject.Inject;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.streamingarrow.shared.batch.SeedBatchBuilder;
import io.streamingarrow.shared.contract.DeviceShards;
import io.streamingarrow.shared.ipc.ArrowIpcDecoder;
import io.streamingarrow.shared.ipc.ArrowIpcEncoder;
import io.streamingarrow.shared.ipc.DecodeLimits;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;

/**
 * Real Kafka and PostgreSQL: Arrow messages in (one corrupt), and out come exactly the brute-force window
 * aggregates in PostgreSQL and on arrow_aggregates, one alert for the device driven hot, and the corrupt
 * message in the dead-letter topic with its reason.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackResources.class, restrictToAnnotatedClass = true)
@TestProfile(AnalyzerEndToEndTest.Profile.class)
class AnalyzerEndToEndTest {

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "analyzer.window.size", "1s",
                    "analyzer.window.allowed-lateness", "500ms",
                    "analyzer.window.idle-timeout", "2s",
                    "analyzer.alerts.cpu-hot.for-windows", "3");
        }
    }

    private static final long SIZE = 1_000_000L;
    private static final String HOT = "boiler-7";

    @Inject
    Pool pool;

    @Test
    void windowsAlertsAndDeadLettersComeOutRight() throws Exception {
        long base = (System.currentTimeMillis() - 60_000) * 1000 / SIZE * SIZE;
        Random random = new Random(11);
        Map<String, double[]> expected = new TreeMap<>(); // device@start -> count, min, max, sum (cpu)
        List<byte[]> messages = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        try (BufferAllocator allocator = new RootAllocator()) {
            ArrowIpcEncoder encoder = ArrowIpcEncoder.seedDefault();
            for (int m = 0; m < 40; m++) {
                for (String device : List.of("pump-1", "pump-2", HOT)) {
                    try (SeedBatchBuilder batch = new SeedBatchBuilder(allocator, 50)) {
                        for (int i = 0; i < 50; i++) {
                            long ts = base + m * 250_000L + i * 5_000L + random.nextInt(3000);
                            float cpu = device.equals(HOT) ? 95 + random.nextFloat() * 4 : random.nextFloat() * 60;
                            batch.append(device, ts, cpu, 100 - cpu, 50f, 50f, i);
                            double[] w = expected.computeIfAbsent(device + "@" + Math.floorDiv(ts, SIZE) * SIZE,
                                    k -> new double[] {0, Double.MAX_VALUE, -Double.MAX_VALUE, 0});
                            w[0]++;
                            w[1] = Math.min(w[1], cpu);
                            w[2] = Math.max(w[2], cpu);
                            w[3] += cpu;
                        }
                        messages.add(batch.encodeAndReset(encoder));
                        keys.add(device);
                    }
                }
            }
        }
        try (KafkaProducer<String, byte[]> producer = producer()) {
            for (int i = 0; i < messages.size(); i++) {
                producer.send(new ProducerRecord<>(LocalStackResources.INPUT, keys.get(i), messages.get(i)));
                if (i == 7) {
                    producer.send(new ProducerRecord<>(LocalStackResources.INPUT, "pump-1",
                            "definitely not arrow".getBytes(StandardCharsets.UTF_8)));
                }
            }
            producer.flush();
        }

        String schema = LocalStackResources.SCHEMA;
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).until(() ->
                pool.query("SELECT count(*) AS n FROM " + schema + ".window_aggregates").execute()
                        .await().indefinitely().iterator().next().getLong("n") == expected.size());

        Map<String, Row> stored = new HashMap<>();
        for (Row row : pool.query("SELECT device, window_start, window_size_ms, row_count, stats FROM " + schema
                + ".window_aggregates").execute().await().indefinitely()) {
            long start = row.getOffsetDateTime("window_start").toInstant().toEpochMilli() * 1000;
            stored.put(row.getString("device") + "@" + start, row);
        }
        assertEquals(expected.keySet(), stored.keySet(), "the same windows");
        expected.forEach((key, w) -> {
            Row row = stored.get(key);
            JsonObject cpu = ((JsonObject) row.getValue("stats")).getJsonObject("cpu_used");
            assertEquals((long) w[0], row.getLong("row_count"), key + " rows");
            assertEquals(1000L, row.getLong("window_size_ms"));
            assertEquals((float) w[1], cpu.getDouble("min").floatValue(), key + " min");
            assertEquals((float) w[2], cpu.getDouble("max").floatValue(), key + " max");
            assertEquals(w[3] / w[0], cpu.getDouble("mean"), 1e-3, key + " mean");
        });

        List<Row> alerts = new ArrayList<>();
        pool.query("SELECT rule, device, state FROM " + schema + ".alerts").execute().await().indefinitely().forEach(alerts::add);
        assertEquals(1, alerts.size(), "exactly one alert");
        assertEquals(HOT, alerts.get(0).getString("device"));
        assertEquals("cpu-hot", alerts.get(0).getString("rule"));
        assertEquals("open", alerts.get(0).getString("state"));

        // Kafka outputs: every window once as Arrow, the alert transition as JSON, the corrupt message in the DLQ.
        List<ConsumerRecord<byte[], byte[]>> aggregates = drain(LocalStackResources.AGGREGATES, expected.size(), true);
        long windowsOnKafka = 0;
        ArrowIpcDecoder decoder = new ArrowIpcDecoder(DecodeLimits.DEFAULT);
        DeviceShards shards = new DeviceShards(4);
        for (ConsumerRecord<byte[], byte[]> record : aggregates) {
            String key = new String(record.key(), StandardCharsets.UTF_8);
            windowsOnKafka += decoder.decode(record.value(), (batch, index) -> {
                VarCharVector device = (VarCharVector) batch.getVector("device");
                for (int row = 0; row < batch.getRowCount(); row++) {
                    assertEquals(shards.key(shards.shardOf(device.get(row))), key, "keyed by the device's shard");
                    assertEquals(0, ((IntVector) batch.getVector("revision")).get(row), "closed on time: revision 0");
                }
            }).rows();
        }
        assertEquals(expected.size(), windowsOnKafka, "windows on arrow_aggregates");
        List<ConsumerRecord<byte[], byte[]>> transitions = drain(LocalStackResources.ALERTS, 1, false);
        assertEquals(1, transitions.size());
        JsonObject transition = new JsonObject(new String(transitions.get(0).value(), StandardCharsets.UTF_8));
        assertEquals("open", transition.getString("state"));
        assertEquals(HOT, transition.getString("device"));
        List<ConsumerRecord<byte[], byte[]>> dead = drain(LocalStackResources.DLQ, 1, false);
        assertEquals(1, dead.size());
        assertEquals("definitely not arrow", new String(dead.get(0).value(), StandardCharsets.UTF_8));
        assertTrue(new String(dead.get(0).headers().lastHeader("dlq-reason").value(), StandardCharsets.UTF_8).length() > 0);
        assertEquals("analyzer", new String(dead.get(0).headers().lastHeader("dlq-service").value(), StandardCharsets.UTF_8));
    }

    /** Reads the topic from the start until {@code atLeast} records (or rows, for Arrow) or 20 s. */
    private static List<ConsumerRecord<byte[], byte[]>> drain(String topic, long atLeast, boolean countArrowRows) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, LocalStackResources.BOOTSTRAP);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        ArrowIpcDecoder decoder = new ArrowIpcDecoder(DecodeLimits.DEFAULT);
        long seen = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (seen < atLeast && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    records.add(record);
                    seen += countArrowRows ? decoder.decode(record.value(), (b, i) -> { }).rows() : 1;
                }
            }
            consumer.poll(Duration.ofSeconds(1)).forEach(records::add); // nothing more may come
        }
        return records;
    }

    private static KafkaProducer<String, byte[]> producer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, LocalStackResources.BOOTSTRAP);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }
}
