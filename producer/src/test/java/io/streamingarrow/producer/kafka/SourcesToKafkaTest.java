package io.streamingarrow.producer.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.streamingarrow.producer.fleet.SensorFleet;
import io.streamingarrow.shared.columns.NumericColumn;
import io.streamingarrow.shared.columns.StringColumn;
import io.streamingarrow.shared.columns.TimestampColumn;
import io.streamingarrow.shared.ipc.ArrowIpcDecoder;
import io.streamingarrow.shared.ipc.DecodeLimits;
import io.streamingarrow.shared.schema.SeedSchema;

/**
 * The two built-in sources to a real Kafka broker: the synthetic fleet's rows (a fixed count from a fixed
 * seed) arrive exactly once with the values the seed determines, and this host's OSHI samples arrive
 * under their configured device name with percentages that add up.
 */
@QuarkusTest
@QuarkusTestResource(value = KafkaTestTopic.class, restrictToAnnotatedClass = true)
@TestProfile(SourcesToKafkaTest.Profile.class)
class SourcesToKafkaTest {

    static final int DEVICES = 12;
    static final long SEED = 2024;
    static final int FLEET_ROWS = 600;
    /** A constant: the profile is read in Quarkus's class loader, where a random static would differ (the topic is unique). */
    static final String HOST_DEVICE = "host-under-test";

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "producer.fleet.enabled", "true",
                    "producer.fleet.devices", Integer.toString(DEVICES),
                    "producer.fleet.seed", Long.toString(SEED),
                    "producer.fleet.max-rows", Integer.toString(FLEET_ROWS),
                    "producer.fleet.rows-per-second", "2000",
                    "producer.host-metrics.enabled", "true",
                    "producer.host-metrics.device", HOST_DEVICE,
                    "producer.batching.max-rows", "50",
                    "producer.batching.linger", "100ms",
                    // Any free port: the packaged services of a running pipeline may hold 8080-8082.
                    "quarkus.http.test-port", "0");
        }
    }

    @ConfigProperty(name = "mp.messaging.outgoing.arrow-tables.topic")
    String topic;

    @Test
    void fleetRowsArriveOnceWithTheirSeededValuesAndHostSamplesArriveUnderTheHostDevice() {
        List<String> expectedFleet = new ArrayList<>();
        SensorFleet reference = new SensorFleet(DEVICES, SEED);
        for (int i = 0; i < FLEET_ROWS; i++) {
            reference.next((device, ts, cpuUsed, cpuFree, memoryUsed, memoryFree, elapsed) ->
                    expectedFleet.add(new String(device, StandardCharsets.UTF_8) + "@" + cpuUsed + "@" + memoryUsed), 0, 0);
        }

        List<String> fleetRows = new ArrayList<>();
        List<float[]> hostRows = new ArrayList<>();
        Map<String, Set<String>> keysByDevice = new HashMap<>();
        ArrowIpcDecoder decoder = new ArrowIpcDecoder(DecodeLimits.DEFAULT);
        long testStartMicros = System.currentTimeMillis() * 1000 - 60_000_000L;
        try (KafkaConsumer<String, byte[]> consumer = KafkaTestTopic.consumer()) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
            while ((fleetRows.size() < FLEET_ROWS || hostRows.size() < 2) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    decoder.decode(record.value(), (batch, index) -> {
                        StringColumn device = StringColumn.of(batch.getVector(SeedSchema.DEVICE));
                        TimestampColumn ts = TimestampColumn.of(batch.getVector(SeedSchema.TS));
                        NumericColumn cpuUsed = NumericColumn.of(batch.getVector(SeedSchema.CPU_USED));
                        NumericColumn cpuFree = NumericColumn.of(batch.getVector(SeedSchema.CPU_FREE));
                        NumericColumn memoryUsed = NumericColumn.of(batch.getVector(SeedSchema.MEMORY_USED));
                        NumericColumn memoryFree = NumericColumn.of(batch.getVector(SeedSchema.MEMORY_FREE));
                        NumericColumn elapsed = NumericColumn.of(batch.getVector(SeedSchema.RUN_ELAPSED_MS));
                        for (int row = 0; row < batch.getRowCount(); row++) {
                            String name = new String(device.utf8(row), StandardCharsets.UTF_8);
                            keysByDevice.computeIfAbsent(name, d -> new HashSet<>()).add(record.key());
                            assertTrue(ts.micros(row) > testStartMicros, "ts is now, in microseconds: " + ts.micros(row));
                            if (name.equals(HOST_DEVICE)) {
                                hostRows.add(new float[] {(float) cpuUsed.get(row), (float) cpuFree.get(row),
                                        (float) memoryUsed.get(row), (float) memoryFree.get(row), (float) elapsed.get(row)});
                            } else {
                                fleetRows.add(name + "@" + (float) cpuUsed.get(row) + "@" + (float) memoryUsed.get(row));
                            }
                        }
                    });
                }
            }
        }
        assertEquals(FLEET_ROWS, fleetRows.size(), "fleet rows on the topic (max-rows " + FLEET_ROWS + "), devices " + keysByDevice.keySet());
        assertEquals(new HashSet<>(expectedFleet), new HashSet<>(fleetRows), "the seed determines the values");
        assertEquals(DEVICES + 1, keysByDevice.size(), "the fleet's devices and this host");
        keysByDevice.forEach((device, keys) -> assertEquals(1, keys.size(), device + " under several keys " + keys));

        assertTrue(hostRows.size() >= 2, "host samples arrive every second, got " + hostRows.size());
        for (float[] sample : hostRows) {
            assertTrue(sample[0] >= 0 && sample[0] <= 100, "cpu_used " + sample[0]);
            assertEquals(100f, sample[0] + sample[1], 1e-3);
            assertTrue(sample[2] > 0 && sample[2] < 100, "memory_used " + sample[2]);
            assertEquals(100f, sample[2] + sample[3], 1e-3);
            assertTrue(sample[4] >= 0, "run_elapsed_ms " + sample[4]);
        }
    }

}
