package io.streamingarrow.analyzer.windowing;

import java.util.Arrays;

/** Running count, min, max and sum of each measure (nulls skipped), and first/last event time of one window. */
public final class WindowAccumulator {

    private long count;
    /** The Kafka partition whose rows opened this window (a device's rows come from one partition). */
    int partition;
    private final long[] measureCount;
    private final double[] min;
    private final double[] max;
    private final double[] sum;
    private long firstTs = Long.MAX_VALUE;
    private long lastTs = Long.MIN_VALUE;

    public WindowAccumulator(int measures) {
        measureCount = new long[measures];
        min = new double[measures];
        max = new double[measures];
        sum = new double[measures];
        Arrays.fill(min, Double.POSITIVE_INFINITY);
        Arrays.fill(max, Double.NEGATIVE_INFINITY);
    }

    /**
     * A window rebuilt from stored statistics (count, first/last ts, and per measure its count, min, max
     * and mean), so late rows can be merged into what was persisted before.
     */
    public static WindowAccumulator restored(long count, long firstTs, long lastTs, long[] measureCount,
                                             double[] min, double[] max, double[] mean) {
        WindowAccumulator window = new WindowAccumulator(measureCount.length);
        window.count = count;
        window.firstTs = firstTs;
        window.lastTs = lastTs;
        for (int m = 0; m < measureCount.length; m++) {
            if (measureCount[m] > 0) {
                window.measureCount[m] = measureCount[m];
                window.min[m] = min[m];
                window.max[m] = max[m];
                window.sum[m] = mean[m] * measureCount[m];
            }
        }
        return window;
    }

    /** Folds {@code other} (same measures) into this window. */
    public void merge(WindowAccumulator other) {
        count += other.count;
        firstTs = Math.min(firstTs, other.firstTs);
        lastTs = Math.max(lastTs, other.lastTs);
        for (int m = 0; m < measureCount.length; m++) {
            measureCount[m] += other.measureCount[m];
            min[m] = Math.min(min[m], other.min[m]);
            max[m] = Math.max(max[m], other.max[m]);
            sum[m] += other.sum[m];
        }
    }

    void addRow(long ts) {
        count++;
        firstTs = Math.min(firstTs, ts);
        lastTs = Math.max(lastTs, ts);
    }

    void addValue(int measure, double value) {
        measureCount[measure]++;
        min[measure] = Math.min(min[measure], value);
        max[measure] = Math.max(max[measure], value);
        sum[measure] += value;
    }

    public long count() {
        return count;
    }

    /** Rows with a value for {@code measure}; min/max/mean are null-free statistics over those. */
    public long count(int measure) {
        return measureCount[measure];
    }

    public Double min(int measure) {
        return measureCount[measure] == 0 ? null : min[measure];
    }

    public Double max(int measure) {
        return measureCount[measure] == 0 ? null : max[measure];
    }

    public Double mean(int measure) {
        return measureCount[measure] == 0 ? null : sum[measure] / measureCount[measure];
    }

    public long firstTs() {
        return firstTs;
    }

    public long lastTs() {
        return lastTs;
    }
}
