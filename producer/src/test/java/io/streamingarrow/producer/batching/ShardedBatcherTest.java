package io.streamingarrow.producer.batching;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.streamingarrow.shared.contract.DeviceShards;
import io.streamingarrow.shared.columns.StringColumn;
import io.streamingarrow.shared.columns.TimestampColumn;
import io.streamingarrow.shared.ipc.ArrowIpcDecoder;
import io.streamingarrow.shared.ipc.ArrowIpcEncoder;
import io.streamingarrow.shared.ipc.DecodeLimits;
import io.streamingarrow.shared.schema.SeedSchema;
import io.streamingarrow.shared.testing.ArrowMemoryExtension;

@ExtendWith(ArrowMemoryExtension.class)
class ShardedBatcherTest {

    /** A sink that keeps every batch and acknowledges only when told to. */
    static final class HeldSink implements BatchSink {
        final List<EncodedBatch> batches = new ArrayList<>();
        final List<CompletableFuture<Void>> acks = new ArrayList<>();
        boolean acknowledgeNewBatches;

        @Override
        public synchronized CompletionStage<Void> publish(EncodedBatch batch) {
            batches.add(batch);
            CompletableFuture<Void> ack = new CompletableFuture<>();
            acks.add(ack);
            if (acknowledgeNewBatches) {
                ack.complete(null);
            }
            return ack;
        }

        /** Acknowledges everything sent so far and, from now on, every batch as it arrives. */
        synchronized void acknowledgeAll() {
            acknowledgeNewBatches = true;
            acks.forEach(a -> a.complete(null));
        }
    }

    private final AtomicLong clock = new AtomicLong();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    private ShardedBatcher batcher(BufferAllocator allocator, BatchSink sink, int shards, int maxRows, long maxBytes, int inFlight) {
        return new ShardedBatcher(allocator, new DeviceShards(shards),
                new ShardedBatcher.Limits(maxRows, maxBytes, Duration.ofMillis(200), inFlight),
                ArrowIpcEncoder.seedDefault(), sink, meters, clock::get);
    }

    private static byte[] device(String name) {
        return name.getBytes(StandardCharsets.UTF_8);
    }

    /** Decodes a batch into (device, ts) pairs. */
    private static List<String> rows(EncodedBatch batch) {
        List<String> rows = new ArrayList<>();
        new ArrowIpcDecoder(DecodeLimits.DEFAULT).decode(batch.bytes(), (root, index) -> {
            StringColumn devices = StringColumn.of(root.getVector(SeedSchema.DEVICE));
            TimestampColumn ts = TimestampColumn.of(root.getVector(SeedSchema.TS));
            for (int i = 0; i < root.getRowCount(); i++) {
                rows.add(new String(devices.utf8(i), StandardCharsets.UTF_8) + "@" + ts.micros(i));
            }
        });
        return rows;
    }

    @Test
    void flushesAFullBatchAndEveryRowArrivesOnceInItsDevicesShard(BufferAllocator allocator) {
        HeldSink sink = new HeldSink();
        try (ShardedBatcher batcher = batcher(allocator, sink, 4, 100, 1 << 20, 100)) {
            for (int i = 0; i < 1000; i++) {
                assertTrue(batcher.tryAppend(device("dev-" + (i % 13)), i, 1f, 99f, 2f, 98f, i));
            }
            assertFalse(batcher.drain(Duration.ofMillis(50)), "drain cannot complete while Kafka holds the acks");
            sink.acknowledgeAll();
            assertTrue(batcher.drain(Duration.ofSeconds(1)));

            Map<String, Set<String>> keysByDevice = new HashMap<>();
            List<String> all = new ArrayList<>();
            for (EncodedBatch batch : sink.batches) {
                List<String> rows = rows(batch);
                assertEquals(batch.rows(), rows.size());
                for (String row : rows) {
                    keysByDevice.computeIfAbsent(row.substring(0, row.indexOf('@')), d -> new HashSet<>()).add(batch.key());
                }
                all.addAll(rows);
            }
            assertEquals(1000, all.size());
            assertEquals(1000, new HashSet<>(all).size(), "no row twice");
            keysByDevice.forEach((device, keys) -> assertEquals(1, keys.size(), device + " went to several shards: " + keys));
            assertTrue(sink.batches.stream().anyMatch(b -> b.reason() == FlushReason.ROWS));
            assertEquals(1000, meters.get("producer.rows.published").counter().count());
        }
    }

