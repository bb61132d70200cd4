package io.streamingarrow.producer.hostmetrics;

import oshi.hardware.CentralProcessor.TickType;

/**
 * CPU use between two readings of the kernel's cumulative tick counters (OSHI's
 * {@code getSystemCpuLoadTicks()}): the share of ticks not spent idle or waiting on I/O. Using the delta
 * of counters, rather than a fresh blocking sample each time, is what makes a 1 s schedule cheap.
 */
public final class CpuBusy {

    private CpuBusy() {
    }

    /** Percent of all CPUs busy between {@code previous} and {@code current}; 0 when no tick elapsed. */
    public static float percent(long[] previous, long[] current) {
        long total = 0;
        for (TickType type : TickType.values()) {
            total += Math.max(0, current[type.getIndex()] - previous[type.getIndex()]);
        }
        if (total == 0) {
            return 0f;
        }
        long idle = Math.max(0, current[TickType.IDLE.getIndex()] - previous[TickType.IDLE.getIndex()])
                + Math.max(0, current[TickType.IOWAIT.getIndex()] - previous[TickType.IOWAIT.getIndex()]);
        return (float) (100.0 * (total - idle) / total);
    }
}
