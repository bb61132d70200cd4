package io.streamingarrow.producer.hostmetrics;

import java.util.Arrays;
import java.time.Duration;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import oshi.SystemInfo;
import oshi.hardware.CentralProcessor.TickType;

class HostMetricsTest {

    private static long[] ticks(long user, long system, long idle, long iowait) {
        long[] t = new long[TickType.values().length];
        t[TickType.USER.getIndex()] = user;
        t[TickType.SYSTEM.getIndex()] = system;
        t[TickType.IDLE.getIndex()] = idle;
        t[TickType.IOWAIT.getIndex()] = iowait;
        return t;
    }

    @Test
    void cpuBusyIsTheShareOfNonIdleTicksBetweenReadings() {
        long[] before = ticks(100, 50, 800, 50);
        long[] after = ticks(160, 70, 900, 70); // +60 user +20 system +100 idle +20 iowait = 200 ticks, 80 busy
        assertEquals(40f, CpuBusy.percent(before, after), 1e-4);
        assertEquals(0f, CpuBusy.percent(after, after), "no ticks elapsed");
    }

    @Test
    void samplesThisHostWithPercentagesThatAddUp() {
        SystemInfo system = new SystemInfo();
        long[] clock = {1_000_000_000L};
        HostMetricsSampler sampler = new HostMetricsSampler(system.getHardware().getProcessor(),
                system.getHardware().getMemory(), () -> clock[0]);
        long[] ticksAtStart = system.getHardware().getProcessor().getSystemCpuLoadTicks();
        // Sample over real ticks: wait until the kernel's counters have moved.
        await().atMost(Duration.ofSeconds(5))
                .until(() -> !Arrays.equals(system.getHardware().getProcessor().getSystemCpuLoadTicks(), ticksAtStart));
        clock[0] += 1_500_000;
        HostSample sample = sampler.sample();
        assertEquals(clock[0], sample.tsMicros());
        assertEquals(1500, sample.runElapsedMs());
        assertTrue(sample.cpuUsed() >= 0 && sample.cpuUsed() <= 100, "cpu " + sample.cpuUsed());
        assertEquals(100f, sample.cpuUsed() + sample.cpuFree(), 1e-3);
        assertTrue(sample.memoryUsed() > 0 && sample.memoryUsed() < 100, "memory " + sample.memoryUsed());
        assertEquals(100f, sample.memoryUsed() + sample.memoryFree(), 1e-3);
    }

    @Test
    void theBacklogDropsTheOldestSamplesAndCountsThem() {
        SampleBacklog backlog = new SampleBacklog(3);
        for (int i = 1; i <= 5; i++) {
            backlog.add(new HostSample(i, 0, 100, 0, 100, i));
        }
        assertEquals(2, backlog.dropped());
        List<Long> taken = new ArrayList<>();
        assertEquals(2, backlog.drainTo(s -> taken.size() < 2 && taken.add(s.tsMicros())));
        assertEquals(List.of(3L, 4L), taken);
        assertEquals(1, backlog.size());
    }
}
