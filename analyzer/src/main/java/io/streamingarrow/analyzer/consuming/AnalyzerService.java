package io.streamingarrow.analyzer.consuming;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.apache.arrow.memory.BufferAllocator;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Acknowledgment;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import io.streamingarrow.analyzer.AnalyzerConfig;
import io.streamingarrow.analyzer.alerting.AlertEngine;
import io.streamingarrow.analyzer.alerting.AlertRule;
import io.streamingarrow.analyzer.alerting.Condition;
import io.streamingarrow.analyzer.live.LiveFeed;
import io.streamingarrow.analyzer.persistence.AnalyzerStore;
import io.streamingarrow.analyzer.publishing.AggregateEncoder;
import io.streamingarrow.analyzer.windowing.WindowAggregator;
import io.streamingarrow.analyzer.windowing.WindowSpec;
import io.streamingarrow.analyzer.windowing.Watermarks;
import io.streamingarrow.shared.kafka.ReleasableBytes;
import io.streamingarrow.shared.kafka.ReleasableBytesDeserializer;
import io.streamingarrow.shared.contract.DeviceShards;
import io.streamingarrow.shared.ipc.ArrowIpcDecoder;
import io.streamingarrow.shared.ipc.ArrowIpcEncoder;
import io.streamingarrow.shared.ipc.DecodeLimits;
import io.streamingarrow.shared.memory.ArrowAllocators;
import io.vertx.mutiny.sqlclient.Pool;

/** Kafka in, {@link AnalyzerPipeline} does the work; this class only wires it. */
// Kafka creates the value deserializer by its name (application.properties): registered for native builds.
@RegisterForReflection(targets = ReleasableBytesDeserializer.class)
@ApplicationScoped
public class AnalyzerService {

    @Inject
    AnalyzerConfig config;

    @Inject
    Pool pool;

    @Inject
    MeterRegistry meters;

    @Inject
    ObjectMapper json;

    @Inject
    @Channel("arrow-aggregates")
    Emitter<byte[]> aggregates;

    @Inject
    @Channel("alerts")
    Emitter<String> alerts;

    @Inject
    @Channel("arrow-tables-dlq")
    Emitter<byte[]> deadLetters;

    @Inject
    LiveFeed live;

    @ConfigProperty(name = "mp.messaging.incoming.arrow-tables.topic")
    String topic;

    // The connector's view of kafka.* (and KAFKA_* environment variables): the end-offsets admin client
    // connects and authenticates the same way as the consumer.
    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafkaConfig;

    private BufferAllocator allocator;
    private KafkaEndOffsets endOffsets;
    private volatile AnalyzerPipeline pipeline;

    @Incoming("arrow-tables")
    @Blocking
    @Acknowledgment(Acknowledgment.Strategy.MANUAL)
    public CompletionStage<Void> consume(Message<ReleasableBytes> message) {
        IncomingKafkaRecordMetadata<?, ?> kafka = message.getMetadata(IncomingKafkaRecordMetadata.class).orElseThrow();
        byte[] key = kafka.getKey() instanceof byte[] bytes ? bytes : null;
        // The message stays referenced until its windows are stored (message::ack); its bytes need not (ReleasableBytes).
        byte[] value = message.getPayload() == null ? null : message.getPayload().take();
        // Completes later, not at once, while results cannot be stored or published: the connector then stops polling.
        return pipeline().offer(kafka.getPartition(), kafka.getOffset(), key, value, message::ack);
    }

    /**
     * Creates the pipeline at start-up, which migrates the schema and restores progress; PostgreSQL being
     * down then does not fail the start: readiness is DOWN with the reason and the pipeline tries again.
     */
    void onStart(@Observes StartupEvent event) {
        pipeline();
    }

