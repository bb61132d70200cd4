package io.streamingarrow.producer.ingest;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.streamingarrow.producer.batching.EncodedBatch;
import io.streamingarrow.producer.batching.ShardedBatcher;
import io.streamingarrow.shared.contract.DeviceShards;
import io.streamingarrow.shared.ipc.ArrowIpcEncoder;
import io.streamingarrow.shared.testing.ArrowMemoryExtension;

/**
 * What a request is told about its events once Kafka answered: each valid event is either accepted
 * (stored) or listed, by line, as not stored, never both and never neither, and the rows of a lane whose
 * batch failed are reported failed to the request that sent them.
 */
@ExtendWith(ArrowMemoryExtension.class)
class IngestStorageOutcomeTest {

    private final List<EncodedBatch> batches = new ArrayList<>();
    private final List<CompletableFuture<Void>> acks = new ArrayList<>();

    private ShardedBatcher batcher(BufferAllocator allocator, int shards, int maxRows) {
        return new ShardedBatcher(allocator, new DeviceShards(shards),
                new ShardedBatcher.Limits(maxRows, 1 << 20, Duration.ofSeconds(60), 16), ArrowIpcEncoder.seedDefault(),
                batch -> {
                    CompletableFuture<Void> ack = new CompletableFuture<>();
                    synchronized (batches) {
                        batches.add(batch);
                        acks.add(ack);
                    }
                    return ack;
                }, new SimpleMeterRegistry(), new AtomicLong()::get);
    }

    /** Two device names on different lanes of a 2-shard batcher. */
    private static String[] devicesOnTwoLanes() {
        DeviceShards shards = new DeviceShards(2);
        String other = "b";
        for (int i = 0; shards.shardOf("a".getBytes(StandardCharsets.UTF_8)) == shards.shardOf(other.getBytes(StandardCharsets.UTF_8)); i++) {
            other = "b" + i;
        }
        return new String[] {"a", other};
    }

    @Test
    void theLinesOfARefusedLaneAreReportedNotStoredAndTheRestAccepted(BufferAllocator allocator) throws Exception {
        String[] devices = devicesOnTwoLanes();
        try (ShardedBatcher batcher = batcher(allocator, 2, 1000)) {
            Ingestor ingestor = new Ingestor(new EventParser(new ObjectMapper()), batcher);
            // Lines 1-4 on lane A, 5-6 on lane B, line 7 invalid, 8 on lane A, 9 on lane B.
            String body = String.join("\n",
                    event(devices[0], 1), event(devices[0], 2), event(devices[0], 3), event(devices[0], 4),
                    event(devices[1], 5), event(devices[1], 6), "{\"device\":\"\"}", event(devices[0], 8),
                    event(devices[1], 9));
            Ingestor.Submission submission = ingestor.submit(body.getBytes(StandardCharsets.UTF_8), 0);
            assertEquals(8, submission.takenEvents());
            assertEquals(2, submission.tickets().size(), "one batch per lane");
            assertEquals(2, batches.size(), "both flushed without waiting for linger");
            CompletableFuture<IngestOutcome> outcome =
                    submission.whenStored(Duration.ofSeconds(30), Runnable::run).toCompletableFuture();
            int laneB = batches.get(0).key().equals("shard-" + new DeviceShards(2).shardOf(devices[1].getBytes(StandardCharsets.UTF_8))) ? 0 : 1;
            acks.get(1 - laneB).complete(null);
            assertFalse(outcome.isDone(), "the answer waits for every batch");
            acks.get(laneB).completeExceptionally(new IllegalStateException("NOT_ENOUGH_REPLICAS"));

            IngestOutcome result = outcome.get();
            assertEquals(5, result.accepted());
            assertEquals(List.of(7), result.rejected().stream().map(Rejection::line).toList());
            assertEquals(3, result.notStoredEvents());
            List<String> runs = result.notStored().stream().map(r -> r.fromLine() + "-" + r.toLine() + ":" + r.events()).toList();
            assertEquals(List.of("5-6:2", "9-9:1"), runs, "line 7 (rejected) and 8 (stored) split the runs");
            assertTrue(result.notStored().get(0).reason().contains("NOT_ENOUGH_REPLICAS"), result.notStored().get(0).reason());
            assertFalse(result.notStored().get(0).stillPending());
            assertEveryValidLineOnce(result, 9);
        }
    }

