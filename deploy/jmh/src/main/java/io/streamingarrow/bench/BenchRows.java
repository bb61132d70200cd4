package io.streamingarrow.bench;

import io.streamingarrow.shared.batch.SeedBatchBuilder;

/** The rows every benchmark encodes: fleet-like seed rows, 100 devices, slowly moving values. */
final class BenchRows {

    static final long BASE_TS = 1_767_225_600_000_000L;

    private BenchRows() {
    }

    static String device(int row) {
        return String.format("sensor-%04d", row % 100);
    }

    static float cpu(int row) {
        return 20f + (row * 7919 % 6000) / 100f;
    }

    static float memory(int row) {
        return 40f + (row * 104729 % 3000) / 100f;
    }

    static void fill(SeedBatchBuilder builder, int rows) {
        for (int row = 0; row < rows; row++) {
            float cpu = cpu(row);
            float memory = memory(row);
            builder.append(device(row), BASE_TS + row * 1000L, cpu, 100f - cpu, memory, 100f - memory, row);
        }
    }
}
