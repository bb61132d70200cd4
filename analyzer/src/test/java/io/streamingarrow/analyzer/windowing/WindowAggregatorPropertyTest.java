package io.streamingarrow.analyzer.windowing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.streamingarrow.shared.batch.SeedBatchBuilder;
import io.streamingarrow.shared.schema.SeedSchema;
import io.streamingarrow.shared.testing.ArrowMemoryExtension;

/**
 * Randomised streams with out-of-order events (within the allowed lateness) and late ones (behind the
 * watermark): every closed window must equal a brute-force computation over the accepted events, and
 * every late event must be counted, for tumbling and hopping windows.
 */
@ExtendWith(ArrowMemoryExtension.class)
class WindowAggregatorPropertyTest {

    private static final List<String> MEASURES = List.of(SeedSchema.CPU_USED, SeedSchema.MEMORY_USED);
    private static final long LATENESS = 2_000_000;

    record Event(String device, long ts, Float cpu, float memory) {
    }

    /** Brute force: for every window that contains an event, the plain statistics of its events. */
    static final class Reference {
        final Map<String, long[]> counts = new TreeMap<>();
        final Map<String, List<Float>> cpu = new HashMap<>();
        final Map<String, List<Float>> memory = new HashMap<>();

        void add(Event e, long size, long slide) {
            for (long start = Math.floorDiv(e.ts - size, slide) * slide - slide; start <= e.ts; start += slide) {
                if (start <= e.ts && e.ts < start + size) {
                    String key = e.device + "@" + start;
                    counts.computeIfAbsent(key, k -> new long[] {0, Long.MAX_VALUE, Long.MIN_VALUE});
                    long[] c = counts.get(key);
                    c[0]++;
                    c[1] = Math.min(c[1], e.ts);
                    c[2] = Math.max(c[2], e.ts);
                    cpu.computeIfAbsent(key, k -> new ArrayList<>());
                    if (e.cpu != null) {
                        cpu.get(key).add(e.cpu);
                    }
                    memory.computeIfAbsent(key, k -> new ArrayList<>()).add(e.memory);
                }
            }
        }
    }

    @ParameterizedTest(name = "size {0} µs, slide {1} µs, seed {2}")
    @CsvSource({
            "1000000, 1000000, 1", "1000000, 1000000, 2", "5000000, 5000000, 3",
            "3000000, 1000000, 4", "10000000, 2500000, 5", "4000000, 2000000, 6", "7000000, 7000000, 7"})
    void closedWindowsEqualBruteForceOverTheAcceptedEvents(long size, long slide, long seed, BufferAllocator allocator) {
        Random random = new Random(seed);
        WindowAggregator aggregator = new WindowAggregator(new WindowSpec(size, slide), MEASURES, 1_000_000);
        Reference reference = new Reference();
        List<ClosedWindow> closed = new ArrayList<>();
        long base = 1_767_225_600_000_000L + random.nextInt(1_000_000);
        long maxTs = Long.MIN_VALUE;
        long expectedLate = 0;
        long countedLate = 0;
        int next = 0;
        for (int batchIndex = 0; batchIndex < 60; batchIndex++) {
            int rows = 1 + random.nextInt(200);
            List<Event> events = new ArrayList<>();
            for (int i = 0; i < rows; i++) {
                String device = "dev-" + random.nextInt(5);
                Float cpu = random.nextInt(10) == 0 ? null : random.nextFloat() * 100;
                float memory = random.nextFloat() * 100;
                long closedUpTo = aggregator.closedUpTo();
                if (closedUpTo != Long.MIN_VALUE && random.nextInt(15) == 0) {
                    // Late: every window holding it ended before the watermark.
                    events.add(new Event(device, closedUpTo - size - 1 - random.nextInt(3_000_000), cpu, memory));
                    expectedLate++;
                } else {
                    long ts = base + next++ * 20_000L - random.nextInt((int) (LATENESS / 2)); // out of order, within lateness
                    events.add(new Event(device, ts, cpu, memory));
                    reference.add(events.get(events.size() - 1), size, slide);
                }
            }
            try (SeedBatchBuilder batch = new SeedBatchBuilder(allocator, rows)) {
                for (Event e : events) {
                    batch.appendNullable(e.device, e.ts, e.cpu, null, e.memory, null, 0);
                }
                WindowAggregator.BatchResult result = aggregator.add(batch.view());
                countedLate += result.lateRows();
                maxTs = Math.max(maxTs, result.maxEventTs());
            }
            closed.addAll(aggregator.closeUpTo(maxTs - LATENESS));
        }
        closed.addAll(aggregator.closeUpTo(Long.MAX_VALUE));

        assertEquals(expectedLate, countedLate, "late events counted");
        assertEquals(0, aggregator.openWindows());
        assertEquals(0, aggregator.openDevices(), "devices are forgotten with their last window");
        assertEqualsReference(reference, closed, size);
    }

