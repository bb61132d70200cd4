package io.streamingarrow.analyzer.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
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
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Progress that an earlier version let a year-9999 row push to year 10000 (real PostgreSQL): on restart it
 * is set back to the latest plausible window stored, and the rows that follow are windowed, not late.
 */
@ExtendWith(ArrowMemoryExtension.class)
class ImplausibleProgressTest {

    private static final String TOPIC = "arrow_tables";

    @RegisterExtension
    final ThrowawaySchema postgres = new ThrowawaySchema("analyzer_implausible", 2);

    @Test
    void aYear10000ProgressIsSetBackOnRestartAndLaterRowsAreWindowed(BufferAllocator allocator) {
        AnalyzerStore store = new AnalyzerStore(postgres.pool(), postgres.schema());
        store.migrate().await().atMost(Duration.ofSeconds(30));
        long base = (System.currentTimeMillis() - 60_000) * 1000 / 1_000_000 * 1_000_000;
        postgres.pool().preparedQuery("INSERT INTO " + postgres.schema() + ".analyzer_progress (topic, kafka_partition, window_size_ms,"
                        + " window_slide_ms, final_up_to, read_through_offset) VALUES ($1, 0, 1000, 1000, '10000-01-01 00:00:00+00', 4)")
                .execute(Tuple.of(TOPIC)).await().atMost(Duration.ofSeconds(10));

        AtomicLong clock = new AtomicLong();
        EndOffsets broker = () -> new EndOffsets.Answer(Map.of(0, 6L), clock.get());
        AnalyzerPipeline pipeline = new AnalyzerPipeline(new ArrowIpcDecoder(DecodeLimits.DEFAULT),
                new WindowAggregator(WindowSpec.tumbling(1_000_000), List.of("cpu_used"), 10_000),
                new Watermarks(300_000, Duration.ofSeconds(2).toNanos(), 1_000_000, broker, Duration.ofSeconds(3).toNanos()),
                new AlertEngine(List.of()), store, new Discard(), clock::get, TOPIC, Duration.ofSeconds(10));
        pipeline.restore();
        try (SeedBatchBuilder batch = new SeedBatchBuilder(allocator, 30)) {
            for (int i = 0; i < 30; i++) {
                batch.append("dev-0", base + i * 100_000L, i, 0f, 0f, 0f, i);
            }
            pipeline.onMessage(0, 5, null, batch.encodeAndReset(ArrowIpcEncoder.seedDefault()), () -> { });
        }
        clock.addAndGet(Duration.ofSeconds(5).toNanos());
        pipeline.tick();
        assertEquals(0, pipeline.lateRows(), "rows after the repair are not late");
        long stored = postgres.pool().query("SELECT coalesce(sum(row_count), 0)::bigint AS n FROM " + postgres.schema() + ".window_aggregates")
                .execute().await().atMost(Duration.ofSeconds(10)).iterator().next().getLong("n");
        assertEquals(30, stored, "all 30 rows in their windows");
        long progress = postgres.pool().query("SELECT (extract(epoch FROM max(final_up_to)) * 1000000)::bigint AS us FROM " + postgres.schema()
                + ".analyzer_progress").execute().await().atMost(Duration.ofSeconds(10)).iterator().next().getLong("us");
        assertTrue(progress <= base + 4_000_000, "progress is plausible again: " + progress);
    }

    private static final class Discard implements Outputs {
        @Override
        public CompletionStage<Void> windows(List<ClosedWindow> closed) {
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
}
