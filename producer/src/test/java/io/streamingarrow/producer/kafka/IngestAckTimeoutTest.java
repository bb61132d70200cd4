package io.streamingarrow.producer.kafka;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * When Kafka does not answer at all (the producer points at a port nothing listens on), /ingest does not
 * hang: after producer.ingest.ack-timeout it answers 503, names the lines, and says they may still land.
 */
@QuarkusTest
@TestProfile(IngestAckTimeoutTest.Profile.class)
class IngestAckTimeoutTest {

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "kafka.bootstrap.servers", "127.0.0.1:" + deadPort(),
                    "mp.messaging.outgoing.arrow-tables.health-topic-verification-enabled", "false",
                    "mp.messaging.outgoing.arrow-tables.max.block.ms", "4000",
                    "producer.host-metrics.enabled", "false",
                    "producer.batching.linger", "60s",
                    "producer.batching.block-timeout", "1s",
                    "producer.ingest.ack-timeout", "1500ms",
                    "quarkus.http.test-port", "0");
        }

        /** A port that was free a moment ago: nothing answers there. */
        private static int deadPort() {
            try (ServerSocket socket = new ServerSocket(0)) {
                return socket.getLocalPort();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @Test
    void unacknowledgedEventsAreAnswered503AsPossiblyStoredAfterTheAckTimeout() {
        given().contentType("application/json")
                .body("[{\"device\":\"silent-a\",\"ts\":1},{\"device\":\"silent-b\",\"ts\":2},{\"device\":7}]")
                .when().post("/ingest")
                .then().statusCode(503)
                .body("accepted", equalTo(0))
                .body("notStored", equalTo(2))
                .body("rejected.line", equalTo(java.util.List.of(1)))
                .body("notStoredLines[0].mayStillBeStored", equalTo(true))
                .body("notStoredLines[0].reason", containsString("did not acknowledge within 1500 ms"));
    }
}
