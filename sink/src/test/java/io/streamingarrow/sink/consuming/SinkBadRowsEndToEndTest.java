package io.streamingarrow.sink.consuming;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.streamingarrow.shared.batch.SeedBatchBuilder;
import io.streamingarrow.shared.columns.StringColumn;
import io.streamingarrow.shared.ipc.ArrowIpcDecoder;
import io.streamingarrow.shared.ipc.ArrowIpcEncoder;
import io.streamingarrow.shared.ipc.DecodeLimits;
import io.streamingarrow.shared.ipc.IpcCompression;
import io.streamingarrow.shared.ipc.IpcFraming;
import io.streamingarrow.shared.testing.SeedRows;
import io.streamingarrow.sink.clickhouse.Identifiers;
import io.streamingarrow.sink.clickhouse.LocalClickHouse;

/**
 * Bad rows cost themselves, never their neighbours, against the local stack's real Kafka and ClickHouse:
 * in messages of 61 rows with one bad row each (a timestamp in year 9999 or before 1970, U+0000 in a
 * device name, a device name that is not UTF-8, in plain and dictionary strings), the 60 good rows land
 * in ClickHouse with their own {@code kafka_row}, and the bad row goes to the dead-letter topic as an Arrow
 * message of its own with its reason and origin. A null (tombstone) and an empty message are dead-lettered
 * as they came (the null stays null), and the stream goes on; every offset gets committed.
 */
@QuarkusTest
@TestProfile(BadRowsStackProfile.class)
class SinkBadRowsEndToEndTest {

    private static final int ROWS = 61;
    private static final long YEAR_9999_MICROS = 253_402_300_799_000_000L; // 9999-12-31T23:59:59Z
    private static final byte[] NUL_DEVICE = "sensor\0nul".getBytes(StandardCharsets.UTF_8);
    private static final byte[] NOT_UTF8 = {'s', (byte) 0xC3, '(', 'x'};

    private static final LocalClickHouse clickHouse = new LocalClickHouse();

    @AfterAll
    static void cleanUp() {
        try {
            clickHouse.query("DROP TABLE IF EXISTS " + table());
        } finally {
            clickHouse.close();
        }
    }

    private static String table() {
        return Identifiers.table(LocalClickHouse.DATABASE, BadRowsStackProfile.TABLE);
    }

    /** What the test expects of one message sent. */
    private record Sent(long offset, int firstSeedRow, Map<Integer, String> badRows) {
    }

    @Test
    void badRowsGoToTheDeadLetterTopicAndTheirNeighboursLand() throws Exception {
        byte[][] values = new byte[8][];
        try (BufferAllocator allocator = new RootAllocator()) {
            values[0] = seedMessage(allocator, 0, 17, null, YEAR_9999_MICROS);
            values[1] = seedMessage(allocator, 61, 0, null, -1L);
            values[2] = seedMessage(allocator, 122, 30, NUL_DEVICE, null);
            values[3] = seedMessage(allocator, 183, 60, NOT_UTF8, null);
            values[4] = null;
            values[5] = new byte[0];
            values[6] = dictionaryMessage(allocator, 244);
            values[7] = seedMessage(allocator, 305, -1, null, null);
        }
        List<Sent> sent = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            for (int i = 0; i < values.length; i++) {
                byte[] key = ("k" + i).getBytes(StandardCharsets.UTF_8);
                long offset = producer.send(new ProducerRecord<>(BadRowsStackProfile.TOPIC, 0, key, values[i])).get().offset();
                assertEquals(i, offset);
            }
        }
        sent.add(new Sent(0, 0, Map.of(17, "row-timestamp-out-of-range")));
        sent.add(new Sent(1, 61, Map.of(0, "row-timestamp-out-of-range")));
        sent.add(new Sent(2, 122, Map.of(30, "row-nul-in-string")));
        sent.add(new Sent(3, 183, Map.of(60, "row-invalid-utf8")));
        sent.add(new Sent(6, 244, Map.of(5, "row-invalid-utf8", 6, "row-timestamp-out-of-range")));
        sent.add(new Sent(7, 305, Map.of()));
        long expectedRows = 4 * 60 + 59 + 61;

