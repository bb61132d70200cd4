package io.streamingarrow.analyzer.windowing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.streamingarrow.shared.batch.SeedBatchBuilder;
import io.streamingarrow.shared.testing.ArrowMemoryExtension;

/**
 * Rows the stores cannot hold cost only themselves: the aggregator refuses them with the shared screen's
 * reason (as the sink does), windows the rest of the batch, and the refused rows move no event time.
 */
@ExtendWith(ArrowMemoryExtension.class)
class WindowAggregatorRefusalTest {

    private static final long BASE = 1_767_225_600_000_000L; // 2026-01-01T00:00:00Z, µs

    @Test
    void aDeviceNameThatIsNotUtf8IsRefusedAndItsNeighboursAreWindowed(BufferAllocator allocator) {
        WindowAggregator aggregator = new WindowAggregator(new WindowSpec(1_000_000, 1_000_000), List.of("cpu_used"), 1000);
        byte[] good = "pump-1".getBytes(StandardCharsets.UTF_8);
        byte[] notUtf8 = {'b', 'a', 'd', (byte) 0xFF, (byte) 0xFE};
        try (SeedBatchBuilder batch = new SeedBatchBuilder(allocator, 4)) {
            batch.append(good, BASE + 100, 10f, 90f, 1f, 99f, 0);
            batch.append(notUtf8, BASE + 200, 20f, 80f, 1f, 99f, 0);
            batch.append(good, BASE + 300, 30f, 70f, 1f, 99f, 0);
            batch.append(notUtf8, BASE + 5_000_000, 40f, 60f, 1f, 99f, 0); // later: must not move the event time

            WindowAggregator.BatchResult result = aggregator.add(batch.view());

            assertEquals(2, result.refusedRows());
            assertEquals(1, aggregator.refusedRow(0));
            assertEquals(3, aggregator.refusedRow(1));
            assertEquals(RowRefusal.INVALID_UTF8, aggregator.refusal(0));
            assertEquals("row-invalid-utf8", aggregator.refusal(1).code());
            assertEquals(BASE + 300, result.maxEventTs());
        }
        List<ClosedWindow> closed = aggregator.closeUpTo(BASE + 10_000_000);
        assertEquals(1, closed.size());
        assertEquals("pump-1", closed.get(0).device());
        assertEquals(2, closed.get(0).values().count());
    }
}
