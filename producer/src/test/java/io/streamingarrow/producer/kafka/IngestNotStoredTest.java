package io.streamingarrow.producer.kafka;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;

/**
 * When the real Kafka refuses the batches (a topic name it does not accept), /ingest answers 503 and names
 * every valid line as not stored, once: none is also counted accepted or rejected.
 */
@QuarkusTest
@TestProfile(IngestNotStoredTest.Profile.class)
class IngestNotStoredTest {

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "kafka.bootstrap.servers", KafkaTestTopic.BOOTSTRAP,
                    "mp.messaging.outgoing.arrow-tables.topic", "no such topic: spaces are illegal",
                    "mp.messaging.outgoing.arrow-tables.health-topic-verification-enabled", "false",
                    "mp.messaging.outgoing.arrow-tables.max.block.ms", "5000",
                    "producer.host-metrics.enabled", "false",
                    "producer.batching.linger", "60s",
                    "producer.batching.block-timeout", "2s",
                    "producer.ingest.ack-timeout", "20s",
                    "quarkus.http.test-port", "0");
        }
    }

    @Test
    void refusedBatchesAreAnswered503WithEveryValidLineNamedOnce() {
        String body = """
                {"device":"refused-a","ts":1767225600000001}
                {"device":"refused-b","ts":1767225600000002}
                {"device":"","ts":1}
                {"device":"refused-a","ts":1767225600000004}
                {"device":"refused-c","ts":1767225600000005}
                """;
        for (int attempt = 0; attempt < 2; attempt++) { // the producer keeps answering after a refusal
            JsonPath answer = given().contentType("application/x-ndjson").body(body.getBytes(StandardCharsets.UTF_8))
                    .when().post("/ingest")
                    .then().statusCode(503)
                    .header("Retry-After", equalTo("1"))
                    .body("accepted", equalTo(0))
                    .body("notStored", equalTo(4))
                    .body("error", containsString("not stored"))
                    .body("rejected.line", equalTo(List.of(3)))
                    .extract().jsonPath();
            List<Map<String, Object>> runs = answer.getList("notStoredLines");
            Set<Integer> named = new HashSet<>();
            int events = 0;
            for (Map<String, Object> run : runs) {
                for (int line = (Integer) run.get("fromLine"); line <= (Integer) run.get("toLine"); line++) {
                    assertTrue(named.add(line), "line " + line + " named twice");
                }
                events += (Integer) run.get("events");
                assertEquals(false, run.get("mayStillBeStored"), "Kafka answered: refused, not pending");
                assertTrue(((String) run.get("reason")).contains("Kafka did not store the batch"), (String) run.get("reason"));
            }
            assertEquals(Set.of(1, 2, 4, 5), named);
            assertEquals(4, events);
            assertFalse(named.contains(3), "a rejected line is not also not-stored");
        }
        given().when().get("/q/metrics").then().statusCode(200)
                .body(containsString("producer_ingest_pending_requests 0.0"))
                .body(containsString("producer_rows_rejected_total{reason=\"not-stored\",source=\"http\"} 8.0"));
    }
}
