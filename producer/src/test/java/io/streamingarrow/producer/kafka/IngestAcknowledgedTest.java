package io.streamingarrow.producer.kafka;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.streamingarrow.shared.columns.StringColumn;
import io.streamingarrow.shared.columns.TimestampColumn;
import io.streamingarrow.shared.ipc.ArrowIpcDecoder;
import io.streamingarrow.shared.ipc.DecodeLimits;
import io.streamingarrow.shared.schema.SeedSchema;

/**
 * A 200 from POST /ingest means the events are in Kafka: with a linger of a minute, the rows are on the
 * topic (below its high watermark, readable) the moment the answer arrives. Hostile lines are rejected
 * one by one and the valid lines of the same body land.
 */
@QuarkusTest
@QuarkusTestResource(value = KafkaTestTopic.class, restrictToAnnotatedClass = true)
@TestProfile(IngestAcknowledgedTest.Profile.class)
class IngestAcknowledgedTest {

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "producer.host-metrics.enabled", "false",
                    // Nothing but a requested flush can send these rows within the test.
                    "producer.batching.linger", "60s",
                    "producer.batching.max-rows", "8192",
                    "quarkus.http.test-port", "0");
        }
    }

    @ConfigProperty(name = "mp.messaging.outgoing.arrow-tables.topic")
    String topic;

    @Test
    void whenIngestAnswers200TheRowsAreAlreadyReadableInKafka() {
        StringBuilder body = new StringBuilder();
        Set<String> sent = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            long ts = 1_767_225_600_000_000L + i;
            body.append("{\"device\":\"acked-").append(i % 9).append("\",\"ts\":").append(ts).append(",\"cpu_used\":1}\n");
            sent.add("acked-" + (i % 9) + "@" + ts);
        }
        try (KafkaConsumer<String, byte[]> consumer = KafkaTestTopic.consumer()) {
            List<TopicPartition> partitions = partitions(consumer);
            given().contentType("application/x-ndjson").body(body.toString().getBytes(StandardCharsets.UTF_8))
                    .when().post("/ingest")
                    .then().statusCode(200).body("accepted", equalTo(500));
            // At once: the end offsets are the high watermark, below which records are acknowledged and readable.
            long start = partitions.stream().mapToLong(consumer::position).sum();
            long end = consumer.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
            assertEquals(true, end > start, "the 200 came before the rows were in Kafka");
            assertEquals(sent, new HashSet<>(readAll(consumer, partitions, 500)));
        }
    }

    @Test
    void hostileLinesAreRejectedOneByOneAndTheValidLinesLand() {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        line(body, "{\"device\":\"hostile-ok-1\",\"ts\":1767225600000001}");
        line(body, "{\"device\":\"hostile-neg\",\"ts\":-1}");
        line(body, "{\"device\":\"hostile-y9999\",\"ts\":\"9999-01-01T00:00:00Z\"}");
        line(body, "{\"device\":\"hostile-nul\\u0000\",\"ts\":1767225600000002}");
        body.writeBytes("{\"device\":\"hostile-caf".getBytes(StandardCharsets.UTF_8));
        body.write(0xE9); // Latin-1 é: malformed UTF-8
        line(body, "\",\"ts\":1767225600000003}");
        line(body, "{\"device\":\"hostile-ok-2\",\"ts\":1767225600000004}");
        try (KafkaConsumer<String, byte[]> consumer = KafkaTestTopic.consumer()) {
            List<TopicPartition> partitions = partitions(consumer);
            Response response = given().contentType("application/x-ndjson").body(body.toByteArray())
                    .when().post("/ingest");
            response.then().statusCode(200).body("accepted", equalTo(2))
                    .body("rejected.line", equalTo(List.of(2, 3, 4, 5)));
            List<String> reasons = response.jsonPath().getList("rejected.reason");
            assertEquals(true, reasons.get(0).contains("outside what the stores hold"), reasons.get(0));
            assertEquals(true, reasons.get(1).contains("outside what the stores hold"), reasons.get(1));
            assertEquals(true, reasons.get(2).contains("U+0000"), reasons.get(2));
            assertEquals(true, reasons.get(3).contains("not valid UTF-8"), reasons.get(3));
            List<String> rows = readAll(consumer, partitions, 2).stream().filter(r -> r.startsWith("hostile-")).toList();
            assertEquals(Set.of("hostile-ok-1@1767225600000001", "hostile-ok-2@1767225600000004"), new HashSet<>(rows));
        }
    }

    private static void line(ByteArrayOutputStream out, String text) {
        out.writeBytes(text.getBytes(StandardCharsets.UTF_8));
        out.write('\n');
    }

    private List<TopicPartition> partitions(KafkaConsumer<String, byte[]> consumer) {
        List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position); // fix the start before the request: only its rows are read
        return partitions;
    }

    /** Reads the rows after the assigned positions until {@code expected} arrived, and a little longer for extras. */
    private static List<String> readAll(KafkaConsumer<String, byte[]> consumer, List<TopicPartition> partitions, int expected) {
        List<String> rows = new ArrayList<>();
        ArrowIpcDecoder decoder = new ArrowIpcDecoder(DecodeLimits.DEFAULT);
        await().atMost(Duration.ofSeconds(10)).pollDelay(Duration.ZERO).until(() -> {
            consumer.poll(Duration.ofMillis(200)).forEach(record -> decoder.decode(record.value(), (batch, index) -> {
                StringColumn device = StringColumn.of(batch.getVector(SeedSchema.DEVICE));
                TimestampColumn ts = TimestampColumn.of(batch.getVector(SeedSchema.TS));
                for (int row = 0; row < batch.getRowCount(); row++) {
                    rows.add(new String(device.utf8(row), StandardCharsets.UTF_8) + "@" + ts.micros(row));
                }
            }));
            return rows.size() >= expected;
        });
        assertEquals(expected, rows.size(), "no row twice");
        return rows;
    }
}
