package io.streamingarrow.producer.batching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.streamingarrow.shared.contract.DeviceShards;
import io.streamingarrow.shared.ipc.ArrowIpcEncoder;
import io.streamingarrow.shared.testing.ArrowMemoryExtension;

/**
 * The batcher's per-batch tickets: a row's ticket completes only when Kafka acknowledged the batch the
 * row went into, fails when that batch is refused (or never flushed), and a requested flush does not
 * wait for linger.
 */
@ExtendWith(ArrowMemoryExtension.class)
class BatchTicketTest {

    private final AtomicLong clock = new AtomicLong();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    private ShardedBatcher batcher(BufferAllocator allocator, BatchSink sink, int shards, int maxRows, int inFlight) {
        return new ShardedBatcher(allocator, new DeviceShards(shards),
                new ShardedBatcher.Limits(maxRows, 1 << 20, Duration.ofSeconds(60), inFlight),
                ArrowIpcEncoder.seedDefault(), sink, meters, clock::get);
    }

    private static BatchTicket append(ShardedBatcher batcher, String device, long ts) {
        return batcher.tryAppendForAck(device, ts, 1f, null, null, null, null);
    }

    @Test
    void aTicketCompletesOnlyWhenKafkaAcknowledgesTheBatchTheRowWentInto(BufferAllocator allocator) {
        ShardedBatcherTest.HeldSink sink = new ShardedBatcherTest.HeldSink();
        try (ShardedBatcher batcher = batcher(allocator, sink, 1, 3, 4)) {
            BatchTicket first = append(batcher, "d", 1);
            assertSame(first, append(batcher, "d", 2), "rows of one batch share its ticket");
            assertSame(first, append(batcher, "d", 3), "the row that fills the batch gets the batch's ticket");
            assertEquals(1, sink.batches.size(), "full at 3 rows");
            BatchTicket second = append(batcher, "d", 4);
            assertNotSame(first, second, "the next row starts the next batch");
            assertFalse(first.stored().toCompletableFuture().isDone(), "sent is not stored");

            sink.acks.get(0).complete(null);
            assertTrue(first.isStored());
            assertFalse(second.stored().toCompletableFuture().isDone());
            sink.acknowledgeAll();
            assertTrue(batcher.drain(Duration.ofSeconds(1)));
            assertTrue(second.isStored());
        }
    }

    @Test
    void aRowInABatchThatKafkaRefusesFailsItsTicketWithKafkasError(BufferAllocator allocator) {
        ShardedBatcherTest.HeldSink sink = new ShardedBatcherTest.HeldSink();
        try (ShardedBatcher batcher = batcher(allocator, sink, 1, 2, 4)) {
            BatchTicket refused = append(batcher, "d", 1);
            append(batcher, "d", 2);
            BatchTicket next = append(batcher, "d", 3);
            IllegalStateException error = new IllegalStateException("record too large");
            sink.acks.get(0).completeExceptionally(error);
            assertTrue(refused.stored().toCompletableFuture().isCompletedExceptionally());
            assertSame(error, refused.failure());
            assertFalse(refused.isStored());
            assertNull(next.failure(), "the next batch is not touched");
            batcher.requestFlush(List.of(next));
            sink.acknowledgeAll();
            assertTrue(next.isStored());
        }
    }

    @Test
    void aRequestedFlushGoesAtOnceWithoutWaitingForLinger(BufferAllocator allocator) {
        ShardedBatcherTest.HeldSink sink = new ShardedBatcherTest.HeldSink();
        try (ShardedBatcher batcher = batcher(allocator, sink, 4, 1000, 8)) {
            BatchTicket a = append(batcher, "a", 1);
            BatchTicket b = append(batcher, "b", 2);
            assertTrue(sink.batches.isEmpty(), "linger is 60 s");
            batcher.requestFlush(List.of(a, b, a));
            assertEquals(a.shard() == b.shard() ? 1 : 2, sink.batches.size());
            assertTrue(sink.batches.stream().allMatch(batch -> batch.reason() == FlushReason.REQUESTED));
            assertEquals(0, batcher.lanesWantingFlush());
            sink.acknowledgeAll();
            assertTrue(a.isStored() && b.isStored());
            assertEquals(0.0, meters.get("producer.buffer.rows").gauge().value());
        }
    }

    @Test
    void aRequestedLaneWithABatchInFlightGathersRowsUntilThatBatchIsAcknowledged(BufferAllocator allocator) {
        ShardedBatcherTest.HeldSink sink = new ShardedBatcherTest.HeldSink();
        try (ShardedBatcher batcher = batcher(allocator, sink, 1, 1000, 8)) {
            AtomicInteger wakes = new AtomicInteger();
            batcher.onFlushWanted(wakes::incrementAndGet);
            BatchTicket first = append(batcher, "d", 1);
            batcher.requestFlush(List.of(first));
            assertEquals(1, sink.batches.size());

            // Two more requests while the first batch is in flight: their rows wait and go together.
            BatchTicket second = append(batcher, "d", 2);
            batcher.requestFlush(List.of(second));
            BatchTicket third = append(batcher, "d", 3);
            batcher.requestFlush(List.of(third));
            assertSame(second, third);
            assertEquals(1, sink.batches.size(), "one round trip at a time per lane");
            assertEquals(1, batcher.lanesWantingFlush());

            sink.acks.get(0).complete(null);
            assertTrue(first.isStored());
            assertEquals(1, wakes.get(), "the acknowledgement asks for the waiting flush");
            batcher.flushRequested(); // what the lifecycle's thread does when woken
            assertEquals(2, sink.batches.size());
            assertEquals(2, sink.batches.get(1).rows());
            assertEquals(FlushReason.REQUESTED, sink.batches.get(1).reason());
            sink.acknowledgeAll();
            assertTrue(second.isStored());
        }
    }

    @Test
    void aRequestedFlushWithNoFreeSlotGoesWhenASlotFrees(BufferAllocator allocator) {
        ShardedBatcherTest.HeldSink sink = new ShardedBatcherTest.HeldSink();
        try (ShardedBatcher batcher = batcher(allocator, sink, 2, 1000, 1)) {
            // Find two devices on different lanes.
            DeviceShards shards = new DeviceShards(2);
            String other = "y";
            for (int i = 0; shards.shardOf("x".getBytes()) == shards.shardOf(other.getBytes()); i++) {
                other = "y" + i;
            }
            AtomicInteger wakes = new AtomicInteger();
            batcher.onFlushWanted(wakes::incrementAndGet);
            BatchTicket x = append(batcher, "x", 1);
            batcher.requestFlush(List.of(x));
            BatchTicket y = append(batcher, other, 2);
            batcher.requestFlush(List.of(y));
            assertEquals(1, sink.batches.size(), "the only slot is taken");
            sink.acks.get(0).complete(null);
            assertEquals(1, wakes.get());
            batcher.flushRequested();
            assertEquals(2, sink.batches.size());
            sink.acknowledgeAll();
            assertTrue(y.isStored());
        }
    }

    @Test
    void closingFailsTheTicketsOfRowsNeverFlushed(BufferAllocator allocator) {
        ShardedBatcherTest.HeldSink sink = new ShardedBatcherTest.HeldSink();
        BatchTicket stranded;
        try (ShardedBatcher batcher = batcher(allocator, sink, 1, 1000, 1)) {
            stranded = append(batcher, "d", 1);
            assertNotNull(stranded);
        }
        assertTrue(stranded.stored().toCompletableFuture().isCompletedExceptionally());
        assertTrue(stranded.failure().getMessage().contains("closed"), stranded.failure().getMessage());
    }
}
