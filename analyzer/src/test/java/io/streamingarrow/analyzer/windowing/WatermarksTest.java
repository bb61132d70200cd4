package io.streamingarrow.analyzer.windowing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class WatermarksTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void theSlowestActivePartitionHoldsTheWatermarkUntilItGoesIdle() {
        Watermarks watermarks = new Watermarks(500_000, 10 * SECOND, 1_000_000);
        assertEquals(Long.MIN_VALUE, watermarks.current(0), "no data yet");
        watermarks.observe(0, 10_000_000, 0);
        watermarks.observe(1, 4_000_000, 0);
        assertEquals(3_500_000, watermarks.current(SECOND), "min over partitions, minus lateness");
        watermarks.observe(0, 20_000_000, 9 * SECOND);
        assertEquals(3_500_000, watermarks.current(9 * SECOND));
        assertEquals(19_500_000, watermarks.current(11 * SECOND), "partition 1 idle: no longer holds it back");
        assertEquals(21_000_000, watermarks.current(30 * SECOND), "all idle: the last windows close");
        watermarks.forget(0);
        assertEquals(5_000_000, watermarks.current(30 * SECOND));
    }

    @Test
    void anAssignedPartitionWithoutDataHoldsTheWatermarkUntilIdle() {
        Watermarks watermarks = new Watermarks(500_000, 10 * SECOND, 1_000_000);
        watermarks.assign(0, 0);
        watermarks.assign(1, 0);
        watermarks.observe(0, 10_000_000, SECOND);
        assertEquals(Long.MIN_VALUE, watermarks.current(2 * SECOND), "partition 1 may still send older events");
        watermarks.observe(1, 8_000_000, 3 * SECOND);
        assertEquals(7_500_000, watermarks.current(3 * SECOND));
        Watermarks quiet = new Watermarks(500_000, 10 * SECOND, 1_000_000);
        quiet.assign(0, 0);
        quiet.assign(1, 0);
        quiet.observe(0, 10_000_000, 5 * SECOND);
        assertEquals(9_500_000, quiet.current(11 * SECOND), "partition 1 never spoke and went idle");
    }
}