    @Scheduled(every = "1s", skipExecutionIf = Scheduled.ApplicationNotRunning.class,
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void tick() {
        AnalyzerPipeline current = pipeline;
        if (current != null) {
            endOffsets.ask(current.assignedPartitions());
            current.tick();
        }
    }

    /** The pipeline if it exists already (readiness must not create it). */
    AnalyzerPipeline currentPipeline() {
        return pipeline;
    }

    /** The pipeline, created on first use: the schema is migrated and earlier progress restored first. */
    public AnalyzerPipeline pipeline() {
        AnalyzerPipeline current = pipeline;
        if (current != null) {
            return current;
        }
        synchronized (this) {
            if (pipeline == null) {
                pipeline = create();
            }
            return pipeline;
        }
    }

    private AnalyzerPipeline create() {
        AnalyzerConfig.Window window = config.window();
        long size = window.size().toNanos() / 1000;
        long slide = window.slide().map(d -> d.toNanos() / 1000).orElse(size);
        WindowAggregator aggregator = new WindowAggregator(new WindowSpec(size, slide), config.measures(), window.maxOpen(),
                window.lateCorrections());
        List<AlertRule> rules = config.alerts().entrySet().stream().map(e -> {
            Condition when = Condition.parse(e.getValue().when());
            Condition resolve = e.getValue().resolveWhen().map(Condition::parse).orElse(when.negated());
            return new AlertRule(e.getKey(), e.getValue().severity(), when, e.getValue().forWindows(), resolve);
        }).toList();
        AnalyzerStore store = new AnalyzerStore(pool, config.store().schema());
        allocator = ArrowAllocators.root(256L << 20);
        KafkaOutputs outputs = new KafkaOutputs(aggregates, alerts, deadLetters,
                new AggregateEncoder(config.measures(), ArrowIpcEncoder.seedDefault()), allocator, json,
                new DeviceShards(config.output().shards()));
        endOffsets = new KafkaEndOffsets(KafkaEndOffsets.connectionSettings(kafkaConfig), topic, window.endOffsetsTimeout(),
                window.endOffsetsMaxAge(), System::nanoTime);
        AnalyzerPipeline created = new AnalyzerPipeline(new ArrowIpcDecoder(DecodeLimits.DEFAULT), aggregator,
                new Watermarks(window.allowedLateness().toNanos() / 1000, window.idleTimeout().toNanos(), size, endOffsets,
                        window.endOffsetsMaxAge().toNanos()),
                new AlertEngine(rules), store, new LiveOutputs(outputs, live), System::nanoTime, topic,
                config.store().timeout(), config.store().retryMaxBackoff(), () -> System.currentTimeMillis() * 1000,
                window.maxFutureSkew());
        registerMetrics(created);
        created.startTimeout(config.store().migrateTimeout());
        created.start(); // schema and progress; if PostgreSQL is down, retried by tick() (not ready meanwhile)
        return created;
    }

    private void registerMetrics(AnalyzerPipeline p) {
        Gauge.builder("analyzer.windows.open", p, AnalyzerPipeline::openWindows).register(meters);
        FunctionCounter.builder("analyzer.windows.closed", p, AnalyzerPipeline::closedWindows).register(meters);
        FunctionCounter.builder("analyzer.rows.read", p, AnalyzerPipeline::rowsRead)
                .description("Rows decoded from messages read for the first time").register(meters);
        // Time from the watermark passing a batch of windows' end to the batch being stored in PostgreSQL and
        // acknowledged by Kafka (noticed on the next message or tick). Count, sum and max: deploy/bench reads them.
        FunctionCounter.builder("analyzer.window.close.latency.count", p, x -> x.closeLatency()[0])
                .description("Batches of closed windows stored and published").register(meters);
        FunctionCounter.builder("analyzer.window.close.latency.sum", p, x -> x.closeLatency()[1] / 1e9).baseUnit("seconds")
                .description("Sum of the batches' close latencies (watermark passed -> stored and published)").register(meters);
        Gauge.builder("analyzer.window.close.latency.max", p, x -> x.closeLatency()[2] / 1e9).baseUnit("seconds")
                .description("Largest close latency of a batch of windows so far").register(meters);
        FunctionCounter.builder("analyzer.rows.late", p, AnalyzerPipeline::lateRows)
                .description("Rows for windows already final (or without device/ts)").register(meters);
        FunctionCounter.builder("analyzer.rows.replayed", p, AnalyzerPipeline::replayedRows)
                .description("Rows re-read after a restart for windows stored before it, skipped").register(meters);
        FunctionCounter.builder("analyzer.windows.corrected", p, AnalyzerPipeline::correctedWindows)
                .description("Stored windows corrected by late rows (analyzer.window.late-corrections)").register(meters);
        Gauge.builder("analyzer.devices.open", p, AnalyzerPipeline::openDevices)
                .description("Devices with an open window (the device dictionary's size)").register(meters);
        FunctionCounter.builder("analyzer.alerts.fired", p, AnalyzerPipeline::alertsOpened).register(meters);
        FunctionCounter.builder("analyzer.alerts.resolved", p, AnalyzerPipeline::alertsResolved).register(meters);
        Gauge.builder("analyzer.alerts.open", p, AnalyzerPipeline::openAlerts).register(meters);
        FunctionCounter.builder("analyzer.dead.letters", p, AnalyzerPipeline::deadLetters).register(meters);
        Gauge.builder("analyzer.messages.pending", p, AnalyzerPipeline::pendingMessages)
                .description("Messages read whose windows are not all final yet (not committed)").register(meters);
        FunctionCounter.builder("analyzer.rows.refused", p, AnalyzerPipeline::refusedRows)
                .description("Rows dead-lettered one by one (time outside the stores' range or too far ahead, device"
                        + " name PostgreSQL cannot store); the rest of their messages is windowed").register(meters);
        FunctionCounter.builder("analyzer.messages.empty", p, AnalyzerPipeline::emptyMessages)
                .description("Null (tombstone) or empty messages, dead-lettered").register(meters);
        FunctionCounter.builder("analyzer.messages.redelivered", p, AnalyzerPipeline::redeliveredMessages)
                .description("Messages Kafka delivered again in this run (after a rebalance), skipped").register(meters);
        FunctionCounter.builder("analyzer.results.republished", p, AnalyzerPipeline::republishedResults)
                .description("Windows and alert transitions an earlier run stored but Kafka never acknowledged, published at start")
                .register(meters);
        FunctionCounter.builder("analyzer.partitions.taken", p, AnalyzerPipeline::partitionsTaken)
                .description("Partitions taken over from other consumers (read from their last commit)").register(meters);
        FunctionCounter.builder("analyzer.partitions.given.away", p, AnalyzerPipeline::partitionsGivenAway)
                .description("Partitions given to other consumers, with their open windows").register(meters);
        FunctionCounter.builder("analyzer.messages.foreign", p, AnalyzerPipeline::foreignMessages)
                .description("Messages handled after their partition went to another consumer, left to it").register(meters);
        FunctionCounter.builder("analyzer.store.failures", p, AnalyzerPipeline::storeFailures)
                .description("Attempts to store closed windows in PostgreSQL that failed (each is retried)").register(meters);
        FunctionCounter.builder("analyzer.publish.failures", p, AnalyzerPipeline::publishFailures)
                .description("Attempts to publish results to Kafka that failed (each is retried)").register(meters);
        Gauge.builder("analyzer.batches.unsettled", p, AnalyzerPipeline::unsettledBatches)
                .description("Batches of closed windows not yet stored and published").register(meters);
        Gauge.builder("analyzer.blocked", p, x -> x.blockedReason() == null ? 0 : 1)
                .description("1 while no message is taken because results cannot be stored or published").register(meters);
        Gauge.builder("analyzer.partitions.idle", p, AnalyzerPipeline::idlePartitions)
                .description("Partitions the broker says are read to their end and silent past the idle timeout").register(meters);
        Gauge.builder("analyzer.kafka.lag", p, AnalyzerPipeline::kafkaLag)
                .description("Messages on the broker not yet read, per its latest end-offset answer").register(meters);
        Gauge.builder("analyzer.end.offsets.age", endOffsets, KafkaEndOffsets::answerAgeSeconds).baseUnit("seconds")
                .description("Age of the broker's latest end-offset answer (-1 before any)").register(meters);
        Gauge.builder("analyzer.event.time.lag", p, x -> x.watermark() == Long.MIN_VALUE ? 0
                        : (System.currentTimeMillis() * 1000 - x.watermark()) / 1e6)
                .baseUnit("seconds").description("Wall clock minus the watermark").register(meters);
    }

    @PreDestroy
    void close() {
        if (endOffsets != null) {
            endOffsets.close();
        }
        if (allocator != null) {
            allocator.close();
        }
    }
}
