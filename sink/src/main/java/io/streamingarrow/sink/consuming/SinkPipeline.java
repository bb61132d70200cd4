package io.streamingarrow.sink.consuming;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import io.streamingarrow.shared.ipc.ArrowDecodeException;
import io.streamingarrow.shared.ipc.ArrowIpcDecoder;
import io.streamingarrow.shared.ipc.DecodeLimits;
import io.streamingarrow.shared.rows.RejectedRows;
import io.streamingarrow.sink.SinkConfig;
import io.streamingarrow.sink.clickhouse.ClickHouseException;
import io.streamingarrow.sink.clickhouse.ClickHouseTransport;
import io.streamingarrow.sink.clickhouse.TableManager;
import io.streamingarrow.sink.conversion.ConversionPlanner;
import io.streamingarrow.sink.conversion.ConversionRefusedException;
import io.streamingarrow.sink.conversion.EncodedMessage;
import io.streamingarrow.sink.conversion.MessageEncoder;
import io.streamingarrow.sink.conversion.PlanCache;
import io.streamingarrow.sink.deadletter.DeadLetterPublisher;
import io.streamingarrow.sink.inserting.Backoff;
import io.streamingarrow.sink.inserting.Delivery;
import io.streamingarrow.sink.inserting.InsertBatcher;
import io.streamingarrow.sink.inserting.InsertMemory;
import io.streamingarrow.shared.kafka.ReleasableBytes;
import io.streamingarrow.sink.kafka.KafkaOrigin;

/**
 * From a Kafka message to rows in ClickHouse: decode and encode on the sink's pipeline thread, buffer,
 * insert, then acknowledge (at-least-once: a message is acknowledged only after the INSERT holding its
 * rows succeeded and Kafka has the dead letter of its bad rows, if any, or after the whole message went
 * to the dead-letter topic).
 */
@ApplicationScoped
public class SinkPipeline {

    private static final Logger LOG = Logger.getLogger(SinkPipeline.class);
    /** INSERT bodies are held in chunks of this size (InsertMemory): 12 per full-size INSERT, one for a small one. */
    private static final int INSERT_CHUNK_BYTES = 1 << 20;

    @Inject
    SinkConfig config;

    @Inject
    ClickHouseTransport clickHouse;

    @Inject
    DeadLetterPublisher deadLetters;

    @Inject
    MeterRegistry registry;

    private ScheduledExecutorService pipeline;
    private SinkMetrics metrics;
    private PlanCache plans;
    private MessageEncoder encoder;
    private InsertBatcher batcher;
    private InsertMemory insertMemory;
    private Backoff backoff;

