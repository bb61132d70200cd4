package io.streamingarrow.sink.inserting;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.streamingarrow.sink.clickhouse.ClickHouseException;
import io.streamingarrow.sink.clickhouse.ClickHouseType;
import io.streamingarrow.sink.clickhouse.TableColumn;
import io.streamingarrow.sink.clickhouse.TableSchema;
import io.streamingarrow.sink.conversion.ColumnBinding;
import io.streamingarrow.sink.conversion.ConversionPlan;
import io.streamingarrow.sink.conversion.EncodedMessage;

/**
 * Flow control of the batcher with an in-memory transport whose answers the test controls: merging,
 * splitting on a different column list, the in-flight bound, pausing the caller, refusal after retries.
 */
class InsertBatcherTest {

    private final ScheduledExecutorService pipeline = Executors.newSingleThreadScheduledExecutor();

    private record Call(String sql, byte[] body, CompletableFuture<Void> answer) {
    }

    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private final InsertTransport transport = (sql, parts, gzipped) -> {
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        for (java.nio.ByteBuffer part : parts) {
            byte[] bytes = new byte[part.remaining()];
            part.duplicate().get(bytes);
            body.writeBytes(bytes);
        }
        Call call = new Call(sql, body.toByteArray(), new CompletableFuture<>());
        calls.add(call);
        return call.answer();
    };

    private final List<String> settled = new CopyOnWriteArrayList<>();
    /** Chunks of 4 bytes, at most 32 off the heap: bodies here span chunks, and the larger ones overflow to the heap. */
    private final InsertMemory memory = new InsertMemory(32, 4);

    @AfterEach
    void stop() {
        pipeline.shutdownNow();
    }

    private InsertBatcher batcher(int maxRows, int maxInFlight, int rejectedAttempts) {
        return new InsertBatcher(new InsertBatcher.Limits(maxRows, 1 << 20, 60_000, maxInFlight,
                new Backoff(Duration.ofMillis(1), Duration.ofMillis(2)), rejectedAttempts, false), transport, pipeline, InsertMetrics.NONE, memory);
    }

    private static ConversionPlan plan(String column) {
        TableColumn c = new TableColumn(column, ClickHouseType.parse("UInt8"), "");
        return new ConversionPlan(new TableSchema("db", "t", List.of(c)),
                List.of(new ColumnBinding(c, 0, true, (source, rows, origin, out) -> { })), List.of(), List.of());
    }

    private CompletionStage<Void> add(InsertBatcher batcher, ConversionPlan plan, String id, int rows) throws Exception {
        EncodedMessage message = new EncodedMessage(plan, id.getBytes(), rows);
        return pipeline.submit(() -> batcher.add(message, new Delivery() {
            public void inserted() {
                settled.add(id + ":inserted");
            }

            public void rejected(Throwable cause, byte[] original) {
                settled.add(id + ":rejected");
            }
        })).get(5, TimeUnit.SECONDS);
    }

    private void awaitCalls(int n) {
        await().alias("expected " + n + " INSERTs").atMost(Duration.ofSeconds(5)).until(() -> calls.size() >= n);
    }

    private void awaitSettled(int n) {
        await().alias("expected " + n + " settled").atMost(Duration.ofSeconds(5)).until(() -> settled.size() >= n);
    }

    @Test
    void mergesMessagesAndAcknowledgesOnlyAfterTheInsertSucceeded() throws Exception {
        InsertBatcher batcher = batcher(10, 2, 3);
        ConversionPlan a = plan("a");
        add(batcher, a, "m1", 4);
        add(batcher, a, "m2", 4);
        assertTrue(calls.isEmpty());
        add(batcher, a, "m3", 4); // 12 rows ≥ 10: one INSERT with all three bodies
        awaitCalls(1);
        assertEquals("m1m2m3", new String(calls.get(0).body()));
        assertEquals("INSERT INTO `db`.`t` (`a`) FORMAT Native", calls.get(0).sql());
        await().alias("nothing acknowledged before ClickHouse answered").during(Duration.ofMillis(50))
                .atMost(Duration.ofSeconds(1)).until(settled::isEmpty);
        calls.get(0).answer().complete(null);
        awaitSettled(3);
        assertEquals(List.of("m1:inserted", "m2:inserted", "m3:inserted"), settled);
    }

