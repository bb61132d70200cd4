package io.streamingarrow.shared.testing;

import io.streamingarrow.shared.batch.SeedBatchBuilder;

/**
 * Deterministic seed-schema rows for tests: row {@code i} always has the same values, so a test can
 * check any decoded row against {@link #expected(int)} without keeping a copy.
 */
public final class SeedRows {

    public static final long BASE_TS_MICROS = 1_700_000_000_000_000L;

    /** One row's values; a null measure stands for an Arrow null. */
    public record Row(String device, long tsMicros, Float cpuUsed, Float cpuFree, Float memoryUsed, Float memoryFree,
                      Integer runElapsedMs) {
    }

    private SeedRows() {
    }

    public static Row expected(int i) {
        float cpu = (i * 37 % 1000) / 10f + 0.125f;
        float memory = (i * 53 % 1000) / 10f + 0.5f;
        boolean nullCpu = i % 17 == 5; // sprinkle nulls so every test crosses the validity path
        return new Row("sensor-" + (i % 7) + (i % 11 == 3 ? "-ünï" : ""), BASE_TS_MICROS + i * 1_000L + (i % 3),
                nullCpu ? null : cpu, nullCpu ? null : 100f - cpu, memory, 100f - memory,
                i % 23 == 9 ? null : i * 10);
    }

    /** Appends rows {@code from} (inclusive) to {@code to} (exclusive). */
    public static void fill(SeedBatchBuilder builder, int from, int to) {
        for (int i = from; i < to; i++) {
            Row row = expected(i);
            if (!builder.appendNullable(row.device(), row.tsMicros(), row.cpuUsed(), row.cpuFree(),
                    row.memoryUsed(), row.memoryFree(), row.runElapsedMs())) {
                throw new IllegalStateException("builder full at row " + i);
            }
        }
    }
}