    @Test
    void batchesNotAcknowledgedInTimeAreReportedAsPossiblyStored(BufferAllocator allocator) throws Exception {
        try (ShardedBatcher batcher = batcher(allocator, 1, 1000)) {
            Ingestor ingestor = new Ingestor(new EventParser(new ObjectMapper()), batcher);
            Ingestor.Submission submission = ingestor.submit(
                    (event("d", 1) + "\n" + event("d", 2)).getBytes(StandardCharsets.UTF_8), 0);
            CompletableFuture<IngestOutcome> outcome =
                    submission.whenStored(Duration.ofMillis(200), Runnable::run).toCompletableFuture();
            await().atMost(Duration.ofSeconds(5)).until(outcome::isDone);
            IngestOutcome result = outcome.get();
            assertEquals(0, result.accepted());
            assertEquals(1, result.notStored().size());
            IngestOutcome.NotStored run = result.notStored().get(0);
            assertEquals(List.of(1, 2, 2), List.of(run.fromLine(), run.toLine(), run.events()));
            assertTrue(run.stillPending());
            assertTrue(run.reason().contains("200 ms"), run.reason());
            acks.forEach(a -> a.complete(null)); // late: the batcher still settles it
            assertTrue(batcher.drain(Duration.ofSeconds(1)));
        }
    }

    @Test
    void rowsFromConcurrentRequestsShareABatchAndBothHearOfItsFailure(BufferAllocator allocator) throws Exception {
        try (ShardedBatcher batcher = batcher(allocator, 1, 1000)) {
            Ingestor ingestor = new Ingestor(new EventParser(new ObjectMapper()), batcher);
            Ingestor.Submission first = ingestor.submit(event("d", 1).getBytes(StandardCharsets.UTF_8), 0);
            // The first request's batch is in flight; the next two requests' rows gather in the lane.
            Ingestor.Submission second = ingestor.submit(event("d", 2).getBytes(StandardCharsets.UTF_8), 0);
            Ingestor.Submission third = ingestor.submit(event("d", 3).getBytes(StandardCharsets.UTF_8), 0);
            assertEquals(1, batches.size());
            acks.get(0).complete(null);
            batcher.flushRequested();
            assertEquals(2, batches.size());
            assertEquals(2, batches.get(1).rows(), "the two waiting requests went out as one batch");
            acks.get(1).completeExceptionally(new IllegalStateException("broker gone"));

            assertEquals(1, first.whenStored(Duration.ofSeconds(5), Runnable::run).toCompletableFuture().get().accepted());
            for (Ingestor.Submission failed : List.of(second, third)) {
                IngestOutcome result = failed.whenStored(Duration.ofSeconds(5), Runnable::run).toCompletableFuture().get();
                assertEquals(0, result.accepted());
                assertEquals(1, result.notStoredEvents());
            }
        }
    }

    private static String event(String device, long ts) {
        return "{\"device\":\"" + device + "\",\"ts\":" + ts + ",\"cpu_used\":1.5}";
    }

    /** Every valid line is accepted or not stored, exactly once; rejected lines are neither. */
    private static void assertEveryValidLineOnce(IngestOutcome result, int lines) {
        Set<Integer> rejected = new HashSet<>(result.rejected().stream().map(Rejection::line).toList());
        int notStored = 0;
        for (IngestOutcome.NotStored run : result.notStored()) {
            for (int line = run.fromLine(); line <= run.toLine(); line++) {
                assertFalse(rejected.contains(line), "line " + line + " both rejected and not stored");
            }
            notStored += run.events();
        }
        assertEquals(lines - rejected.size(), result.accepted() + notStored, "accepted + not stored = valid lines");
    }
}
