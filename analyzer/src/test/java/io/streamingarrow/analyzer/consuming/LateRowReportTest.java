package io.streamingarrow.analyzer.consuming;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

/** Late rows show in the log as one line per interval with their counts per window, not a line per row. */
class LateRowReportTest {

    private static final long SECOND = 1_000_000_000L;
    private static final long WINDOW = 10_000_000L; // 10 s in µs
    private static final long START = 1_767_225_600_000_000L; // 2026-01-01T00:00:00Z

    @Test
    void countsPerWindowAtMostOncePerInterval() {
        LateRowReport report = new LateRowReport(10 * SECOND, WINDOW);
        assertNull(report.take(0, false), "nothing late, nothing said");
        report.add(Map.of(START, new long[] {3}, START + WINDOW, new long[] {4}));
        assertEquals("7 rows arrived after their window had closed (not counted in any window) in 2 windows:"
                + " 2026-01-01T00:00:00Z+10000ms=3 2026-01-01T00:00:10Z+10000ms=4", report.take(SECOND, false));
        report.add(Map.of(START, new long[] {1}));
        assertNull(report.take(5 * SECOND, false), "within the interval: gathered, not said");
        report.add(Map.of(START, new long[] {2}));
        String line = report.take(11 * SECOND, true);
        assertTrue(line.startsWith("3 rows arrived after their window had closed (merged into the stored window as a"
                + " correction) in 1 window: 2026-01-01T00:00:00Z+10000ms=3"), line);
        assertNull(report.take(30 * SECOND, false), "said once");
    }
}
