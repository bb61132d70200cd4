package io.streamingarrow.analyzer.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
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
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Row;

/**
 * Crash and restart mid-stream against the real PostgreSQL of the local stack, with Kafka's rules played
 * out exactly: after the crash each partition is read again from its first unacknowledged message (what
 * the throttled strategy commits). Every window must then be stored exactly once with the values a single
 * uninterrupted run gives, for tumbling and hopping windows.
 */
@ExtendWith(ArrowMemoryExtension.class)
class RestartRecoveryTest {

    private static final String TOPIC = "arrow_tables";
    private static final int PARTITIONS = 3;

    @RegisterExtension
    final ThrowawaySchema postgres = new ThrowawaySchema("analyzer_restart", 4);

    /** One Kafka message of the test stream. */
    record Message(int partition, long offset, byte[] bytes) {
    }

    /** What the pipeline publishes: the latest revision of each window (device@start). */
    private static final class PublishedWindows implements Outputs {
        final Map<String, ClosedWindow> latest = new TreeMap<>();

        @Override
        public CompletionStage<Void> windows(List<ClosedWindow> closed) {
            for (ClosedWindow w : closed) {
                latest.merge(w.device() + "@" + w.startMicros(), w, (a, b) -> b.revision() >= a.revision() ? b : a);
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

    private final PublishedWindows published = new PublishedWindows();

    private AnalyzerPipeline pipeline(AnalyzerStore store, WindowSpec spec, AtomicLong clock, boolean corrections,
                                      Map<Integer, Long> endOffsets) {
        // The broker holds the whole stream and always answers.
        EndOffsets broker = () -> new EndOffsets.Answer(endOffsets, clock.get());
        return new AnalyzerPipeline(new ArrowIpcDecoder(DecodeLimits.DEFAULT),
                new WindowAggregator(spec, List.of("cpu_used"), 100_000, corrections),
                new Watermarks(300_000, Duration.ofSeconds(5).toNanos(), spec.sizeMicros(), broker, Duration.ofSeconds(3).toNanos()),
                new AlertEngine(List.of()), store, published, clock::get, TOPIC, Duration.ofSeconds(30));
    }

    @Test
    void tumblingWindowsSurviveACrashExactlyOnce(BufferAllocator allocator) {
        survivesACrash(allocator, WindowSpec.tumbling(1_000_000), 11, false);
    }

    @Test
    void hoppingWindowsSurviveACrashExactlyOnce(BufferAllocator allocator) {
        survivesACrash(allocator, new WindowSpec(2_000_000, 500_000), 12, false);
    }

    /**
     * Late rows in the stream and corrections on: each late row is merged into its stored window once,
     * whether its message was read before the crash (and is re-read after it) or only after.
     */
    @Test
    void correctionsByLateRowsSurviveACrashExactlyOnce(BufferAllocator allocator) {
        survivesACrash(allocator, WindowSpec.tumbling(1_000_000), 13, true);
    }

    @Test
    void hoppingCorrectionsSurviveACrashExactlyOnce(BufferAllocator allocator) {
        survivesACrash(allocator, new WindowSpec(2_000_000, 500_000), 14, true);
    }

    private void survivesACrash(BufferAllocator allocator, WindowSpec spec, long seed, boolean lateRows) {
        Random random = new Random(seed);
        List<Message> stream = new ArrayList<>();
        Map<String, double[]> expected = new TreeMap<>(); // device@start -> count, sum
        long base = 1_767_225_600_000_000L;
        long[] nextOffset = new long[PARTITIONS];
        ArrowIpcEncoder encoder = ArrowIpcEncoder.seedDefault();
        for (int m = 0; m < 120; m++) {
            int partition = m % PARTITIONS;
            String device = "dev-" + partition; // a device lives in one partition, as the producer keys it
            try (SeedBatchBuilder batch = new SeedBatchBuilder(allocator, 20)) {
                for (int i = 0; i < 20; i++) {
                    long ts = base + m * 60_000L + i * 3_000L - random.nextInt(100_000);
                    if (lateRows && m > 20 && i < 3 && m % 5 == 0) {
                        ts -= 4_000_000 + random.nextInt(1_000_000); // seconds behind a watermark 0.3 s behind
                    }
                    float cpu = random.nextFloat() * 100;
                    batch.append(device, ts, cpu, 100 - cpu, 0f, 0f, 0);
                    for (long start = Math.floorDiv(ts, spec.slideMicros()) * spec.slideMicros(); start > ts - spec.sizeMicros();
                         start -= spec.slideMicros()) {
                        double[] w = expected.computeIfAbsent(device + "@" + start, k -> new double[2]);
                        w[0]++;
                        w[1] += cpu;
                    }
                }
                stream.add(new Message(partition, nextOffset[partition]++, batch.encodeAndReset(encoder)));
            }
        }

        AnalyzerStore store = new AnalyzerStore(postgres.pool(), postgres.schema());
        store.migrate().await().atMost(Duration.ofSeconds(30));
        AtomicLong clock = new AtomicLong();

        // First run: crash after 70 messages; acknowledgements recorded per partition.
        Map<Integer, List<Long>> acked = new HashMap<>();
        Map<Integer, Long> endOffsets = new HashMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            endOffsets.put(p, nextOffset[p]);
        }
        AnalyzerPipeline first = pipeline(store, spec, clock, lateRows, endOffsets);
        first.restore();
        for (Message message : stream.subList(0, 70)) {
            first.onMessage(message.partition(), message.offset(), null, message.bytes(),
                    () -> acked.computeIfAbsent(message.partition(), p -> new ArrayList<>()).add(message.offset()));
        }
        assertTrue(countWindows() > 0, "some windows were stored before the crash");
        assertTrue(first.pendingMessages() > 0, "some messages were still feeding open windows");

        // Kafka after the crash: each partition resumes after its contiguous acknowledged prefix.
        Map<Integer, Long> committed = new HashMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            long next = 0;
            List<Long> offsets = acked.getOrDefault(p, List.of());
            while (offsets.contains(next)) {
                next++;
            }
            committed.put(p, next);
        }
        if (lateRows) {
            assertTrue(revisedWindows() > 0, "late rows corrected stored windows before the crash");
        }
        AnalyzerPipeline second = pipeline(store, spec, clock, lateRows, endOffsets);
        second.restore();
        for (Message message : stream) {
            if (message.offset() >= committed.get(message.partition())) {
                second.onMessage(message.partition(), message.offset(), null, message.bytes(), () -> { });
            }
        }
        clock.addAndGet(Duration.ofSeconds(10).toNanos()); // the stream pauses: the last windows close
        second.tick();
        if (lateRows) {
            assertTrue(second.lateRows() > 0 && second.correctedWindows() > 0, "late rows read only after the restart");
            assertTrue(second.replayedRows() > 0, "rows re-read after the restart were recognised as replays");
        }

        Map<String, double[]> stored = new TreeMap<>();
        for (Row row : postgres.pool().query("SELECT device, window_start, row_count, stats FROM " + postgres.schema() + ".window_aggregates")
                .execute().await().atMost(Duration.ofSeconds(10))) {
            long start = AnalyzerStore.micros(row.getOffsetDateTime("window_start"));
            JsonObject cpu = ((JsonObject) row.getValue("stats")).getJsonObject("cpu_used");
            double count = row.getLong("row_count");
            assertTrue(stored.put(row.getString("device") + "@" + start, new double[] {count, cpu.getDouble("mean") * count}) == null);
        }
        assertEquals(expected.keySet(), stored.keySet(), "every window, once");
        expected.forEach((key, w) -> {
            assertEquals(w[0], stored.get(key)[0], key + " rows");
            assertEquals(w[1], stored.get(key)[1], 1e-6 * w[0], key + " cpu sum");
        });
        // Published (Kafka in the service): every window, and the latest revision of each is what is stored.
        assertEquals(expected.keySet(), published.latest.keySet(), "every window published");
        published.latest.forEach((key, w) -> {
            assertEquals(stored.get(key)[0], w.values().count(), key + " published rows (revision " + w.revision() + ")");
            assertEquals(stored.get(key)[1], w.values().mean(0) * w.values().count(), 1e-6 * w.values().count(), key + " published cpu");
        });
        if (lateRows) {
            assertTrue(published.latest.values().stream().anyMatch(w -> w.revision() > 0), "corrections were published");
        }
    }

    private long revisedWindows() {
        return postgres.pool().query("SELECT count(*) AS n FROM " + postgres.schema() + ".window_aggregates WHERE revision > 0").execute()
                .await().atMost(Duration.ofSeconds(10)).iterator().next().getLong("n");
    }

    private long countWindows() {
        return postgres.pool().query("SELECT count(*) AS n FROM " + postgres.schema() + ".window_aggregates").execute()
                .await().atMost(Duration.ofSeconds(10)).iterator().next().getLong("n");
    }
}
