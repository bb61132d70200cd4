package io.streamingarrow.sink.consuming;

import static org.awaitility.Awaitility.await;

import org.awaitility.core.ConditionTimeoutException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.BooleanSupplier;

import jakarta.inject.Inject;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
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
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.streamingarrow.shared.batch.SeedBatchBuilder;
import io.streamingarrow.shared.ipc.ArrowIpcEncoder;
import io.streamingarrow.shared.ipc.IpcCompression;
import io.streamingarrow.shared.ipc.IpcFraming;
import io.streamingarrow.shared.testing.DeviceEncoding;
import io.streamingarrow.shared.testing.SeedRows;
import io.streamingarrow.sink.clickhouse.Identifiers;
import io.streamingarrow.sink.clickhouse.LocalClickHouse;

/**
 * The whole sink against the local stack's real Kafka and ClickHouse: Arrow messages in every framing,
 * codec and string encoding land exactly once (as seen through FINAL), a corrupt message and a message
 * with a null key column go to the dead-letter topic with their reasons while their neighbours land,
 * and a forced redelivery of every offset leaves no visible duplicate.
 */
@QuarkusTest
@TestProfile(LocalStackProfile.class)
class SinkEndToEndTest {

    private static final int ROWS_PER_MESSAGE = 1000;
    private static final String EXTRA_DEVICE = "extra-column-dev";

