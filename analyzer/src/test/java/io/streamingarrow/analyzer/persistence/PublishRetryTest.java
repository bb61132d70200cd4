package io.streamingarrow.analyzer.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.streamingarrow.analyzer.alerting.AlertEngine;
import io.streamingarrow.analyzer.alerting.AlertTransition;
import io.streamingarrow.analyzer.consuming.AnalyzerPipeline;
import io.streamingarrow.analyzer.consuming.Outputs;
import io.streamingarrow.analyzer.windowing.ClosedWindow;
import io.streamingarrow.analyzer.windowing.EndOffsets;
import io.streamingarrow.analyzer.windowing.Watermarks;
import io.streamingarrow.analyzer.windowing.WindowAggregator;
import io.streamingarrow.analyzer.windowing.WindowSpec;
import io.streamingarrow.shared.batch.SeedBatchBuilder;
import io.streamingarrow.shared.ipc.ArrowIpcDecoder;
import io.streamingarrow.shared.ipc.ArrowIpcEncoder;
import io.streamingarrow.shared.ipc.DecodeLimits;
import io.streamingarrow.shared.testing.ArrowMemoryExtension;

/**
 * Kafka refuses some of the analyzer's output messages for a while (real PostgreSQL behind): the pipeline
 * takes no new message meanwhile and says why, sends again only what failed, and in the end every window is
 * published exactly once and every message acknowledged once.
 */
@ExtendWith(ArrowMemoryExtension.class)
class PublishRetryTest {

    @RegisterExtension
    final ThrowawaySchema postgres = new ThrowawaySchema("analyzer_publish", 2);

    /** Fails every send of device dev-1 while {@code down}; counts what the broker took. */
    private static final class FlakyKafka implements Outputs {
        final Map<String, Integer> published = new TreeMap<>();
        final AtomicInteger refused = new AtomicInteger();
        volatile boolean down = true;

        @Override
        public synchronized CompletionStage<Void> windows(List<ClosedWindow> closed) {
            if (down && closed.get(0).device().equals("dev-1")) {
                refused.incrementAndGet();
                return CompletableFuture.failedFuture(new IllegalStateException("broker unavailable"));
            }
            for (ClosedWindow w : closed) {
                published.merge(w.device() + "@" + w.startMicros(), 1, Integer::sum);
            }
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletionStage<Void> alert(AlertTransition transition) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void deadLetter(byte[] key, byte[] value, String reason, String topic, int partition, long offset, Runnable ack) {
            ack.run();
        }

        @Override
        public void deadLetterRows(byte[] key, byte[] value, String reason, String rows, int count, String topic,
                                   int partition, long offset, Runnable ack) {
            ack.run();
        }
    }

    private final List<Integer> acknowledged = new ArrayList<>();
    private CompletionStage<Void> last;
    private int next;

    /** As the Kafka connector does: the next message only once the previous one was taken. */
    private void feed(AnalyzerPipeline pipeline, List<byte[]> messages) {
        while (next < messages.size() && (last == null || last.toCompletableFuture().isDone())) {
            int id = next++;
            last = pipeline.offer(id % 2, id / 2, null, messages.get(id), () -> acknowledged.add(id));
        }
    }

    @Test
    void failedPublicationsAreSentAgainOnlyUntilTakenAndNothingIsAcknowledgedBefore(BufferAllocator allocator) {
        AnalyzerStore store = new AnalyzerStore(postgres.pool(), postgres.schema());
        store.migrate().await().atMost(Duration.ofSeconds(30));
        AtomicLong clock = new AtomicLong();
        FlakyKafka kafka = new FlakyKafka();
        EndOffsets broker = () -> new EndOffsets.Answer(Map.of(0, 10L, 1, 10L), clock.get());
        AnalyzerPipeline pipeline = new AnalyzerPipeline(new ArrowIpcDecoder(DecodeLimits.DEFAULT),
                new WindowAggregator(WindowSpec.tumbling(1_000_000), List.of("cpu_used"), 10_000),
                new Watermarks(300_000, Duration.ofSeconds(2).toNanos(), 1_000_000, broker, Duration.ofSeconds(3).toNanos()),
                new AlertEngine(List.of()), store, kafka, clock::get, "arrow_tables", Duration.ofSeconds(10),
                Duration.ofSeconds(1));
        long base = 1_767_225_600_000_000L;
        ArrowIpcEncoder encoder = ArrowIpcEncoder.seedDefault();
        List<byte[]> messages = new ArrayList<>();
        for (int m = 0; m < 10; m++) {
            for (int p = 0; p < 2; p++) {
                try (SeedBatchBuilder batch = new SeedBatchBuilder(allocator, 10)) {
                    for (int i = 0; i < 10; i++) {
                        batch.append("dev-" + p, base + m * 500_000L + i * 40_000L, i, 0f, 0f, 0f, i);
                    }
                    messages.add(batch.encodeAndReset(encoder));
                }
            }
        }
        feed(pipeline, messages);
        assertTrue(pipeline.blockedReason() != null && pipeline.blockedReason().contains("broker unavailable"),
                "says why it takes nothing: " + pipeline.blockedReason());
        assertTrue(last != null && !last.toCompletableFuture().isDone(), "a message waits to be taken");
        for (int i = 0; i < 5; i++) { // retries while Kafka still refuses
            clock.addAndGet(Duration.ofSeconds(1).toNanos());
            pipeline.tick();
            feed(pipeline, messages);
        }
        assertTrue(kafka.refused.get() >= 3, "retried with backoff: " + kafka.refused.get());
        assertTrue(acknowledged.size() < 20, "nothing acknowledged before its windows are published");

        kafka.down = false;
        for (int i = 0; i < 10; i++) {
            clock.addAndGet(Duration.ofSeconds(1).toNanos());
            pipeline.tick();
            feed(pipeline, messages);
        }
        assertNull(pipeline.blockedReason());
        assertEquals(20, next, "every message taken");
        assertTrue(last.toCompletableFuture().isDone());
        assertEquals(20, acknowledged.size(), "every message acknowledged");
        assertEquals(20, acknowledged.stream().distinct().count(), "once each");
        assertEquals(5, kafka.published.keySet().stream().filter(k -> k.startsWith("dev-1@")).count(), "dev-1's windows");
        assertEquals(5, kafka.published.keySet().stream().filter(k -> k.startsWith("dev-0@")).count(), "dev-0's windows");
        kafka.published.forEach((key, times) -> assertEquals(1, times, key + " published once"));
    }
}
