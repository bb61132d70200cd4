package io.streamingarrow.analyzer.windowing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.stream.Collectors;

import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.streamingarrow.shared.batch.SeedBatchBuilder;
import io.streamingarrow.shared.testing.ArrowMemoryExtension;

/**
 * What a rebalance asks of the aggregator: a partition given away takes its open windows with it (the new
 * owner builds them whole), and a partition taken over opens windows below what is already closed, which
 * close the next time the watermark moves on.
 */
@ExtendWith(ArrowMemoryExtension.class)
class WindowAggregatorPartitionsTest {

    private static final long BASE = 1_767_225_600_000_000L; // 2026-01-01T00:00:00Z, µs
    private static final long SECOND = 1_000_000L;

    private static void add(WindowAggregator aggregator, BufferAllocator allocator, int partition, long finalUpTo,
                            String device, long... ts) {
        try (SeedBatchBuilder batch = new SeedBatchBuilder(allocator, ts.length)) {
            for (long t : ts) {
                batch.append(device, t, 1f, 99f, 1f, 99f, 0);
            }
            aggregator.add(batch.view(), partition, Long.MIN_VALUE, finalUpTo, Long.MAX_VALUE);
        }
    }

    @Test
    void aPartitionGivenAwayTakesItsOpenWindowsWithIt(BufferAllocator allocator) {
        WindowAggregator aggregator = new WindowAggregator(WindowSpec.tumbling(SECOND), List.of("cpu_used"), 1000);
        add(aggregator, allocator, 0, Long.MIN_VALUE, "dev-0", BASE + 100, BASE + SECOND + 100, BASE + 2 * SECOND + 100);
        add(aggregator, allocator, 1, Long.MIN_VALUE, "dev-1", BASE + 200, BASE + SECOND + 200);
        add(aggregator, allocator, 2, Long.MIN_VALUE, "dev-2", BASE + 300);
        assertEquals(6, aggregator.openWindows());

        assertEquals(2, aggregator.dropPartition(1));
        assertEquals(4, aggregator.openWindows());
        assertEquals(2, aggregator.openDevices(), "dev-1 forgotten with its windows");
        assertEquals(1, aggregator.dropPartition(2));
        // The slot of BASE (now without dev-1 and dev-2) still takes rows: the cache was not left pointing elsewhere.
        add(aggregator, allocator, 0, Long.MIN_VALUE, "dev-0", BASE + 400);

        List<ClosedWindow> closed = aggregator.closeUpTo(BASE + 10 * SECOND);
        assertEquals(List.of("dev-0@0:2", "dev-0@1:1", "dev-0@2:1"), closed.stream()
                .map(w -> w.device() + "@" + (w.startMicros() - BASE) / SECOND + ":" + w.values().count())
                .collect(Collectors.toList()));
        assertEquals(0, aggregator.openWindows());
        assertEquals(0, aggregator.openDevices());
    }

    @Test
    void aPartitionTakenOverOpensWindowsBelowWhatIsClosedAndTheyCloseWithTheNextMove(BufferAllocator allocator) {
        WindowAggregator aggregator = new WindowAggregator(WindowSpec.tumbling(SECOND), List.of("cpu_used"), 1000);
        add(aggregator, allocator, 0, Long.MIN_VALUE, "dev-0", BASE + 5 * SECOND + 100);
        assertEquals(0, aggregator.closeUpTo(BASE + 5 * SECOND).size());
        // Partition 1 comes from another consumer, final (stored) up to BASE + 2 s: its rows at 2-4 s count.
        add(aggregator, allocator, 1, BASE + 2 * SECOND, "dev-1", BASE + SECOND + 100, BASE + 2 * SECOND + 100,
                BASE + 3 * SECOND + 100);
        assertEquals(3, aggregator.openWindows(), "dev-0 at 5 s, dev-1 at 2 s and 3 s (1 s was stored before)");
        List<ClosedWindow> closed = aggregator.closeUpTo(BASE + 6 * SECOND);
        assertEquals(List.of("dev-1@2", "dev-1@3", "dev-0@5"), closed.stream()
                .map(w -> w.device() + "@" + (w.startMicros() - BASE) / SECOND).collect(Collectors.toList()));
    }
}
