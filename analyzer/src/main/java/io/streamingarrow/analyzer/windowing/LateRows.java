package io.streamingarrow.analyzer.windowing;

import java.util.List;

/**
 * Rows that arrived for one window after it was final: the statistics of those rows only. Merged into
 * the stored window, they make its next revision (a correction).
 */
public record LateRows(String device, long startMicros, long endMicros, long sizeMillis, List<String> measures,
                       WindowAccumulator values) {
}
