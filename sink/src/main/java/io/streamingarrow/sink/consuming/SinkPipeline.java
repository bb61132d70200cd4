package io.streamingarrow.sink.consuming;

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
import io.streamingarrow.shared.ipc.ArrowDecodeException;
import io.streamingarrow.shared.ipc.ArrowIpcDecoder;
import io.streamingarrow.shared.ipc.DecodeLimits;
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
import io.streamingarrow.sink.kafka.KafkaOrigin;

/**
 * From a Kafka message to rows in ClickHouse: decode and encode on the sink's pipeline thread, buffer,
 * insert, then acknowledge (at-least-once: a message is acknowledged only after the INSERT holding its
 * rows succeeded, or after it went to the dead-letter topic).
 */
@ApplicationScoped
public class SinkPipeline {

    private static final Logger LOG = Logger.getLogger(SinkPipeline.class);

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
        batcher = new InsertBatcher(new InsertBatcher.Limits(in.maxRows(), in.maxBytes(), in.linger().toMillis(),
                in.maxInFlight(), backoff, in.rejectedAttempts(), ch.gzip()),
                clickHouse::insert,
                pipeline, metrics);
        Gauge.builder("sink.buffer.rows", batcher, InsertBatcher::bufferedRows).register(registry);
        Gauge.builder("sink.buffer.bytes", batcher, InsertBatcher::bufferedBytes).baseUnit("bytes").register(registry);
        Gauge.builder("sink.inserts.in.flight", batcher, InsertBatcher::inFlight).register(registry);
        Gauge.builder("sink.decode.bytes", ArrowIpcDecoder::liveDecodeBytes).baseUnit("bytes").register(registry);
    }

    @PreDestroy
    void stop() throws InterruptedException {
        // Unacknowledged messages are redelivered after a restart; the table's key collapses the repeats.
        pipeline.shutdownNow();
        pipeline.awaitTermination(5, TimeUnit.SECONDS);
    }

    /** Takes one message; the stage completes when the consumer may hand over the next one. */
    public CompletionStage<Void> accept(Message<byte[]> message) {
        CompletableFuture<Void> next = new CompletableFuture<>();
        LOG.debugf("received %s", KafkaOrigin.of(message));
        pipeline.execute(() -> {
            try {
                process(message, next, 1);
            } catch (Throwable e) {
                LOG.error("processing failed unexpectedly", e);
                next.completeExceptionally(e);
            }
        });
        return next;
    }

    private void process(Message<byte[]> message, CompletableFuture<Void> next, int attempt) {
        KafkaOrigin origin = KafkaOrigin.of(message);
        EncodedMessage encoded;
        try {
            byte[] payload = message.getPayload();
            encoded = encoder.encode(payload == null ? new byte[0] : payload, origin.partition(), origin.offset());
        } catch (ArrowDecodeException e) {
            deadLetter(message, "decode-" + e.reason().name().toLowerCase(java.util.Locale.ROOT), e.getMessage(), next);
            return;
        } catch (ConversionRefusedException e) {
            deadLetter(message, e.reason().code(), e.getMessage(), next);
            return;
        } catch (ClickHouseException e) {
            long delay = backoff.delayMillis(attempt);
            LOG.warnf("cannot read the table's columns (attempt %d), retrying in %d ms: %s", attempt, delay, e.getMessage());
            pipeline.schedule(() -> process(message, next, attempt + 1), delay, TimeUnit.MILLISECONDS);
            return;
        } catch (RuntimeException e) {
            LOG.error("unexpected failure converting " + origin, e);
            deadLetter(message, "internal-error", String.valueOf(e), next);
            return;
        }
        metrics.received(encoded.rows());
        if (encoded.plan() != null) {
            encoded.plan().extraColumns().forEach(metrics::extraColumn);
        }
        batcher.add(encoded, new Delivery() {
            @Override
            public void inserted() {
                message.ack();
            }

            @Override
            public void rejected(Throwable cause) {
                plans.invalidate();
                deadLetters.publish(message, "insert-rejected", String.valueOf(cause.getMessage()))
                        .whenComplete((ok, failure) -> {
                            if (failure != null) {
                                LOG.error("dead-lettering " + origin + " failed; it stays unacknowledged", failure);
                            } else {
                                message.ack();
                            }
                        });
            }
        }).whenComplete((ok, failure) -> next.complete(null));
    }

    private void deadLetter(Message<byte[]> message, String reason, String detail, CompletableFuture<Void> next) {
        LOG.warnf("dead-lettering %s: %s", KafkaOrigin.of(message), detail);
        deadLetters.publish(message, reason, detail).whenComplete((ok, failure) -> {
            if (failure == null) {
                message.ack().whenComplete((a, b) -> next.complete(null));
            } else {
                LOG.error("dead-lettering failed, retrying", failure);
                pipeline.schedule(() -> deadLetter(message, reason, detail, next), 1, TimeUnit.SECONDS);
            }
        });
    }
}
