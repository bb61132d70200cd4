package io.streamingarrow.analyzer.consuming;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;

import jakarta.inject.Inject;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.streamingarrow.shared.batch.SeedBatchBuilder;
import io.streamingarrow.shared.ipc.ArrowIpcDecoder;
import io.streamingarrow.shared.ipc.ArrowIpcEncoder;
import io.streamingarrow.shared.ipc.DecodeLimits;
import io.vertx.mutiny.sqlclient.Pool;

/**
 * Bad rows cost only themselves: a message whose rows include a year-9999 time, a time two hours ahead and
 * a device name with U+0000 has its other rows windowed, while those three go to the dead-letter topic as
 * Arrow rows with their reason and origin; a tombstone and an empty message are dead-lettered as they are.
 * The analyzer stays ready, its progress stays plausible, and the rows after all that are not late.
 */
@QuarkusTest
@QuarkusTestResource(value = BadRowsEndToEndTest.Resources.class, restrictToAnnotatedClass = true)
@TestProfile(BadRowsEndToEndTest.Profile.class)
class BadRowsEndToEndTest {

    static final OutageStreams.Names NAMES = OutageStreams.Names.fresh("badrows");
    static final String BOOTSTRAP = LocalStackResources.BOOTSTRAP;
    static final long YEAR_9999 = 253_402_300_799_000_000L; // 9999-12-31T23:59:59Z

    public static class Resources implements QuarkusTestResourceLifecycleManager {
        @Override
        public Map<String, String> start() {
            NAMES.create(BOOTSTRAP);
            return new HashMap<>(NAMES.config(BOOTSTRAP));
        }

        @Override
        public void stop() {
        }
    }

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "analyzer.window.size", "1s",
                    "analyzer.window.allowed-lateness", "500ms",
                    "analyzer.window.idle-timeout", "2s",
                    "analyzer.window.max-future-skew", "1m");
        }
    }

    @Inject
    Pool pool;

    @Test
    void badRowsAndEmptyMessagesGoToTheDeadLetterTopicAndCostNothingElse() throws Exception {
        OutageStreams stream = new OutageStreams();
        long base = (System.currentTimeMillis() - 120_000) * 1000 / OutageStreams.SIZE * OutageStreams.SIZE;
        Random random = new Random(41);
        String nulDevice = "pump\u0000evil";
        try (BufferAllocator allocator = new RootAllocator();
             KafkaProducer<String, byte[]> producer = OutageStreams.producer(BOOTSTRAP)) {
            ArrowIpcEncoder encoder = ArrowIpcEncoder.seedDefault();
            for (int m = 0; m < 24; m++) {
                for (String device : new String[] {"pump-1", "pump-2"}) {
                    long[] ts = new long[20];
                    float[] cpu = new float[20];
                    for (int i = 0; i < 20; i++) {
                        ts[i] = base + m * 250_000L + i * 10_000L + random.nextInt(3000);
                        cpu[i] = random.nextFloat() * 100;
                    }
                    producer.send(new ProducerRecord<>(NAMES.input(), device, stream.message(allocator, encoder, device, ts, cpu)));
                }
                if (m == 8) {
                    // Rows 0-1 and 5 fine; 2: year 9999; 3: two hours ahead; 4: U+0000 in the device name.
                    try (SeedBatchBuilder batch = new SeedBatchBuilder(allocator, 6)) {
                        long now = System.currentTimeMillis() * 1000;
                        long t = base + m * 250_000L;
                        batch.append("pump-1", t + 1000, 11f, 89f, 50f, 50f, 0);
                        batch.append("pump-1", t + 2000, 12f, 88f, 50f, 50f, 1);
                        batch.append("pump-1", YEAR_9999, 13f, 87f, 50f, 50f, 2);
                        batch.append("pump-1", now + 7_200_000_000L, 14f, 86f, 50f, 50f, 3);
                        batch.append(nulDevice, t + 3000, 15f, 85f, 50f, 50f, 4);
                        batch.append("pump-1", t + 4000, 16f, 84f, 50f, 50f, 5);
                        stream.expect("pump-1", t + 1000, 11f);
                        stream.expect("pump-1", t + 2000, 12f);
                        stream.expect("pump-1", t + 4000, 16f);
                        producer.send(new ProducerRecord<>(NAMES.input(), "pump-1", batch.encodeAndReset(encoder)));
                    }
                    producer.send(new ProducerRecord<>(NAMES.input(), "pump-1", null));
                    producer.send(new ProducerRecord<>(NAMES.input(), "pump-1", new byte[0]));
                }
            }
            producer.flush();
        }
        await().atMost(Duration.ofSeconds(90)).until(() -> OutageStreams.storedRows(pool, NAMES.schema()) >= stream.rows);
        stream.assertStored(pool, NAMES.schema());
        assertEquals(200, given().get("/q/health/ready").statusCode(), "ready all along");
        assertEquals(3, PostgresOutageTest.metric("analyzer_rows_refused_total"));
        assertEquals(2, PostgresOutageTest.metric("analyzer_messages_empty_total"));
        assertEquals(0, PostgresOutageTest.metric("analyzer_rows_late_total"), "no row late");
        long latestProgress = pool.query("SELECT (extract(epoch FROM max(final_up_to)) * 1000000)::bigint AS us FROM "
                + NAMES.schema() + ".analyzer_progress").execute().await().atMost(Duration.ofSeconds(10))
                .iterator().next().getLong("us");
        assertTrue(latestProgress < System.currentTimeMillis() * 1000, "progress stays plausible: " + latestProgress);

        Map<String, ConsumerRecord<byte[], byte[]>> letters = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : drain(NAMES.dlq(), 5)) {
            letters.put(header(record, "dlq-reason"), record);
            assertEquals("analyzer", header(record, "dlq-service"));
            assertEquals(NAMES.input(), header(record, "dlq-source-topic"));
            assertTrue(header(record, "dlq-source-partition") != null && header(record, "dlq-source-offset") != null);
        }
        assertEquals(5, letters.size(), "five dead letters, by reason: " + letters.keySet());
        assertNull(letters.get("null (tombstone) message").value(), "a tombstone stays a tombstone");
        assertEquals(0, letters.get("empty message (0 bytes)").value().length);
        ArrowIpcDecoder decoder = new ArrowIpcDecoder(DecodeLimits.DEFAULT);
        Map<String, String> rowIndex = Map.of("row-timestamp-out-of-range", "2", "row-timestamp-in-future", "3",
                "row-nul-in-string", "4");
        rowIndex.forEach((reason, row) -> {
            ConsumerRecord<byte[], byte[]> letter = letters.get(reason);
            assertEquals(row, header(letter, "dlq-rows"), reason);
            assertEquals("1", header(letter, "dlq-row-count"), reason);
            assertEquals(1, decoder.decode(letter.value(), (batch, index) -> {
                String device = new String(((VarCharVector) batch.getVector("device")).get(0), StandardCharsets.UTF_8);
                long ts = ((TimeStampVector) batch.getVector("ts")).get(0);
                if (reason.equals("row-nul-in-string")) {
                    assertEquals(nulDevice, device);
                } else if (reason.equals("row-timestamp-out-of-range")) {
                    assertEquals(YEAR_9999, ts);
                }
            }).rows(), reason + ": just the refused row");
        });
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static List<ConsumerRecord<byte[], byte[]>> drain(String topic, int atLeast) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, BOOTSTRAP);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (records.size() < atLeast && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(records::add);
            }
            consumer.poll(Duration.ofSeconds(1)).forEach(records::add);
        }
        return records;
    }
}