    @Test
    void aDifferentColumnListStartsANewInsertAndTheCallerPausesWhenSlotsAreFull() throws Exception {
        InsertBatcher batcher = batcher(10, 1, 3);
        add(batcher, plan("a"), "a1", 3);
        assertTrue(add(batcher, plan("b"), "b1", 3).toCompletableFuture().isDone()); // a1 flushed, in flight
        awaitCalls(1);
        CompletionStage<Void> paused = add(batcher, plan("a"), "a2", 3); // b1 must wait: slot taken
        assertFalse(paused.toCompletableFuture().isDone(), "caller paused while a full buffer waits");
        assertEquals(1, calls.size());
        calls.get(0).answer().complete(null);
        paused.toCompletableFuture().get(5, TimeUnit.SECONDS);
        awaitCalls(2);
        assertEquals("b1", new String(calls.get(1).body()));
        assertTrue(calls.get(1).sql().contains("`b`"));
    }

    @Test
    void whileEverySlotIsTakenABufferPastMaxRowsKeepsFillingAndGoesAsOneInsert() throws Exception {
        InsertBatcher batcher = batcher(4, 1, 3);
        add(batcher, plan("a"), "m1", 4); // reaches maxRows with the slot free: goes at once
        awaitCalls(1);
        for (int i = 2; i <= 4; i++) {
            // ClickHouse is behind (the one slot is taken): the next buffer grows past maxRows, the caller goes on
            assertTrue(add(batcher, plan("a"), "m" + i, 4).toCompletableFuture().isDone(), "caller not paused");
        }
        assertEquals(1, calls.size(), "no INSERT while the slot is taken");
        calls.get(0).answer().complete(null);
        awaitCalls(2);
        assertEquals("m2m3m4", new String(calls.get(1).body()));
        calls.get(1).answer().complete(null);
        awaitSettled(4);
    }

    @Test
    void whileKafkaHoldsABacklogTheBufferFillsPastMaxRowsUpToMaxBytes() throws Exception {
        InsertBatcher batcher = new InsertBatcher(new InsertBatcher.Limits(1, 6, 60_000, 2,
                new Backoff(Duration.ofMillis(1), Duration.ofMillis(2)), 3, false, 1_000), transport, pipeline, InsertMetrics.NONE, memory);
        addAged(batcher, "m1", 5_000); // older than behind-after: the sink is behind, slots free or not
        addAged(batcher, "m2", 5_000);
        assertTrue(calls.isEmpty(), "no INSERT at max-rows while behind");
        addAged(batcher, "m3", 5_000); // 6 bytes: max-bytes
        awaitCalls(1);
        assertEquals("m1m2m3", new String(calls.get(0).body()));
        addAged(batcher, "m4", 10); // caught up: max-rows again
        awaitCalls(2);
        assertEquals("m4", new String(calls.get(1).body()));
    }

    private void addAged(InsertBatcher batcher, String id, long ageMillis) throws Exception {
        EncodedMessage message = new EncodedMessage(plan("a"), id.getBytes(), 1);
        pipeline.submit(() -> batcher.add(message, new Delivery() {
            public void inserted() {
                settled.add(id + ":inserted");
            }

            public void rejected(Throwable cause, byte[] original) {
                settled.add(id + ":rejected");
            }
        }, ageMillis)).get(5, TimeUnit.SECONDS);
    }

    @Test
    void aBufferAtMaxBytesWaitsForASlotAndPausesTheCaller() throws Exception {
        InsertBatcher batcher = new InsertBatcher(new InsertBatcher.Limits(1, 4, 60_000, 1,
                new Backoff(Duration.ofMillis(1), Duration.ofMillis(2)), 3, false), transport, pipeline, InsertMetrics.NONE, memory);
        add(batcher, plan("a"), "m1", 1);
        awaitCalls(1);
        assertTrue(add(batcher, plan("a"), "m2", 1).toCompletableFuture().isDone()); // 2 bytes < 4: keeps filling
        CompletionStage<Void> paused = add(batcher, plan("a"), "m3", 1); // 4 bytes: full, waits for the slot
        assertFalse(paused.toCompletableFuture().isDone(), "caller paused while a full buffer waits");
        calls.get(0).answer().complete(null);
        paused.toCompletableFuture().get(5, TimeUnit.SECONDS);
        awaitCalls(2);
        assertEquals("m2m3", new String(calls.get(1).body()));
    }

