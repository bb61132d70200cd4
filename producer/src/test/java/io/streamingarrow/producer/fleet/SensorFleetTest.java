package io.streamingarrow.producer.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class SensorFleetTest {

    private static List<String> generate(long seed, int rows) {
        SensorFleet fleet = new SensorFleet(5, seed);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            fleet.next((device, ts, cpuUsed, cpuFree, memoryUsed, memoryFree, elapsed) -> {
                assertTrue(cpuUsed >= 0 && cpuUsed <= 100);
                assertEquals(100f, cpuUsed + cpuFree, 1e-3);
                return out.add(new String(device, StandardCharsets.UTF_8) + ":" + cpuUsed + ":" + memoryUsed);
            }, 0, 0);
        }
        return out;
    }

    @Test
    void theSameSeedGivesTheSameRowsAndAnotherSeedDoesNot() {
        assertEquals(generate(42, 500), generate(42, 500));
        assertNotEquals(generate(42, 500), generate(43, 500));
    }

    @Test
    void rowsGoRoundRobinOverTheDevices() {
        List<String> rows = generate(1, 10);
        assertTrue(rows.get(0).startsWith("sensor-0000:"));
        assertTrue(rows.get(4).startsWith("sensor-0004:"));
        assertTrue(rows.get(5).startsWith("sensor-0000:"));
    }

    @Test
    void aRefusedRowIsNotCountedAndIsOfferedAgain() {
        SensorFleet fleet = new SensorFleet(3, 7);
        assertFalse(fleet.next((d, ts, a, b, c, e, f) -> false, 0, 0));
        assertEquals(0, fleet.generated());
        List<String> devices = new ArrayList<>();
        fleet.next((d, ts, a, b, c, e, f) -> devices.add(new String(d, StandardCharsets.UTF_8)), 0, 0);
        assertEquals(List.of("sensor-0000"), devices);
    }

    @Test
    void pacingReleasesRowsInProportionToElapsedTime() {
        assertEquals(0, SensorFleet.rowsDue(1000, 0, 0, 0));
        assertEquals(500, SensorFleet.rowsDue(1000, 0, 500_000_000L, 0));
        assertEquals(200, SensorFleet.rowsDue(1000, 0, 500_000_000L, 300));
        assertEquals(0, SensorFleet.rowsDue(1000, 0, 500_000_000L, 900), "ahead of schedule: nothing due");
    }
}
