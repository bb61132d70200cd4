package io.streamingarrow.producer.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.streamingarrow.shared.contract.DeviceShards;
import io.streamingarrow.producer.batching.EncodedBatch;
import io.streamingarrow.producer.batching.ShardedBatcher;
import io.streamingarrow.shared.columns.StringColumn;
import io.streamingarrow.shared.ipc.ArrowIpcDecoder;
import io.streamingarrow.shared.ipc.ArrowIpcEncoder;
import io.streamingarrow.shared.ipc.DecodeLimits;
import io.streamingarrow.shared.schema.SeedSchema;
import io.streamingarrow.shared.testing.ArrowMemoryExtension;

/**
 * The fleet against a slow Kafka (acknowledging one batch every 20 ms): the fleet waits instead of
 * buffering, no more than max-in-flight batches are ever outstanding, and every generated row is
 * published exactly once.
 */
@ExtendWith(ArrowMemoryExtension.class)
class FleetBackpressureTest {

    @Test
    void aSlowKafkaSlowsTheFleetAndLosesNothing(BufferAllocator allocator) throws Exception {
        ConcurrentLinkedQueue<CompletableFuture<Void>> unacknowledged = new ConcurrentLinkedQueue<>();
        List<EncodedBatch> published = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicInteger outstanding = new AtomicInteger();
        AtomicInteger maxOutstanding = new AtomicInteger();
        ShardedBatcher batcher = new ShardedBatcher(allocator, new DeviceShards(4),
                new ShardedBatcher.Limits(50, 1 << 20, Duration.ofMillis(50), 3), ArrowIpcEncoder.seedDefault(),
                batch -> {
                    published.add(batch);
                    maxOutstanding.accumulateAndGet(outstanding.incrementAndGet(), Math::max);
                    CompletableFuture<Void> ack = new CompletableFuture<>();
                    unacknowledged.add(ack);
                    // The batcher sees the acknowledgement only after it is counted here.
                    return ack.thenRun(outstanding::decrementAndGet);
                }, new SimpleMeterRegistry(), System::nanoTime);
        ScheduledExecutorService slowKafka = Executors.newSingleThreadScheduledExecutor();
        slowKafka.scheduleAtFixedRate(() -> {
            CompletableFuture<Void> next = unacknowledged.poll();
            if (next != null) {
                next.complete(null);
            }
        }, 20, 20, TimeUnit.MILLISECONDS);
        try (batcher) {
            SensorFleet fleet = new SensorFleet(10, 3);
            SensorFleet.RowSink sink = (device, ts, a, b, c, d, elapsed) ->
                    batcher.appendWaiting(device, ts, a, b, c, d, elapsed, Duration.ofSeconds(10));
            for (int i = 0; i < 2000; i++) {
                assertTrue(fleet.next(sink, i, i), "row " + i + " waited past the timeout");
            }
            assertTrue(batcher.drain(Duration.ofSeconds(20)));
        } finally {
            slowKafka.shutdownNow();
        }
        assertTrue(maxOutstanding.get() <= 3, "in flight at most 3, saw " + maxOutstanding.get());
        Set<String> rows = new HashSet<>();
        int count = 0;
        ArrowIpcDecoder decoder = new ArrowIpcDecoder(DecodeLimits.DEFAULT);
        for (EncodedBatch batch : published) {
            int[] n = {0};
            decoder.decode(batch.bytes(), (root, index) -> {
                StringColumn device = StringColumn.of(root.getVector(SeedSchema.DEVICE));
                var ts = (org.apache.arrow.vector.TimeStampMicroVector) root.getVector(SeedSchema.TS);
                for (int row = 0; row < root.getRowCount(); row++) {
                    rows.add(new String(device.utf8(row), StandardCharsets.UTF_8) + "@" + ts.get(row));
                    n[0]++;
                }
            });
            count += n[0];
        }
        assertEquals(2000, count, "rows published");
        assertEquals(2000, rows.size(), "each generated row once");
    }
}
