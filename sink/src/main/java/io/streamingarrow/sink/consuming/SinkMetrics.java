package io.streamingarrow.sink.consuming;

import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.streamingarrow.sink.inserting.InsertMetrics;

/** The sink's Micrometer meters (Prometheus names: dots become underscores). */
public final class SinkMetrics implements InsertMetrics {

    private final MeterRegistry registry;
    private final Counter messagesIn;
    private final Counter rowsIn;
    private final Counter rowsInserted;
    private final Counter bytesInserted;
    private final Timer insertLatency;
    private final DistributionSummary insertRows;
    private final DistributionSummary insertBytes;
    private final Counter transientRetries;
    private final Counter refusedRetries;
    private final Counter rowsRejected;

    public SinkMetrics(MeterRegistry registry) {
        this.registry = registry;
        messagesIn = registry.counter("sink.messages.received");
        rowsIn = registry.counter("sink.rows.received");
        rowsInserted = registry.counter("sink.rows.inserted");
        bytesInserted = registry.counter("sink.bytes.inserted");
        insertLatency = Timer.builder("sink.insert.latency").publishPercentileHistogram().register(registry);
        insertRows = DistributionSummary.builder("sink.insert.rows").register(registry);
        insertBytes = DistributionSummary.builder("sink.insert.bytes").baseUnit("bytes").register(registry);
        transientRetries = registry.counter("sink.insert.retries", "kind", "transient");
        refusedRetries = registry.counter("sink.insert.retries", "kind", "refused");
        rowsRejected = registry.counter("sink.rows.rejected");
    }

    public MeterRegistry registry() {
        return registry;
    }

    public void received(long rows) {
        messagesIn.increment();
        rowsIn.increment(rows);
    }

    /**
     * A message without bytes: {@code value} is {@code null} (a Kafka tombstone) or {@code empty} (a value of
     * zero bytes). Counted apart from other dead letters because only a producer bug or a compaction tool
     * sends them, and they have no rows to count.
     */
    public void emptyMessage(boolean tombstone) {
        registry.counter("sink.messages.empty", "value", tombstone ? "null" : "empty").increment();
    }

    /** Rows taken out of a message and sent to the dead-letter topic, by {@code dlq-reason}. */
    public void rowsDeadLettered(String reason, long rows) {
        registry.counter("sink.rows.dead.lettered", "reason", reason).increment(rows);
    }

    public void extraColumn(String column) {
        registry.counter("sink.extra.columns", "column", column).increment();
    }

    @Override
    public void inserted(long rows, long bytes, long nanos) {
        rowsInserted.increment(rows);
        bytesInserted.increment(bytes);
        insertLatency.record(nanos, TimeUnit.NANOSECONDS);
        insertRows.record(rows);
        insertBytes.record(bytes);
    }

    @Override
    public void retried(boolean transientFailure) {
        (transientFailure ? transientRetries : refusedRetries).increment();
    }

    @Override
    public void rejected(long rows) {
        rowsRejected.increment(rows);
    }
}
