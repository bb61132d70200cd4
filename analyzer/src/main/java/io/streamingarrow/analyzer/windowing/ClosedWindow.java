package io.streamingarrow.analyzer.windowing;

import java.util.List;

/**
 * A window the watermark has passed: final, ready to persist and publish. {@code revision} is 0 when it
 * closed on time and n for its n-th correction by late rows ({@code analyzer.window.late-corrections}).
 */
public record ClosedWindow(String device, long startMicros, long endMicros, long sizeMillis, List<String> measures,
                           WindowAccumulator values, int revision) {

    public ClosedWindow(String device, long startMicros, long endMicros, long sizeMillis, List<String> measures,
                        WindowAccumulator values) {
        this(device, startMicros, endMicros, sizeMillis, measures, values, 0);
    }

    /** A measure's statistic by name, or null when the window had no value for it. */
    public Double stat(String function, String measure) {
        int index = measures.indexOf(measure);
        if (index < 0) {
            throw new IllegalArgumentException("unknown measure " + measure + " (aggregated: " + measures + ")");
        }
        return switch (function) {
            case "avg", "mean" -> values.mean(index);
            case "min" -> values.min(index);
            case "max" -> values.max(index);
            case "count" -> (double) values.count(index);
            default -> throw new IllegalArgumentException("unknown function " + function);
        };
    }
}