    @Test
    void refusedInsertsAreRetriedThenTheirMessagesRejected() throws Exception {
        InsertBatcher batcher = batcher(1, 2, 3);
        add(batcher, plan("a"), "m1", 1);
        for (int attempt = 1; attempt <= 3; attempt++) {
            awaitCalls(attempt);
            calls.get(attempt - 1).answer().completeExceptionally(
                    ClickHouseException.fromResponse(500, null, "Code: 53, e.displayText() = DB::Exception: Type mismatch"));
        }
        awaitSettled(1);
        assertEquals(List.of("m1:rejected"), settled);
        assertEquals(3, calls.size());
    }

    @Test
    void transientFailuresRetryUntilTheServerAnswers() throws Exception {
        InsertBatcher batcher = batcher(1, 2, 1);
        add(batcher, plan("a"), "m1", 1);
        List<Integer> attempts = new ArrayList<>();
        for (int attempt = 1; attempt <= 5; attempt++) {
            awaitCalls(attempt);
            attempts.add(attempt);
            calls.get(attempt - 1).answer().completeExceptionally(ClickHouseException.unreachable(new java.net.ConnectException("refused")));
        }
        awaitCalls(6);
        calls.get(5).answer().complete(null);
        awaitSettled(1);
        assertEquals(List.of("m1:inserted"), settled);
    }

    @Test
    void anInsertThatCannotEvenStartIsRetriedAndItsSlotFreed() throws Exception {
        // The benchmark found this: the body could not be allocated (OutOfMemoryError) after the slot was
        // taken, the error vanished inside the executor, and the sink waited for that INSERT forever.
        AtomicInteger starts = new AtomicInteger();
        InsertTransport failingFirst = (sql, parts, gzipped) -> {
            if (starts.incrementAndGet() == 1) {
                throw new OutOfMemoryError("Java heap space (simulated)");
            }
            return transport.insert(sql, parts, gzipped);
        };
        InsertBatcher batcher = new InsertBatcher(new InsertBatcher.Limits(1, 1 << 20, 60_000, 1,
                new Backoff(Duration.ofMillis(1), Duration.ofMillis(2)), 1, false), failingFirst, pipeline, InsertMetrics.NONE, memory);
        add(batcher, plan("a"), "m1", 1);
        awaitCalls(1);
        assertEquals("m1", new String(calls.get(0).body()));
        calls.get(0).answer().complete(null);
        awaitSettled(1);
        assertEquals(List.of("m1:inserted"), settled);
        await().atMost(Duration.ofSeconds(5)).until(() -> batcher.inFlight() == 0);
        // The slot is free again: the next message goes straight out.
        add(batcher, plan("a"), "m2", 1);
        awaitCalls(2);
        assertEquals(3, starts.get(), "the start that failed, its retry, m2");
    }

