package io.streamingarrow.analyzer.consuming;

import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * Gathers rows dropped as late, per window start, and hands out at most one summary line per interval,
 * so a burst of late rows is visible in the log without a line per row or per message.
 */
final class LateRowReport {

    private static final int WINDOWS_SHOWN = 8;

    private final long intervalNanos;
    private final long windowMicros;
    private final TreeMap<Long, long[]> byWindow = new TreeMap<>(); // window start µs -> rows
    private long rows;
    private long lastReportNanos;
    private boolean reportedOnce;

    LateRowReport(long intervalNanos, long windowMicros) {
        this.intervalNanos = intervalNanos;
        this.windowMicros = windowMicros;
    }

    void add(Map<Long, long[]> lateByWindow) {
        lateByWindow.forEach((start, n) -> {
            byWindow.computeIfAbsent(start, s -> new long[1])[0] += n[0];
            rows += n[0];
        });
    }

    /** The summary of what gathered since the last one, if there is any and the interval has passed; else null. */
    String take(long nowNanos, boolean corrected) {
        if (rows == 0 || (reportedOnce && nowNanos - lastReportNanos < intervalNanos)) {
            return null;
        }
        StringBuilder line = new StringBuilder();
        line.append(rows).append(rows == 1 ? " row" : " rows").append(" arrived after their window had closed (")
                .append(corrected ? "merged into the stored window as a correction" : "not counted in any window")
                .append(") in ").append(byWindow.size()).append(byWindow.size() == 1 ? " window" : " windows").append(':');
        int shown = 0;
        for (Map.Entry<Long, long[]> e : byWindow.entrySet()) {
            if (shown++ == WINDOWS_SHOWN) {
                line.append(" and ").append(byWindow.size() - WINDOWS_SHOWN).append(" more");
                break;
            }
            line.append(' ').append(instant(e.getKey())).append('+').append(windowMicros / 1000).append("ms=")
                    .append(e.getValue()[0]);
        }
        byWindow.clear();
        rows = 0;
        lastReportNanos = nowNanos;
        reportedOnce = true;
        return line.toString();
    }

    private static Instant instant(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000L);
    }
}
