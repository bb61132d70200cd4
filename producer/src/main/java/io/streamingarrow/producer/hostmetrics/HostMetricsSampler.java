package io.streamingarrow.producer.hostmetrics;

import java.util.function.LongSupplier;

import oshi.hardware.CentralProcessor;
import oshi.hardware.GlobalMemory;

/** Reads this host's CPU and memory through OSHI, as the seed's producer did with psutil. */
public final class HostMetricsSampler {

    private final CentralProcessor processor;
    private final GlobalMemory memory;
    private final LongSupplier wallMicros;
    private final long startedMicros;
    private long[] previousTicks;

    public HostMetricsSampler(CentralProcessor processor, GlobalMemory memory, LongSupplier wallMicros) {
        this.processor = processor;
        this.memory = memory;
        this.wallMicros = wallMicros;
        this.startedMicros = wallMicros.getAsLong();
        this.previousTicks = processor.getSystemCpuLoadTicks();
    }

    public synchronized HostSample sample() {
        long[] ticks = processor.getSystemCpuLoadTicks();
        float cpuUsed = CpuBusy.percent(previousTicks, ticks);
        previousTicks = ticks;
        long total = memory.getTotal();
        float memoryUsed = total <= 0 ? 0f : (float) (100.0 * (total - memory.getAvailable()) / total);
        long now = wallMicros.getAsLong();
        return new HostSample(now, cpuUsed, 100f - cpuUsed, memoryUsed, 100f - memoryUsed,
                (int) Math.min(Integer.MAX_VALUE, (now - startedMicros) / 1000));
    }
}