    @Test
    void bodiesStayInPooledChunksUntilTheLastAnswerThenTheChunksAreReused() throws Exception {
        InsertBatcher batcher = batcher(3, 1, 3);
        ConversionPlan a = plan("a");
        add(batcher, a, "first-", 1);
        add(batcher, a, "second-", 1);
        add(batcher, a, "third", 1); // 18 bytes in 4-byte chunks
        awaitCalls(1);
        assertEquals(20, memory.inUseBytes(), "five chunks hold the body while ClickHouse works");
        calls.get(0).answer().completeExceptionally(ClickHouseException.unreachable(new java.net.ConnectException("refused")));
        awaitCalls(2);
        assertEquals("first-second-third", new String(calls.get(1).body()), "the retry sends the same bytes");
        assertEquals(20, memory.inUseBytes(), "kept for the retry");
        calls.get(1).answer().complete(null);
        awaitSettled(3);
        await().atMost(Duration.ofSeconds(5)).until(() -> memory.inUseBytes() == 0);
        long reserved = memory.reservedBytes();

        add(batcher, a, "fourth-", 1);
        add(batcher, a, "fifth-", 1);
        add(batcher, a, "sixth", 1);
        awaitCalls(3);
        assertEquals("fourth-fifth-sixth", new String(calls.get(2).body()));
        assertEquals(reserved, memory.reservedBytes(), "the next INSERT reuses the chunks");
        calls.get(2).answer().complete(null);
        awaitSettled(6);

        // A body larger than the pool: the chunks past its limit come from the heap, and nothing is lost.
        String big = "0123456789".repeat(5);
        add(batcher, a, big, 3);
        awaitCalls(4);
        assertEquals(big, new String(calls.get(3).body()));
        assertTrue(memory.overflowChunks() > 0, "chunks beyond the limit were counted");
        assertTrue(memory.reservedBytes() <= memory.limitBytes());
        calls.get(3).answer().complete(null);
        await().atMost(Duration.ofSeconds(5)).until(() -> memory.inUseBytes() == 0);
    }

    @Test
    void aRefusedInsertHandsBackEachMessagesOwnBytesKeptOffTheHeap() throws Exception {
        InsertMemory memory = new InsertMemory(256, 4);
        InsertBatcher batcher = new InsertBatcher(new InsertBatcher.Limits(3, 1 << 20, 60_000, 1,
                new Backoff(Duration.ofMillis(1), Duration.ofMillis(2)), 1, false), transport, pipeline, InsertMetrics.NONE, memory);
        List<String> originals = new CopyOnWriteArrayList<>();
        String[] values = {"the first message's bytes", "", "third"};
        for (int i = 0; i < values.length; i++) {
            String id = "m" + (i + 1);
            byte[] original = values[i].getBytes();
            EncodedMessage message = new EncodedMessage(plan("a"), id.getBytes(), 1);
            pipeline.submit(() -> batcher.add(message, original, new Delivery() {
                public void inserted() {
                    settled.add(id + ":inserted");
                }

                public void rejected(Throwable cause, byte[] kept) {
                    originals.add(new String(kept));
                    settled.add(id + ":rejected");
                }
            }, 0)).get(5, TimeUnit.SECONDS);
        }
        awaitCalls(1);
        assertEquals(40, memory.inUseBytes(), "2 chunks of blocks (6 bytes) + 8 of originals (30 bytes), 4 bytes each");
        calls.get(0).answer().completeExceptionally(
                ClickHouseException.fromResponse(500, null, "Code: 53, e.displayText() = DB::Exception: Type mismatch"));
        awaitSettled(3);
        assertEquals(List.of("m1:rejected", "m2:rejected", "m3:rejected"), settled);
        assertEquals(List.of(values), originals);
        await().atMost(Duration.ofSeconds(5)).until(() -> memory.inUseBytes() == 0);
    }

    @Test
    void theCallerPausesWhileTheInsertMemoryIsAtItsLimitAndWhatIsBufferedGoes() throws Exception {
        // max-rows and max-bytes far away: only the memory (32 bytes in 4-byte chunks) stops the caller.
        InsertBatcher batcher = batcher(1000, 2, 3);
        ConversionPlan a = plan("a");
        assertTrue(add(batcher, a, "0123456789", 1).toCompletableFuture().isDone());
        assertTrue(add(batcher, a, "abcdefghij", 1).toCompletableFuture().isDone());
        assertTrue(calls.isEmpty(), "24 of 32 bytes: still filling");
        CompletionStage<Void> paused = add(batcher, a, "ABCDEFGHIJ", 1); // 36 bytes: over the limit
        awaitCalls(1);
        assertEquals("0123456789abcdefghijABCDEFGHIJ", new String(calls.get(0).body()), "the buffer went at once");
        assertFalse(paused.toCompletableFuture().isDone(), "caller paused while the memory is full");
        calls.get(0).answer().complete(null);
        paused.toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertEquals(0, memory.inUseBytes());
        assertTrue(add(batcher, a, "next", 1).toCompletableFuture().isDone());
    }
}