    @PostConstruct
    void start() {
        pipeline = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sink-pipeline");
            t.setDaemon(true);
            return t;
        });
        metrics = new SinkMetrics(registry);
        var ch = config.clickhouse();
        TableManager tables = new TableManager(clickHouse, ch.database(), ch.table(), ch.autoCreate(), ch.requestTimeout());
        plans = new PlanCache(tables, new ConversionPlanner(config.failOnExtraColumns()));
        var d = config.decode();
        encoder = new MessageEncoder(new ArrowIpcDecoder(new DecodeLimits(d.maxMessageBytes(), d.maxDecodedBytes(),
                d.maxRows(), d.maxBatches())), plans::planFor);
        var in = config.insert();
        backoff = new Backoff(in.initialBackoff(), in.maxBackoff());
        insertMemory = new InsertMemory(in.memory(), INSERT_CHUNK_BYTES);
        batcher = new InsertBatcher(new InsertBatcher.Limits(in.maxRows(), in.maxBytes(), in.linger().toMillis(),
                in.maxInFlight(), backoff, in.rejectedAttempts(), ch.gzip(), in.behindAfter().toMillis()),
                clickHouse::insert,
                pipeline, metrics, insertMemory);
        Gauge.builder("sink.insert.memory.used", insertMemory, InsertMemory::inUseBytes).baseUnit("bytes").register(registry);
        Gauge.builder("sink.insert.memory.reserved", insertMemory, InsertMemory::reservedBytes).baseUnit("bytes").register(registry);
        Gauge.builder("sink.insert.memory.limit", insertMemory, InsertMemory::limitBytes).baseUnit("bytes").register(registry);
        Gauge.builder("sink.insert.memory.overflow", insertMemory, InsertMemory::overflowChunks)
                .description("INSERT body chunks taken from the heap because the off-heap pool was at its limit").register(registry);
        Gauge.builder("sink.buffer.rows", batcher, InsertBatcher::bufferedRows).register(registry);
        Gauge.builder("sink.buffer.bytes", batcher, InsertBatcher::bufferedBytes).baseUnit("bytes").register(registry);
        Gauge.builder("sink.inserts.in.flight", batcher, InsertBatcher::inFlight).register(registry);
        Gauge.builder("sink.decode.bytes", ArrowIpcDecoder::liveDecodeBytes).baseUnit("bytes").register(registry);
    }

    @PreDestroy
    void stop() throws InterruptedException {
        // Unacknowledged messages are redelivered after a restart; the table's key collapses the repeats.
        pipeline.shutdownNow();
        if (pipeline.awaitTermination(5, TimeUnit.SECONDS) && insertMemory.inUseBytes() == 0) {
            insertMemory.close(); // INSERTs still in flight keep their chunks: the process is ending anyway
        }
    }

    /** Takes one message; the stage completes when the consumer may hand over the next one. */
    public CompletionStage<Void> accept(Message<ReleasableBytes> message) {
        CompletableFuture<Void> next = new CompletableFuture<>();
        LOG.debugf("received %s", KafkaOrigin.of(message));
        // The value leaves the message here: the message itself waits for its INSERT (to be acknowledged), its bytes
        // wait off the heap with the INSERT's body (InsertBatcher), for a dead letter if ClickHouse refuses it.
        byte[] payload = message.getPayload() == null ? null : message.getPayload().take();
        pipeline.execute(() -> {
            try {
                process(message, payload, next, 1);
            } catch (Throwable e) {
                LOG.error("processing failed unexpectedly", e);
                next.completeExceptionally(e);
            }
        });
        return next;
    }

    private void process(Message<?> message, byte[] payload, CompletableFuture<Void> next, int attempt) {
        KafkaOrigin origin = KafkaOrigin.of(message);
        EncodedMessage encoded;
        try {
            encoded = encoder.encode(payload, origin.partition(), origin.offset());
        } catch (ArrowDecodeException e) {
            if (payload == null || payload.length == 0) {
                metrics.emptyMessage(payload == null);
            }
            deadLetter(message, payload, "decode-" + e.reason().name().toLowerCase(java.util.Locale.ROOT), e.getMessage(), next);
            return;
        } catch (ConversionRefusedException e) {
            deadLetter(message, payload, e.reason().code(), e.getMessage(), next);
            return;
        } catch (ClickHouseException e) {
            long delay = backoff.delayMillis(attempt);
            LOG.warnf("cannot read the table's columns (attempt %d), retrying in %d ms: %s", attempt, delay, e.getMessage());
            pipeline.schedule(() -> process(message, payload, next, attempt + 1), delay, TimeUnit.MILLISECONDS);
            return;
        } catch (RuntimeException e) {
            LOG.error("unexpected failure converting " + origin, e);
            deadLetter(message, payload, "internal-error", String.valueOf(e), next);
            return;
        }
        metrics.received(encoded.rows() + encoded.rejectedRows());
        if (encoded.plan() != null) {
            encoded.plan().extraColumns().forEach(metrics::extraColumn);
        }
        // The offset is committed once both halves are safe: the good rows in ClickHouse and the bad rows
        // acknowledged by Kafka (acks=all). Until then the message stays unacknowledged and a restart
        // redelivers it; the table's key collapses the rows inserted twice.
        CompletableFuture<Void> badRowsSafe = deadLetterRows(message, encoded);
        // How old the message was when it got here: the batcher sizes its INSERTs by the backlog this shows.
        long ageMillis = message.getMetadata(IncomingKafkaRecordMetadata.class)
                .map(m -> System.currentTimeMillis() - m.getTimestamp().toEpochMilli()).orElse(0L);
        CompletionStage<Void> accepted = batcher.add(encoded, payload, new Delivery() {
            @Override
            public void inserted() {
                badRowsSafe.thenRun(message::ack);
            }

            @Override
            public void rejected(Throwable cause, byte[] original) {
                plans.invalidate();
                deadLetters.publish(message, original, "insert-rejected", String.valueOf(cause.getMessage()))
                        .whenComplete((ok, failure) -> {
                            if (failure != null) {
                                LOG.error("dead-lettering " + origin + " failed; it stays unacknowledged", failure);
                            } else {
                                badRowsSafe.thenRun(message::ack);
                            }
                        });
            }
        }, ageMillis);
        // The next message waits for this one's dead letters too: they are the only bound on how many
        // bad-row dead letters can be pending at once.
        CompletableFuture.allOf(accepted.toCompletableFuture(), badRowsSafe)
                .whenComplete((ok, failure) -> next.complete(null));
    }

    /** Sends the message's bad rows to the dead-letter topic, retrying until Kafka has every one of them. */
    private CompletableFuture<Void> deadLetterRows(Message<?> message, EncodedMessage encoded) {
        if (encoded.rejected().isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        KafkaOrigin origin = KafkaOrigin.of(message);
        List<CompletableFuture<Void>> sent = new ArrayList<>(encoded.rejected().size());
        for (RejectedRows rows : encoded.rejected()) {
            LOG.warnf("dead-lettering %d row(s) of %s (%s): %s", rows.count(), origin, rows.defect().code(), rows.detail());
            metrics.rowsDeadLettered(rows.defect().code(), rows.count());
            CompletableFuture<Void> done = new CompletableFuture<>();
            sendRows(message, rows, done);
            sent.add(done);
        }
        return CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new));
    }

    private void sendRows(Message<?> message, RejectedRows rows, CompletableFuture<Void> done) {
        deadLetters.publishRows(message, rows).whenComplete((ok, failure) -> {
            if (failure == null) {
                done.complete(null);
            } else {
                LOG.error("dead-lettering rows of " + KafkaOrigin.of(message) + " failed, retrying", failure);
                pipeline.schedule(() -> sendRows(message, rows, done), 1, TimeUnit.SECONDS);
            }
        });
    }

    private void deadLetter(Message<?> message, byte[] payload, String reason, String detail, CompletableFuture<Void> next) {
        LOG.warnf("dead-lettering %s: %s", KafkaOrigin.of(message), detail);
        deadLetters.publish(message, payload, reason, detail).whenComplete((ok, failure) -> {
            if (failure == null) {
                message.ack().whenComplete((a, b) -> next.complete(null));
            } else {
                LOG.error("dead-lettering failed, retrying", failure);
                pipeline.schedule(() -> deadLetter(message, payload, reason, detail, next), 1, TimeUnit.SECONDS);
            }
        });
    }
}
