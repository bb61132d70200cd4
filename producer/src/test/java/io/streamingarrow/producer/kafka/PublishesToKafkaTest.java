package io.streamingarrow.producer.kafka;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.streamingarrow.shared.columns.NumericColumn;
import io.streamingarrow.shared.columns.StringColumn;
import io.streamingarrow.shared.columns.TimestampColumn;
import io.streamingarrow.shared.ipc.ArrowIpcDecoder;
import io.streamingarrow.shared.ipc.DecodeLimits;
import io.streamingarrow.shared.schema.SeedSchema;

/**
 * HTTP ingest to a real Kafka broker: the accepted events arrive on the topic exactly once, as Arrow IPC
 * files with the contract's headers, each device's rows under one key and in one partition.
 */
@QuarkusTest
@QuarkusTestResource(value = KafkaTestTopic.class, restrictToAnnotatedClass = true)
@TestProfile(PublishesToKafkaTest.Profile.class)
class PublishesToKafkaTest {

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "producer.host-metrics.enabled", "false",
                    "producer.ingest.token", "test-token",
                    "producer.ingest.max-body-bytes", "200000",
                    "producer.batching.max-rows", "40",
                    "producer.batching.linger", "100ms",
                    // Any free port: the packaged services of a running pipeline may hold 8080-8082.
                    "quarkus.http.test-port", "0");
        }
    }

    @ConfigProperty(name = "mp.messaging.outgoing.arrow-tables.topic")
    String topic;

    private static final int DEVICES = 7;
    private static final int EVENTS = 300;

    @Test
    void acceptedEventsLandOnTheTopicOnceWithHeadersAndOneKeyPerDevice() {
        StringBuilder body = new StringBuilder();
        Set<String> sent = new HashSet<>();
        for (int i = 0; i < EVENTS; i++) {
            String device = "dev-" + (i % DEVICES) + (i % DEVICES == 3 ? "-ü" : "");
            long ts = 1_767_225_600_000_000L + i * 1000L + 7;
            body.append("{\"device\":\"").append(device).append("\",\"ts\":").append(ts)
                    .append(",\"cpu_used\":").append(i % 100).append(".5,\"memory_used\":40}\n");
            sent.add(device + "@" + ts + "@" + (i % 100 + 0.5));
            if (i == 10) {
                body.append("{\"device\":42}\n"); // line 12: rejected, the rest still lands
            }
        }
        given().header("Authorization", "Bearer test-token").contentType("application/x-ndjson")
                .body(body.toString().getBytes(StandardCharsets.UTF_8))
                .when().post("/ingest")
                .then().statusCode(200)
                .body("accepted", equalTo(EVENTS))
                .body("rejected", hasSize(1))
                .body("rejected[0].line", equalTo(12))
                .body("rejected[0].reason", containsString("device"));

        List<String> received = new ArrayList<>();
        Map<String, Set<String>> keysByDevice = new HashMap<>();
        Map<String, Set<Integer>> partitionsByDevice = new HashMap<>();
        ArrowIpcDecoder decoder = new ArrowIpcDecoder(DecodeLimits.DEFAULT);
        try (KafkaConsumer<String, byte[]> consumer = KafkaTestTopic.consumer()) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (received.size() < EVENTS && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    assertEquals("application/vnd.apache.arrow.file", header(record, "content-type"));
                    assertEquals(SeedSchema.FINGERPRINT, header(record, "arrow-schema-fingerprint"));
                    assertNotNull(header(record, "producer-id"));
                    assertTrue(Long.parseLong(header(record, "batch-seq")) > 0);
                    assertEquals(batchRowsByStandardFileReader(record.value()), Integer.parseInt(header(record, "arrow-rows")),
                            "Arrow's own ArrowFileReader opens the message");
                    int rowsBefore = received.size();
                    decoder.decode(record.value(), (batch, index) -> {
                        StringColumn device = StringColumn.of(batch.getVector(SeedSchema.DEVICE));
                        TimestampColumn ts = TimestampColumn.of(batch.getVector(SeedSchema.TS));
                        NumericColumn cpu = NumericColumn.of(batch.getVector(SeedSchema.CPU_USED));
                        NumericColumn memoryFree = NumericColumn.of(batch.getVector(SeedSchema.MEMORY_FREE));
                        for (int row = 0; row < batch.getRowCount(); row++) {
                            String name = new String(device.utf8(row), StandardCharsets.UTF_8);
                            received.add(name + "@" + ts.micros(row) + "@" + cpu.get(row));
                            assertTrue(memoryFree.isNull(row), "absent measures are nulls");
                            keysByDevice.computeIfAbsent(name, d -> new HashSet<>()).add(record.key());
                            partitionsByDevice.computeIfAbsent(name, d -> new HashSet<>()).add(record.partition());
                        }
                    });
                    assertEquals(Integer.parseInt(header(record, "arrow-rows")), received.size() - rowsBefore);
                }
            }
            // Nothing more may come: every accepted event exactly once.
            consumer.poll(Duration.ofSeconds(1)).forEach(r -> received.add("extra message at offset " + r.offset()));
        }
        assertEquals(EVENTS, received.size(), "rows on the topic");
        assertEquals(sent, new HashSet<>(received));
        assertEquals(DEVICES, keysByDevice.size());
        keysByDevice.forEach((device, keys) -> assertEquals(1, keys.size(), device + " under several keys " + keys));
        partitionsByDevice.forEach((device, partitions) -> assertEquals(1, partitions.size(), device + " in several partitions"));
    }

    @Test
    void refusesWithoutTheTokenAndOverTheBodyLimit() {
        given().contentType("application/json").body("[{\"device\":\"a\"}]")
                .when().post("/ingest")
                .then().statusCode(401);
        given().header("Authorization", "Bearer test-token").contentType("application/json")
                .body("[" + "{\"device\":\"a\"},".repeat(20_000) + "{\"device\":\"a\"}]")
                .when().post("/ingest")
                .then().statusCode(413);
        given().header("Authorization", "Bearer test-token").contentType("application/json").body("[{\"dev\":\"a\"}]")
                .when().post("/ingest")
                .then().statusCode(400).body("accepted", equalTo(0));
    }

    @Test
    void readinessReportsTheKafkaConnection() {
        given().when().get("/q/health/ready").then().statusCode(200).body(containsString("UP"));
        given().when().get("/q/metrics").then().statusCode(200).body(containsString("producer_batches_inflight"));
    }

    /** Rows as read by Arrow Java's standard file reader, independent of our decoder. */
    private static int batchRowsByStandardFileReader(byte[] message) {
        try (org.apache.arrow.memory.BufferAllocator allocator = new org.apache.arrow.memory.RootAllocator();
             org.apache.arrow.vector.ipc.ArrowFileReader reader = new org.apache.arrow.vector.ipc.ArrowFileReader(
                     new org.apache.arrow.vector.util.ByteArrayReadableSeekableByteChannel(message), allocator,
                     org.apache.arrow.compression.CommonsCompressionFactory.INSTANCE)) {
            int rows = 0;
            assertEquals(SeedSchema.SCHEMA, reader.getVectorSchemaRoot().getSchema());
            while (reader.loadNextBatch()) {
                rows += reader.getVectorSchemaRoot().getRowCount();
            }
            return rows;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String header(ConsumerRecord<?, ?> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

}