    @Test
    void flushesByBytesBeforeRowsWhenRowsAreLarge(BufferAllocator allocator) {
        HeldSink sink = new HeldSink();
        try (ShardedBatcher batcher = batcher(allocator, sink, 1, 1000, 4096, 10)) {
            byte[] longName = device("x".repeat(200));
            for (int i = 0; i < 20; i++) {
                batcher.tryAppend(longName, i, 1f, 1f, 1f, 1f, i);
            }
            assertFalse(sink.batches.isEmpty());
            assertEquals(FlushReason.BYTES, sink.batches.get(0).reason());
            assertTrue(sink.batches.get(0).dataBytes() >= 4096);
            sink.acknowledgeAll();
            batcher.drain(Duration.ofSeconds(1));
        }
    }

    @Test
    void lingerFlushesAPartialBatchOnlyAfterTheLingerTime(BufferAllocator allocator) {
        HeldSink sink = new HeldSink();
        try (ShardedBatcher batcher = batcher(allocator, sink, 2, 1000, 1 << 20, 10)) {
            clock.set(1_000_000_000L);
            batcher.tryAppend(device("a"), 1, 1f, 1f, 1f, 1f, 1);
            clock.addAndGet(Duration.ofMillis(199).toNanos());
            batcher.flushLingering();
            assertTrue(sink.batches.isEmpty(), "flushed before linger elapsed");
            clock.addAndGet(Duration.ofMillis(1).toNanos());
            batcher.flushLingering();
            assertEquals(1, sink.batches.size());
            assertEquals(FlushReason.LINGER, sink.batches.get(0).reason());
            assertEquals(List.of("a@1"), rows(sink.batches.get(0)));
            sink.acknowledgeAll();
            assertTrue(batcher.drain(Duration.ofSeconds(1)));
        }
    }

    @Test
    void refusesRowsWhenEveryInFlightSlotIsTakenAndResumesAfterAnAck(BufferAllocator allocator) {
        HeldSink sink = new HeldSink();
        try (ShardedBatcher batcher = batcher(allocator, sink, 1, 10, 1 << 20, 2)) {
            int accepted = 0;
            for (int i = 0; i < 100; i++) {
                if (batcher.tryAppend(device("d"), i, 1f, 1f, 1f, 1f, i)) {
                    accepted++;
                }
            }
            // Two batches in flight, the third full in its builder: everything after is refused.
            assertEquals(2, sink.batches.size());
            assertEquals(30, accepted);
            assertTrue(batcher.saturated());
            assertTrue(meters.get("producer.backpressure.saturated").counter().count() > 0);
            assertEquals(2.0, meters.get("producer.batches.inflight").gauge().value());

            sink.acks.get(0).complete(null);
            assertFalse(batcher.saturated());
            assertTrue(batcher.tryAppend(device("d"), 1000, 1f, 1f, 1f, 1f, 0), "a freed slot lets rows in again");
            sink.acknowledgeAll();
            assertTrue(batcher.drain(Duration.ofSeconds(1)));
            long published = sink.batches.stream().mapToLong(EncodedBatch::rows).sum();
            assertEquals(31, published, "every accepted row was published, none twice");
        }
    }