    @Inject
    KafkaClientService kafkaClients;

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
        return Identifiers.table(LocalClickHouse.DATABASE, LocalStackProfile.TABLE);
    }

    private record Sent(byte[] value, byte[] key, int firstRow) {
    }

    @Test
    void messagesLandExactlyOnceAndPoisonGoesToTheDeadLetterTopic() throws Exception {
        List<Sent> valid = new ArrayList<>();
        byte[] corrupt = "this is not Arrow IPC at all".getBytes(StandardCharsets.UTF_8);
        byte[] nullDevice;
        try (BufferAllocator allocator = new RootAllocator()) {
            int first = 0;
            for (DeviceEncoding encoding : DeviceEncoding.values()) {
                for (IpcFraming framing : IpcFraming.values()) {
                    IpcCompression compression = IpcCompression.values()[(first / ROWS_PER_MESSAGE) % IpcCompression.values().length];
                    valid.add(new Sent(encode(allocator, encoding, framing, compression, first), ("k" + first).getBytes(StandardCharsets.UTF_8), first));
                    first += ROWS_PER_MESSAGE;
                }
            }
            try (SeedBatchBuilder builder = new SeedBatchBuilder(allocator, 4)) {
                builder.appendNullable("ok", SeedRows.BASE_TS_MICROS, 1f, 2f, 3f, 4f, 5);
                builder.appendNullable("to-be-null", SeedRows.BASE_TS_MICROS, 1f, 2f, 3f, 4f, 5);
                ((org.apache.arrow.vector.VarCharVector) builder.view().getVector("device")).setNull(1);
                nullDevice = builder.encodeAndReset(ArrowIpcEncoder.seedDefault());
            }
        }
        byte[] mismatch;
        byte[] extraColumn;
        try (BufferAllocator allocator = new RootAllocator()) {
            mismatch = foreignMessage(allocator, "mismatch-dev", true, false);
            extraColumn = foreignMessage(allocator, EXTRA_DEVICE, false, true);
        }
        Map<Integer, Integer> firstRowByOffset = new HashMap<>();
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            for (int i = 0; i < valid.size(); i++) {
                Sent s = valid.get(i);
                long offset = producer.send(new ProducerRecord<>(LocalStackProfile.TOPIC, 0, s.key(), s.value())).get().offset();
                firstRowByOffset.put((int) offset, s.firstRow());
                if (i == 2) {
                    producer.send(new ProducerRecord<>(LocalStackProfile.TOPIC, 0, "poison".getBytes(StandardCharsets.UTF_8), corrupt)).get();
                }
                if (i == 5) {
                    producer.send(new ProducerRecord<>(LocalStackProfile.TOPIC, 0, null, nullDevice)).get();
                    producer.send(new ProducerRecord<>(LocalStackProfile.TOPIC, 0, null, mismatch)).get();
                    producer.send(new ProducerRecord<>(LocalStackProfile.TOPIC, 0, null, extraColumn)).get();
                }
            }
        }
        long expectedRows = (long) valid.size() * ROWS_PER_MESSAGE;

        awaitTrue("all rows in ClickHouse", Duration.ofSeconds(60), () -> count(true) == expectedRows + 2);
        List<ConsumerRecord<byte[], byte[]>> dead = awaitDeadLetters(3, Duration.ofSeconds(30));
        assertEquals("2\n", clickHouse.query("SELECT count() FROM " + table() + " FINAL WHERE device = '" + EXTRA_DEVICE + "'"));
        assertEquals(expectedRows + 2, count(true));
        assertRowsExact(firstRowByOffset, expectedRows);

        Map<String, ConsumerRecord<byte[], byte[]>> byReason = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : dead) {
            String reason = header(record, "dlq-reason");
            byReason.put(reason.startsWith("decode-") ? "decode" : reason, record);
        }
        ConsumerRecord<byte[], byte[]> poison = byReason.get("decode");
        assertTrue(poison != null, "corrupt message dead-lettered with a decode-* reason, got " + byReason.keySet());
        assertEquals(new String(corrupt, StandardCharsets.UTF_8), new String(poison.value(), StandardCharsets.UTF_8));
        assertEquals("poison", new String(poison.key(), StandardCharsets.UTF_8));
        assertEquals(LocalStackProfile.TOPIC, header(poison, "dlq-source-topic"));
        assertEquals("0", header(poison, "dlq-source-partition"));
        assertEquals("3", header(poison, "dlq-source-offset"));
        assertEquals("sink", header(poison, "dlq-service"));
        ConsumerRecord<byte[], byte[]> nulls = byReason.get("null-in-non-nullable");
        assertTrue(nulls != null, "null device dead-lettered as null-in-non-nullable, got " + byReason.keySet());
        assertTrue(java.util.Arrays.equals(nullDevice, nulls.value()), "dead letter holds the original bytes");
        assertTrue(header(nulls, "dlq-error").contains("device"), header(nulls, "dlq-error"));
        ConsumerRecord<byte[], byte[]> refused = byReason.get("schema-mismatch");
        assertTrue(refused != null, "Float64 into a Float32 column refused as schema-mismatch, got " + byReason.keySet());
        assertTrue(header(refused, "dlq-error").contains("cpu_used"), header(refused, "dlq-error"));
        assertEquals("Ok.\n", clickHouse.query("SELECT 'Ok.'"), "ClickHouse still up");

        // Forced redelivery: seek back to the start; every row is inserted a second time with the same key.
        double insertedBefore = insertedRows();
        kafkaClients.getConsumer("arrow-tables").runOnPollingThread(c -> {
            c.seekToBeginning(c.assignment());
        }).await().atMost(Duration.ofSeconds(10));
        awaitTrue("redelivered rows inserted again", Duration.ofSeconds(60), () -> insertedRows() >= insertedBefore + expectedRows);
        assertEquals(expectedRows + 2, count(true), "no visible duplicate through FINAL");
        clickHouse.query("OPTIMIZE TABLE " + table() + " FINAL");
        assertEquals(expectedRows + 2, count(false), "merges collapse the repeats");
        assertRowsExact(firstRowByOffset, expectedRows);

        RestAssured.get("/q/health/ready").then().statusCode(200);
        String metrics = RestAssured.get("/q/metrics").then().statusCode(200).extract().asString();
        assertTrue(metrics.contains("sink_dead_letters_total{reason=\"null-in-non-nullable\"}"), "dead-letter metric");
        assertTrue(metrics.contains("sink_rows_inserted_total"), "rows metric");
        assertTrue(metrics.contains("sink_extra_columns_total{column=\"firmware\"}"), "extra column metric");
    }

    private static byte[] encode(BufferAllocator allocator, DeviceEncoding encoding, IpcFraming framing, IpcCompression compression, int first) {
        DictionaryProvider.MapDictionaryProvider dictionaries = new DictionaryProvider.MapDictionaryProvider();
        try (VectorSchemaRoot first600 = encoding.create(allocator, first, first + 600, dictionaries);
             VectorSchemaRoot rest = encoding.create(allocator, first + 600, first + ROWS_PER_MESSAGE, dictionaries)) {
            return new ArrowIpcEncoder(framing, compression, 1).encode(allocator, first600.getSchema(), List.of(first600, rest), dictionaries);
        } finally {
            for (long id : dictionaries.getDictionaryIds()) {
                dictionaries.lookup(id).getVector().close();
            }
        }
    }

    /** Two rows not of the seed's shape: cpu_used as Float64 (mismatch) or an extra 'firmware' column. */
    private static byte[] foreignMessage(BufferAllocator allocator, String device, boolean float64, boolean extra) {
        List<org.apache.arrow.vector.FieldVector> vectors = new ArrayList<>();
        org.apache.arrow.vector.VarCharVector d = new org.apache.arrow.vector.VarCharVector("device", allocator);
        org.apache.arrow.vector.TimeStampMicroVector ts = new org.apache.arrow.vector.TimeStampMicroVector("ts", allocator);
        d.allocateNew();
        ts.allocateNew(2);
        vectors.add(d);
        vectors.add(ts);
        org.apache.arrow.vector.FieldVector cpu = float64 ? new org.apache.arrow.vector.Float8Vector("cpu_used", allocator)
                : new org.apache.arrow.vector.Float4Vector("cpu_used", allocator);
        cpu.allocateNew();
        vectors.add(cpu);
        org.apache.arrow.vector.VarCharVector firmware = new org.apache.arrow.vector.VarCharVector("firmware", allocator);
        if (extra) {
            firmware.allocateNew();
            vectors.add(firmware);
        }
        for (int i = 0; i < 2; i++) {
            d.setSafe(i, device.getBytes(StandardCharsets.UTF_8));
            ts.set(i, SeedRows.BASE_TS_MICROS + i);
            if (cpu instanceof org.apache.arrow.vector.Float8Vector f8) {
                f8.setSafe(i, 0.5);
            } else {
                ((org.apache.arrow.vector.Float4Vector) cpu).setSafe(i, 0.5f);
            }
            if (extra) {
                firmware.setSafe(i, "1.2.3".getBytes(StandardCharsets.UTF_8));
            }
        }
        try (VectorSchemaRoot root = new VectorSchemaRoot(vectors); firmware) {
            root.setRowCount(2);
            return ArrowIpcEncoder.seedDefault().encode(root);
        }
    }

    private static long count(boolean fin) {
        try {
            return Long.parseLong(clickHouse.query("SELECT count() FROM " + table() + (fin ? " FINAL" : "")).trim());
        } catch (RuntimeException e) {
            return -1; // table not created yet
        }
    }

    /** Every stored row equals the seed row it came from, floats bit for bit and ts to the microsecond. */
    private static void assertRowsExact(Map<Integer, Integer> firstRowByOffset, long expectedRows) {
        byte[] bytes = LocalClickHouse.await(clickHouse.http().queryBytes("SELECT kafka_offset, kafka_row, device, ts_us, toUnixTimestamp(ts), "
                + "cpu_used, cpu_free, memory_used, memory_free, run_elapsed_ms FROM " + table()
                + " FINAL WHERE device != '" + EXTRA_DEVICE + "' ORDER BY kafka_offset, kafka_row FORMAT RowBinary"));
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long rows = 0;
        while (in.hasRemaining()) {
            long offset = in.getLong();
            long row = in.getInt() & 0xFFFFFFFFL;
            SeedRows.Row want = SeedRows.expected(firstRowByOffset.get((int) offset) + (int) row);
            String where = "offset " + offset + " row " + row;
            byte[] device = new byte[(int) readVarUInt(in)];
            in.get(device);
            assertEquals(want.device(), new String(device, StandardCharsets.UTF_8), where);
            assertEquals(want.tsMicros(), in.getLong(), where + " ts_us");
            assertEquals(Math.floorDiv(want.tsMicros(), 1_000_000L), in.getInt() & 0xFFFFFFFFL, where + " ts");
            assertFloat(want.cpuUsed(), in, where + " cpu_used");
            assertFloat(want.cpuFree(), in, where + " cpu_free");
            assertFloat(want.memoryUsed(), in, where + " memory_used");
            assertFloat(want.memoryFree(), in, where + " memory_free");
            Integer elapsed = in.get() == 1 ? null : in.getInt();
            assertEquals(want.runElapsedMs(), elapsed, where + " run_elapsed_ms");
            rows++;
        }
        assertEquals(expectedRows, rows);
    }

    private static void assertFloat(Float want, ByteBuffer in, String where) {
        Integer got = in.get() == 1 ? null : in.getInt();
        assertEquals(want == null ? null : Float.floatToRawIntBits(want), got, where);
    }

    private static long readVarUInt(ByteBuffer in) {
        long value = 0;
        for (int shift = 0; ; shift += 7) {
            byte b = in.get();
            value |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
    }

    private static double insertedRows() {
        String metrics = RestAssured.get("/q/metrics").then().extract().asString();
        for (String line : metrics.split("\n")) {
            if (line.startsWith("sink_rows_inserted_total")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static List<ConsumerRecord<byte[], byte[]>> awaitDeadLetters(int atLeast, Duration timeout) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, LocalStackProfile.KAFKA);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            TopicPartition tp = new TopicPartition(LocalStackProfile.DLQ_TOPIC, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (records.size() < atLeast && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(records::add);
            }
        }
        assertTrue(records.size() >= atLeast, "expected " + atLeast + " dead letters, got " + records.size());
        return records;
    }

    private static KafkaProducer<byte[], byte[]> producer() {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, LocalStackProfile.KAFKA);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, "16777216");
        return new KafkaProducer<>(props);
    }

    private static void awaitTrue(String what, Duration timeout, BooleanSupplier condition) {
        try {
            await().alias(what).atMost(timeout).pollInterval(Duration.ofMillis(200)).until(condition::getAsBoolean);
        } catch (ConditionTimeoutException e) {
            // Where the sink's threads stand is what tells a hang from a slow server.
            StringBuilder dump = new StringBuilder();
            Thread.getAllStackTraces().forEach((t, stack) -> {
                if (t.getName().startsWith("sink-") || t.getName().contains("kafka-consumer")) {
                    dump.append(t.getName()).append('\n');
                    for (StackTraceElement element : stack) {
                        dump.append("    ").append(element).append('\n');
                    }
                }
            });
            throw new AssertionError("timed out waiting for " + what + "\n" + dump, e);
        }
    }
}
