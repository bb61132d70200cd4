package io.streamingarrow.analyzer.consuming;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import io.streamingarrow.shared.batch.SeedBatchBuilder;
import io.streamingarrow.shared.ipc.ArrowIpcDecoder;
import io.streamingarrow.shared.ipc.ArrowIpcEncoder;
import io.streamingarrow.shared.ipc.DecodeLimits;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;

/**
 * What the outage tests share: fresh topics and schema, messages of known rows with the brute-force windows
 * they must give (1 s tumbling), and the checks that PostgreSQL and arrow_aggregates hold exactly those
 * windows, each exactly once.
 */
final class OutageStreams {

    static final long SIZE = 1_000_000L;

    /** Fresh topic names and schema. */
    record Names(String input, String aggregates, String alerts, String dlq, String schema) {
        static Names fresh(String prefix) {
            String suffix = prefix + "_" + UUID.randomUUID().toString().substring(0, 8);
            return new Names("arrow_tables_" + suffix, "arrow_aggregates_" + suffix, "alerts_" + suffix,
                    "arrow_tables_dlq_" + suffix, "analyzer_" + suffix);
        }

        void create(String bootstrap) {
            Properties properties = new Properties();
            properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            try (Admin admin = Admin.create(properties)) {
                admin.createTopics(List.of(new NewTopic(input, 4, (short) 1), new NewTopic(aggregates, 1, (short) 1),
                        new NewTopic(alerts, 1, (short) 1), new NewTopic(dlq, 1, (short) 1))).all().get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("cannot create test topics on Kafka at " + bootstrap, e);
            }
        }

        Map<String, String> config(String bootstrap) {
            return Map.of(
                    "kafka.bootstrap.servers", bootstrap,
                    "mp.messaging.incoming.arrow-tables.topic", input,
                    "mp.messaging.outgoing.arrow-aggregates.topic", aggregates,
                    "mp.messaging.outgoing.alerts.topic", alerts,
                    "mp.messaging.outgoing.arrow-tables-dlq.topic", dlq,
                    "analyzer.store.schema", schema);
        }
    }

    /** The windows the rows sent so far must give: device@start -> count, min, max, sum of cpu_used. */
    final Map<String, double[]> expected = new TreeMap<>();
    long rows;

    /** One message of {@code count} rows of one device at the given times; its rows go into {@link #expected}. */
    synchronized byte[] message(BufferAllocator allocator, ArrowIpcEncoder encoder, String device, long[] ts, float[] cpu) {
        try (SeedBatchBuilder batch = new SeedBatchBuilder(allocator, ts.length)) {
            for (int i = 0; i < ts.length; i++) {
                batch.append(device, ts[i], cpu[i], 100 - cpu[i], 50f, 50f, i);
                expect(device, ts[i], cpu[i]);
            }
            return batch.encodeAndReset(encoder);
        }
    }

    /** One row the windows must hold. */
    synchronized void expect(String device, long ts, float cpu) {
        double[] w = expected.computeIfAbsent(device + "@" + Math.floorDiv(ts, SIZE) * SIZE,
                k -> new double[] {0, Double.MAX_VALUE, -Double.MAX_VALUE, 0});
        w[0]++;
        w[1] = Math.min(w[1], cpu);
        w[2] = Math.max(w[2], cpu);
        w[3] += cpu;
        rows++;
    }

    static KafkaProducer<String, byte[]> producer(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    static long storedWindows(Pool pool, String schema) {
        return pool.query("SELECT count(*) AS n FROM " + schema + ".window_aggregates").execute()
                .await().atMost(Duration.ofSeconds(10)).iterator().next().getLong("n");
    }

    static long storedRows(Pool pool, String schema) {
        return pool.query("SELECT coalesce(sum(row_count), 0)::bigint AS n FROM " + schema + ".window_aggregates").execute()
                .await().atMost(Duration.ofSeconds(10)).iterator().next().getLong("n");
    }

    /** PostgreSQL holds exactly the expected windows, with the right values. */
    synchronized void assertStored(Pool pool, String schema) {
        Map<String, Row> stored = new HashMap<>();
        for (Row row : pool.query("SELECT device, window_start, row_count, stats FROM " + schema + ".window_aggregates")
                .execute().await().atMost(Duration.ofSeconds(10))) {
            long start = row.getOffsetDateTime("window_start").toInstant().toEpochMilli() * 1000;
            stored.put(row.getString("device") + "@" + start, row);
        }
        assertEquals(expected.keySet(), stored.keySet(), "the same windows");
        expected.forEach((key, w) -> {
            Row row = stored.get(key);
            JsonObject cpu = ((JsonObject) row.getValue("stats")).getJsonObject("cpu_used");
            assertEquals((long) w[0], row.getLong("row_count"), key + " rows");
            assertEquals((float) w[1], cpu.getDouble("min").floatValue(), key + " min");
            assertEquals((float) w[2], cpu.getDouble("max").floatValue(), key + " max");
            assertEquals(w[3] / w[0], cpu.getDouble("mean"), 1e-3, key + " mean");
        });
    }

    /** arrow_aggregates holds each expected window exactly once, with the right row count. */
    synchronized void assertPublishedOnce(String bootstrap, String topic) {
        Map<String, Integer> seen = new TreeMap<>();
        Map<String, Long> counts = new HashMap<>();
        ArrowIpcDecoder decoder = new ArrowIpcDecoder(DecodeLimits.DEFAULT);
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            int quietPolls = 0;
            while (System.nanoTime() < deadline && (seen.size() < expected.size() || quietPolls < 2)) {
                List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
                consumer.poll(Duration.ofMillis(1000)).forEach(records::add);
                quietPolls = records.isEmpty() ? quietPolls + 1 : 0;
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    decoder.decode(record.value(), (batch, index) -> {
                        VarCharVector device = (VarCharVector) batch.getVector("device");
                        TimeStampVector start = (TimeStampVector) batch.getVector("window_start");
                        BigIntVector count = (BigIntVector) batch.getVector("row_count");
                        for (int row = 0; row < batch.getRowCount(); row++) {
                            String key = new String(device.get(row), java.nio.charset.StandardCharsets.UTF_8) + "@" + start.get(row);
                            seen.merge(key, 1, Integer::sum);
                            counts.put(key, count.get(row));
                        }
                    });
                }
            }
        }
        assertEquals(expected.keySet(), seen.keySet(), "every window published");
        seen.forEach((key, times) -> assertEquals(1, times, key + " published exactly once"));
        expected.forEach((key, w) -> assertEquals((long) w[0], counts.get(key), key + " published rows"));
        assertTrue(!seen.isEmpty());
    }
}