    @Test
    void aWaitingAppendProceedsWhenKafkaAcknowledges(BufferAllocator allocator) throws Exception {
        HeldSink sink = new HeldSink();
        try (ShardedBatcher batcher = batcher(allocator, sink, 1, 5, 1 << 20, 1)) {
            for (int i = 0; i < 10; i++) {
                batcher.tryAppend(device("d"), i, 1f, 1f, 1f, 1f, i);
            }
            assertTrue(batcher.saturated());
            CompletableFuture<Boolean> waiting = CompletableFuture.supplyAsync(() ->
                    batcher.appendWaiting(device("d"), 99, 1f, 1f, 1f, 1f, 0, Duration.ofSeconds(10)));
            await().during(Duration.ofMillis(100)).atMost(Duration.ofSeconds(2))
                    .until(() -> !waiting.isDone()); // the append waits for a slot
            sink.acks.get(0).complete(null);
            assertTrue(waiting.get());
            sink.acknowledgeAll();
            assertTrue(batcher.drain(Duration.ofSeconds(1)));
        }
    }

    @Test
    void aSourceWaitingForKafkaDoesNotHoldUpOtherSourcesOfTheSameShard(BufferAllocator allocator) throws Exception {
        HeldSink sink = new HeldSink();
        try (ShardedBatcher batcher = batcher(allocator, sink, 1, 5, 1 << 20, 1)) {
            for (int i = 0; i < 10; i++) {
                batcher.tryAppend(device("d"), i, 1f, 1f, 1f, 1f, i);
            }
            assertTrue(batcher.saturated());
            // The fleet waits for a slot on the only shard...
            CompletableFuture<Boolean> fleet = CompletableFuture.supplyAsync(() ->
                    batcher.appendWaiting(device("d"), 99, 1f, 1f, 1f, 1f, 0, Duration.ofSeconds(10)));
            await().during(Duration.ofMillis(100)).atMost(Duration.ofSeconds(2)).until(() -> !fleet.isDone());
            // ...while HTTP ingest and the linger tick must get their answer at once, not after the fleet's wait.
            CompletableFuture<Boolean> http = CompletableFuture.supplyAsync(() ->
                    batcher.tryAppendNullable("d", 100, null, null, null, null, null));
            CompletableFuture<Void> tick = CompletableFuture.runAsync(batcher::flushLingering);
            assertFalse(http.get(2, java.util.concurrent.TimeUnit.SECONDS), "a saturated shard refuses at once");
            tick.get(2, java.util.concurrent.TimeUnit.SECONDS);
            assertFalse(fleet.isDone(), "the fleet still waits for Kafka");

            sink.acks.get(0).complete(null);
            assertTrue(fleet.get(2, java.util.concurrent.TimeUnit.SECONDS));
            sink.acknowledgeAll();
            assertTrue(batcher.drain(Duration.ofSeconds(1)));
            assertEquals(11, sink.batches.stream().mapToLong(EncodedBatch::rows).sum(), "every accepted row once");
        }
    }

    @Test
    void aRefusedBatchIsCountedAndFreesItsSlot(BufferAllocator allocator) {
        List<CompletableFuture<Void>> acks = new ArrayList<>();
        BatchSink failing = batch -> {
            CompletableFuture<Void> ack = new CompletableFuture<>();
            acks.add(ack);
            return ack;
        };
        try (ShardedBatcher batcher = batcher(allocator, failing, 1, 5, 1 << 20, 1)) {
            for (int i = 0; i < 5; i++) {
                batcher.tryAppend(device("d"), i, 1f, 1f, 1f, 1f, i);
            }
            acks.get(0).completeExceptionally(new IllegalStateException("broker gone"));
            assertEquals(1, batcher.failedBatches());
            assertFalse(batcher.saturated());
            assertEquals(1.0, meters.get("producer.batches.failed").counter().count());
        }
    }

    @Test
    void sameDeviceAlwaysMapsToTheSameShard() {
        DeviceShards shards = new DeviceShards(4);
        Set<Integer> used = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            byte[] name = device("sensor-" + i);
            int shard = shards.shardOf(name);
            assertEquals(shard, new DeviceShards(4).shardOf(name.clone()));
            used.add(shard);
        }
        assertEquals(4, used.size(), "200 devices should spread over all 4 shards");
        assertEquals("shard-3", shards.key(3));
    }
}
