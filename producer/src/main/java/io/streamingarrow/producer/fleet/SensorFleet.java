package io.streamingarrow.producer.fleet;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.function.LongSupplier;

/**
 * A synthetic fleet of sensors for demos and load. Values are a pure function of the seed and the row
 * number, so two runs with the same seed produce the same devices and measures (timestamps are the
 * wall clock at generation). Rows go round-robin over the devices.
 */
public final class SensorFleet {

    /** Receives one generated row; returns false when it could not take it (and the fleet should stop). */
    @FunctionalInterface
    public interface RowSink {
        boolean accept(byte[] device, long tsMicros, float cpuUsed, float cpuFree, float memoryUsed, float memoryFree,
                       int runElapsedMs);
    }

    private final byte[][] devices;
    private final SplittableRandom random;
    private final float[] cpuLevel;
    private final float[] memoryLevel;
    private long generated;

    public SensorFleet(int deviceCount, long seed) {
        if (deviceCount <= 0) {
            throw new IllegalArgumentException("a fleet needs at least one device, got " + deviceCount);
        }
        this.devices = new byte[deviceCount][];
        this.random = new SplittableRandom(seed);
        this.cpuLevel = new float[deviceCount];
        this.memoryLevel = new float[deviceCount];
        for (int i = 0; i < deviceCount; i++) {
            devices[i] = String.format("sensor-%04d", i).getBytes(StandardCharsets.UTF_8);
            cpuLevel[i] = (float) (10 + random.nextDouble() * 60);
            memoryLevel[i] = (float) (20 + random.nextDouble() * 60);
        }
    }

    public int deviceCount() {
        return devices.length;
    }

    public long generated() {
        return generated;
    }

    /** Generates the next row into {@code sink}: a bounded random walk per device. */
    public boolean next(RowSink sink, long tsMicros, int runElapsedMs) {
        int d = (int) (generated % devices.length);
        float cpu = clamp(cpuLevel[d] + (float) (random.nextDouble() - 0.5) * 10);
        float memory = clamp(memoryLevel[d] + (float) (random.nextDouble() - 0.5) * 2);
        if (!sink.accept(devices[d], tsMicros, cpu, 100f - cpu, memory, 100f - memory, runElapsedMs)) {
            return false;
        }
        cpuLevel[d] = cpu;
        memoryLevel[d] = memory;
        generated++;
        return true;
    }

    private static float clamp(float value) {
        return Math.max(0f, Math.min(100f, value));
    }

    /**
     * Paces a generator at {@code rowsPerSecond}: how many rows are due at {@code nowNanos} since
     * {@code startNanos}, given {@code done} so far.
     */
    public static long rowsDue(long rowsPerSecond, long startNanos, long nowNanos, long done) {
        long elapsed = Math.max(0, nowNanos - startNanos);
        long due = (long) (elapsed / 1e9 * rowsPerSecond);
        return Math.max(0, due - done);
    }

    /** Wall-clock helper for callers: microseconds since the epoch. */
    public static LongSupplier wallMicros() {
        return () -> System.currentTimeMillis() * 1000;
    }
}