    /**
     * With corrections on, late events are kept aside per window; a closed window merged with the late rows
     * drained for it (as the store does) must equal brute force over every event, late ones included.
     */
    @ParameterizedTest(name = "size {0} µs, slide {1} µs, seed {2}")
    @CsvSource({"1000000, 1000000, 21", "3000000, 1000000, 22", "4000000, 2000000, 23"})
    void correctedWindowsEqualBruteForceOverEveryEvent(long size, long slide, long seed, BufferAllocator allocator) {
        Random random = new Random(seed);
        WindowAggregator aggregator = new WindowAggregator(new WindowSpec(size, slide), MEASURES, 1_000_000, true);
        Reference reference = new Reference();
        Map<String, ClosedWindow> stored = new TreeMap<>();
        long base = 1_767_225_600_000_000L + random.nextInt(1_000_000);
        long maxTs = Long.MIN_VALUE;
        long expectedLate = 0;
        long countedLate = 0;
        int next = 0;
        for (int batchIndex = 0; batchIndex < 60; batchIndex++) {
            int rows = 1 + random.nextInt(200);
            List<Event> events = new ArrayList<>();
            for (int i = 0; i < rows; i++) {
                String device = "dev-" + random.nextInt(5);
                Float cpu = random.nextInt(10) == 0 ? null : random.nextFloat() * 100;
                long closedUpTo = aggregator.closedUpTo();
                long ts;
                if (closedUpTo != Long.MIN_VALUE && random.nextInt(15) == 0) {
                    ts = closedUpTo - size - 1 - random.nextInt(3_000_000);
                    expectedLate++;
                } else {
                    ts = base + next++ * 20_000L - random.nextInt((int) (LATENESS / 2));
                }
                events.add(new Event(device, ts, cpu, random.nextFloat() * 100));
                reference.add(events.get(events.size() - 1), size, slide);
            }
            try (SeedBatchBuilder batch = new SeedBatchBuilder(allocator, rows)) {
                for (Event e : events) {
                    batch.appendNullable(e.device, e.ts, e.cpu, null, e.memory, null, 0);
                }
                WindowAggregator.BatchResult result = aggregator.add(batch.view());
                countedLate += result.lateRows();
                maxTs = Math.max(maxTs, result.maxEventTs());
            }
            for (ClosedWindow w : aggregator.closeUpTo(maxTs - LATENESS)) {
                stored.put(w.device() + "@" + w.startMicros(), w);
            }
            for (LateRows late : aggregator.drainLateRows()) {
                ClosedWindow w = stored.get(late.device() + "@" + late.startMicros());
                if (w == null) {
                    stored.put(late.device() + "@" + late.startMicros(), new ClosedWindow(late.device(), late.startMicros(),
                            late.endMicros(), late.sizeMillis(), late.measures(), late.values(), 1));
                } else {
                    w.values().merge(late.values());
                }
            }
        }
        aggregator.closeUpTo(Long.MAX_VALUE).forEach(w -> stored.put(w.device() + "@" + w.startMicros(), w));

        assertEquals(expectedLate, countedLate, "late events counted");
        assertTrue(expectedLate > 0, "the stream had late events");
        assertEqualsReference(reference, new ArrayList<>(stored.values()), size);
    }

    private static void assertEqualsReference(Reference reference, List<ClosedWindow> closed, long size) {
        assertEquals(reference.counts.size(), closed.size(), "number of windows");
        for (ClosedWindow w : closed) {
            String key = w.device() + "@" + w.startMicros();
            long[] c = reference.counts.get(key);
            assertEquals(c[0], w.values().count(), key + " count");
            assertEquals(c[1], w.values().firstTs(), key + " first ts");
            assertEquals(c[2], w.values().lastTs(), key + " last ts");
            assertEquals(w.startMicros() + size, w.endMicros());
            check(reference.cpu.get(key), w, 0, key + " cpu");
            check(reference.memory.get(key), w, 1, key + " memory");
        }
    }

    private static void check(List<Float> values, ClosedWindow w, int measure, String what) {
        if (values.isEmpty()) {
            assertNull(w.values().mean(measure), what + " has no values");
            return;
        }
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        double sum = 0;
        for (float v : values) {
            min = Math.min(min, v);
            max = Math.max(max, v);
            sum += v;
        }
        assertEquals(values.size(), w.values().count(measure), what + " count");
        assertEquals(min, w.values().min(measure), what + " min");
        assertEquals(max, w.values().max(measure), what + " max");
        assertEquals(sum / values.size(), w.values().mean(measure), 1e-9, what + " mean");
    }
}