        await().alias("good rows in ClickHouse").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> count() == expectedRows);
        assertGoodRowsExact(sent);

        List<ConsumerRecord<byte[], byte[]>> dead = deadLetters(8, Duration.ofSeconds(30));
        Map<String, ConsumerRecord<byte[], byte[]>> byOrigin = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : dead) {
            assertEquals(BadRowsStackProfile.TOPIC, header(record, "dlq-source-topic"));
            assertEquals("0", header(record, "dlq-source-partition"));
            assertEquals("sink", header(record, "dlq-service"));
            String offset = header(record, "dlq-source-offset");
            assertEquals("k" + offset, new String(record.key(), StandardCharsets.UTF_8), "the original key");
            String rows = header(record, "dlq-rows");
            byOrigin.put(offset + (rows == null ? "" : "/" + rows), record);
        }
        assertEquals(8, byOrigin.size(), "one dead letter per bad row and per empty message: " + byOrigin.keySet());

        for (Sent s : sent) {
            for (Map.Entry<Integer, String> bad : s.badRows().entrySet()) {
                ConsumerRecord<byte[], byte[]> record = byOrigin.get(s.offset() + "/" + bad.getKey());
                assertNotNull(record, "dead letter of offset " + s.offset() + " row " + bad.getKey() + " in " + byOrigin.keySet());
                assertEquals(bad.getValue(), header(record, "dlq-reason"));
                assertEquals("1", header(record, "dlq-row-count"));
                assertTrue(header(record, "dlq-error").contains("message row " + bad.getKey()), header(record, "dlq-error"));
                assertBadRow(record.value(), s.firstSeedRow() + bad.getKey(), bad.getValue());
            }
        }
        ConsumerRecord<byte[], byte[]> tombstone = byOrigin.get("4");
        assertNotNull(tombstone, "the null message is dead-lettered: " + byOrigin.keySet());
        assertNull(tombstone.value(), "a null value stays null in the dead-letter topic");
        assertEquals("decode-tombstone", header(tombstone, "dlq-reason"));
        assertTrue(header(tombstone, "dlq-error").contains("null (tombstone) message"), header(tombstone, "dlq-error"));
        ConsumerRecord<byte[], byte[]> empty = byOrigin.get("5");
        assertNotNull(empty, "the empty message is dead-lettered: " + byOrigin.keySet());
        assertArrayEquals(new byte[0], empty.value());
        assertEquals("decode-empty", header(empty, "dlq-reason"));

        // Every offset is committed: each message's good rows are in ClickHouse and its bad rows in Kafka.
        await().alias("offsets committed").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> committedOffset() == values.length);

        String metrics = RestAssured.get("/q/metrics").then().statusCode(200).extract().asString();
        assertTrue(metrics.contains("sink_messages_empty_total{value=\"null\"} 1.0"), "tombstone metric");
        assertTrue(metrics.contains("sink_messages_empty_total{value=\"empty\"} 1.0"), "empty message metric");
        assertTrue(metrics.contains("sink_rows_dead_lettered_total{reason=\"row-invalid-utf8\"} 2.0"), "bad rows metric");
        assertTrue(metrics.contains("sink_rows_dead_lettered_total{reason=\"row-timestamp-out-of-range\"} 3.0"), "bad rows metric");
        assertEquals(expectedRows, count(), "nothing else arrived");
    }

    /**
     * 61 seed rows starting at seed row {@code first}; row {@code badRow} (if ≥ 0) gets {@code device}
     * and/or {@code tsMicros} instead of its seed values.
     */
    private static byte[] seedMessage(BufferAllocator allocator, int first, int badRow, byte[] device, Long tsMicros) {
        try (SeedBatchBuilder builder = new SeedBatchBuilder(allocator, ROWS)) {
            fill(builder, first, badRow, device, tsMicros);
            return builder.encodeAndReset(ArrowIpcEncoder.seedDefault());
        }
    }

    private static void fill(SeedBatchBuilder builder, int first, int badRow, byte[] device, Long tsMicros) {
        for (int i = 0; i < ROWS; i++) {
            SeedRows.Row row = SeedRows.expected(first + i);
            if (i == badRow) {
                builder.append(device != null ? device : row.device().getBytes(StandardCharsets.UTF_8),
                        tsMicros != null ? tsMicros : row.tsMicros(), 1f, 2f, 3f, 4f, 5);
            } else {
                builder.appendNullable(row.device(), row.tsMicros(), row.cpuUsed(), row.cpuFree(), row.memoryUsed(),
                        row.memoryFree(), row.runElapsedMs());
            }
        }
    }

    /**
     * Seed rows with the device column dictionary-encoded (a stream, lz4), one dictionary entry not UTF-8
     * (used by row 5) and row 6's timestamp in year 9999.
     */
    private static byte[] dictionaryMessage(BufferAllocator allocator, int first) {
        DictionaryEncoding encoding = new DictionaryEncoding(7, false, new ArrowType.Int(32, true));
        DictionaryProvider.MapDictionaryProvider provider = new DictionaryProvider.MapDictionaryProvider();
        try (SeedBatchBuilder builder = new SeedBatchBuilder(allocator, ROWS)) {
            fill(builder, first, 5, NOT_UTF8, null);
            VectorSchemaRoot seed = builder.view();
            ((TimeStampVector) seed.getVector("ts")).set(6, YEAR_9999_MICROS);
            VarCharVector devices = (VarCharVector) seed.getVector("device");
            Map<ByteBuffer, Integer> ids = new HashMap<>();
            List<byte[]> names = new ArrayList<>();
            try (IntVector indices = new IntVector(new Field("device", new FieldType(true, new ArrowType.Int(32, true), encoding), null), allocator);
                 VarCharVector dictionary = new VarCharVector("device-dictionary", allocator)) {
                indices.allocateNew(ROWS);
                for (int i = 0; i < ROWS; i++) {
                    byte[] name = devices.get(i);
                    indices.set(i, ids.computeIfAbsent(ByteBuffer.wrap(name), k -> {
                        names.add(name);
                        return names.size() - 1;
                    }));
                }
                indices.setValueCount(ROWS);
                dictionary.allocateNew(names.size());
                for (int id = 0; id < names.size(); id++) {
                    dictionary.setSafe(id, names.get(id));
                }
                dictionary.setValueCount(names.size());
                provider.put(new Dictionary(dictionary, encoding));
                List<FieldVector> vectors = new ArrayList<>(seed.getFieldVectors());
                vectors.set(0, indices);
                // Not closed: its vectors belong to the builder and to this method's try.
                VectorSchemaRoot root = new VectorSchemaRoot(vectors);
                root.setRowCount(ROWS);
                return new ArrowIpcEncoder(IpcFraming.STREAM, IpcCompression.LZ4_FRAME, 1).encode(root, provider);
            }
        }
    }

    /** Every good row is in ClickHouse once, with its own kafka_row, and no bad row is. */
    private static void assertGoodRowsExact(List<Sent> sent) {
        Map<Long, Sent> byOffset = new TreeMap<>();
        sent.forEach(s -> byOffset.put(s.offset(), s));
        StringBuilder expected = new StringBuilder();
        for (Sent s : byOffset.values()) {
            for (int row = 0; row < ROWS; row++) {
                if (!s.badRows().containsKey(row)) {
                    SeedRows.Row want = SeedRows.expected(s.firstSeedRow() + row);
                    expected.append(s.offset()).append('\t').append(row).append('\t').append(want.device()).append('\t')
                            .append(want.tsMicros()).append('\n');
                }
            }
        }
        assertEquals(expected.toString(), clickHouse.query("SELECT kafka_offset, kafka_row, device, ts_us FROM " + table()
                + " FINAL ORDER BY kafka_offset, kafka_row FORMAT TabSeparated"));
    }

    /** The dead letter is an Arrow message holding exactly the bad row, as it was sent. */
    private static void assertBadRow(byte[] value, int seedRow, String reason) {
        SeedRows.Row seed = SeedRows.expected(seedRow);
        List<byte[]> devices = new ArrayList<>();
        List<Long> timestamps = new ArrayList<>();
        new ArrowIpcDecoder(DecodeLimits.DEFAULT).decode(value, (batch, index) -> {
            StringColumn device = StringColumn.of(batch.getVector("device"));
            TimeStampVector ts = (TimeStampVector) batch.getVector("ts");
            for (int row = 0; row < batch.getRowCount(); row++) {
                devices.add(device.utf8(row));
                timestamps.add(ts.get(row));
            }
        });
        assertEquals(1, devices.size(), "one row in the dead letter");
        switch (reason) {
            case "row-timestamp-out-of-range" -> {
                assertTrue(timestamps.get(0) == YEAR_9999_MICROS || timestamps.get(0) == -1L, "ts " + timestamps.get(0));
                assertEquals(seed.device(), new String(devices.get(0), StandardCharsets.UTF_8));
            }
            case "row-nul-in-string" -> assertArrayEquals(NUL_DEVICE, devices.get(0));
            case "row-invalid-utf8" -> {
                assertArrayEquals(NOT_UTF8, devices.get(0));
                assertEquals(seed.tsMicros(), timestamps.get(0));
            }
            default -> throw new AssertionError(reason);
        }
    }

    private static long count() {
        try {
            return Long.parseLong(clickHouse.query("SELECT count() FROM " + table() + " FINAL").trim());
        } catch (RuntimeException e) {
            return -1; // table not created yet
        }
    }

    private static long committedOffset() throws Exception {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, LocalStackProfile.KAFKA);
        try (Admin admin = Admin.create(props)) {
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets("sink-badrows-" + BadRowsStackProfile.SUFFIX)
                    .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
            OffsetAndMetadata committed = offsets.get(new TopicPartition(BadRowsStackProfile.TOPIC, 0));
            return committed == null ? -1 : committed.offset();
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static List<ConsumerRecord<byte[], byte[]>> deadLetters(int atLeast, Duration timeout) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, LocalStackProfile.KAFKA);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            TopicPartition tp = new TopicPartition(BadRowsStackProfile.DLQ_TOPIC, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (records.size() < atLeast && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(records::add);
            }
            // Anything beyond what is expected (a dead letter sent twice) must show up too.
            consumer.poll(Duration.ofMillis(500)).forEach(records::add);
        }
        assertEquals(atLeast, records.size(), "dead letters");
        return records;
    }

    private static KafkaProducer<byte[], byte[]> producer() {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, LocalStackProfile.KAFKA);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return new KafkaProducer<>(props);
    }
}
