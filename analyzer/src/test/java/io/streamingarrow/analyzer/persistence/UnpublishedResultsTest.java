package io.streamingarrow.analyzer.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.arrow.memory.BufferAllocator;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.streamingarrow.analyzer.alerting.AlertEngine;
import io.streamingarrow.analyzer.alerting.AlertRule;
import io.streamingarrow.analyzer.alerting.AlertTransition;
import io.streamingarrow.analyzer.alerting.Condition;
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
 * The analyzer stops after storing windows and an alert in PostgreSQL but before Kafka acknowledged their
 * publication (real PostgreSQL). Its input was not committed, so the next run reads those messages again and
 * skips their rows as replays: without more, those windows and that alert would never reach Kafka. The next run
 * publishes them from PostgreSQL at start, once; a run after that publishes nothing again.
 */
@ExtendWith(ArrowMemoryExtension.class)
class UnpublishedResultsTest {

    private static final long BASE = 1_767_225_600_000_000L;

    @RegisterExtension
    final ThrowawaySchema postgres = new ThrowawaySchema("analyzer_unpublished", 2);

    /** A broker that takes everything (counting it), or one that never answers (the analyzer dies first). */
    private static final class Kafka implements Outputs {
        final boolean answers;
        final Map<String, Integer> windows = new TreeMap<>();
        final List<String> alerts = new ArrayList<>();

        Kafka(boolean answers) {
            this.answers = answers;
        }

        @Override
        public synchronized CompletionStage<Void> windows(List<ClosedWindow> closed) {
            if (!answers) {
                return new CompletableFuture<>();
            }
            for (ClosedWindow w : closed) {
                windows.merge(w.device() + "@" + (w.startMicros() - BASE) + "#" + w.values().count(), 1, Integer::sum);
            }
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public synchronized CompletionStage<Void> alert(AlertTransition transition) {
            if (!answers) {
                return new CompletableFuture<>();
            }
            alerts.add(transition.device() + " " + transition.state() + " " + (transition.windowEndMicros() - BASE));
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

    private AnalyzerPipeline pipeline(AnalyzerStore store, Outputs kafka, AtomicLong clock) {
        EndOffsets broker = () -> new EndOffsets.Answer(Map.of(0, 4L), clock.get());
        AlertRule hot = new AlertRule("cpu-hot", "critical", Condition.parse("avg(cpu_used) > 90"), 1,
                Condition.parse("avg(cpu_used) < 50"));
        return new AnalyzerPipeline(new ArrowIpcDecoder(DecodeLimits.DEFAULT),
                new WindowAggregator(WindowSpec.tumbling(1_000_000), List.of("cpu_used"), 10_000),
                new Watermarks(300_000, Duration.ofSeconds(2).toNanos(), 1_000_000, broker, Duration.ofSeconds(3).toNanos()),
                new AlertEngine(List.of(hot)), store, kafka, clock::get, "arrow_tables", Duration.ofSeconds(10),
                Duration.ofSeconds(1));
    }

    /** Message m: 10 rows of dev-0 in second m (cpu 95 in the first second, then 10), from one partition. */
    private static List<byte[]> messages(BufferAllocator allocator) {
        ArrowIpcEncoder encoder = ArrowIpcEncoder.seedDefault();
        List<byte[]> messages = new ArrayList<>();
        for (int m = 0; m < 4; m++) {
            try (SeedBatchBuilder batch = new SeedBatchBuilder(allocator, 10)) {
                for (int i = 0; i < 10; i++) {
                    batch.append("dev-0", BASE + m * 1_000_000L + i * 90_000L, m == 0 ? 95f : 10f, 0f, 0f, 0f, i);
                }
                messages.add(batch.encodeAndReset(encoder));
            }
        }
        return messages;
    }

    private long count(String sql) {
        return postgres.pool().query(sql).execute().await().atMost(Duration.ofSeconds(10)).iterator().next().getLong(0);
    }

    /** Recorded without waiting, after Kafka's acknowledgement. */
    private void awaitNothingUnpublished() {
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> count("SELECT count(*) FROM " + postgres.schema()
                + ".window_aggregates WHERE unpublished")
                + count("SELECT count(*) FROM " + postgres.schema() + ".alerts WHERE open_unpublished OR resolve_unpublished") == 0);
    }

    @Test
    void resultsStoredButNeverAcknowledgedArePublishedByTheNextRunOnce(BufferAllocator allocator) {
        AnalyzerStore store = new AnalyzerStore(postgres.pool(), postgres.schema());
        store.migrate().await().atMost(Duration.ofSeconds(30));
        List<byte[]> messages = messages(allocator);
        AtomicLong clock = new AtomicLong();

        // Run 1: second 0 closes (with the alert it opens) and is stored; Kafka never answers, so nothing after it is
        // stored either (batches are stored and published in order); then the analyzer dies.
        AnalyzerPipeline first = pipeline(store, new Kafka(false), clock);
        first.restore();
        List<Integer> acknowledged = new ArrayList<>();
        for (int m = 0; m < messages.size(); m++) {
            int id = m;
            first.onMessage(0, m, null, messages.get(m), () -> acknowledged.add(id));
        }
        assertEquals(1, count("SELECT count(*) FROM " + postgres.schema() + ".window_aggregates WHERE unpublished"), "second 0 stored");
        assertEquals(1, count("SELECT count(*) FROM " + postgres.schema() + ".alerts WHERE open_unpublished"), "its alert stored");
        assertEquals(List.of(), acknowledged, "nothing acknowledged: Kafka never took the results");

        // Run 2: publishes them before anything else, then reads the uncommitted messages again: the rows of second 0
        // are replays (skipped), the rest closes as usual.
        Kafka kafka = new Kafka(true);
        AnalyzerPipeline second = pipeline(store, kafka, clock);
        second.restore();
        second.tick();
        assertEquals(Map.of("dev-0@0#10", 1), kafka.windows, "run 1's window");
        assertEquals(List.of("dev-0 OPEN 1000000"), kafka.alerts, "run 1's alert");
        assertEquals(2, second.republishedResults());
        for (int m = 0; m < messages.size(); m++) {
            second.onMessage(0, m, null, messages.get(m), () -> { });
        }
        clock.addAndGet(Duration.ofSeconds(30).toNanos()); // idle: the last second closes too
        second.tick();
        assertEquals(Map.of("dev-0@0#10", 1, "dev-0@1000000#10", 1, "dev-0@2000000#10", 1, "dev-0@3000000#10", 1),
                kafka.windows, "every window once: second 0 from PostgreSQL, the others from the messages read again");
        assertEquals(List.of("dev-0 OPEN 1000000", "dev-0 RESOLVED 2000000"), kafka.alerts);
        awaitNothingUnpublished();

        // Run 3: nothing left to publish again.
        Kafka third = new Kafka(true);
        AnalyzerPipeline after = pipeline(store, third, clock);
        after.restore();
        after.tick();
        assertEquals(Map.of(), third.windows);
        assertEquals(List.of(), third.alerts);
        assertEquals(0, after.republishedResults());
        assertTrue(count("SELECT count(*) FROM " + postgres.schema() + ".window_aggregates WHERE unpublished") == 0);
    }
}
