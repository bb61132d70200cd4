package io.streamingarrow.analyzer.windowing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.List;

import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.streamingarrow.shared.batch.SeedBatchBuilder;
import io.streamingarrow.shared.schema.SeedSchema;
import io.streamingarrow.shared.testing.ArrowMemoryExtension;

/**
 * The per-row path allocates nothing once its devices and windows exist: folding a 100k-row batch into
 * windows that are already open must allocate (on the heap of this thread) far less than one byte per row;
 * a per-row device name array or boxed window start alone would be 16+ bytes per row.
 */
@ExtendWith(ArrowMemoryExtension.class)
class AggregatorAllocationTest {

    private static final int ROWS = 100_000;

    @Test
    void foldingRowsIntoOpenWindowsAllocatesNothingPerRow(BufferAllocator allocator) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assertTrue(threads.isThreadAllocatedMemorySupported(), "this JVM reports per-thread allocation");
        long start = 1_767_225_600_000_000L;
        for (WindowSpec spec : List.of(WindowSpec.tumbling(10_000_000), new WindowSpec(10_000_000, 2_000_000))) {
            WindowAggregator aggregator = new WindowAggregator(spec, List.of(SeedSchema.CPU_USED, SeedSchema.MEMORY_USED), 1_000_000);
            try (SeedBatchBuilder batch = new SeedBatchBuilder(allocator, ROWS)) {
                for (int row = 0; row < ROWS; row++) {
                    // 500 devices over 10 s: every row lands in windows the first pass opened.
                    batch.append("sensor-" + (row % 500), start + row * 100L, row % 100, 0f, 50f, 0f, row);
                }
                aggregator.add(batch.view()); // opens the windows, learns the devices
                for (int warm = 0; warm < 5; warm++) {
                    aggregator.add(batch.view());
                }
                long before = threads.getCurrentThreadAllocatedBytes();
                WindowAggregator.BatchResult result = aggregator.add(batch.view());
                long allocated = threads.getCurrentThreadAllocatedBytes() - before;
                assertEquals(ROWS, result.rows());
                assertEquals(0, result.lateRows());
                assertTrue(allocated < ROWS / 10, spec + ": " + allocated + " bytes allocated for " + ROWS + " rows");
                List<ClosedWindow> closed = aggregator.closeUpTo(Long.MAX_VALUE);
                assertEquals(7L * ROWS, closed.stream().mapToLong(w -> w.values().count()).sum()
                        / (spec.sizeMicros() / spec.slideMicros()), spec + ": every row of the 7 passes, in each of its windows");
            }
        }
    }
}
