package io.streamingarrow.analyzer.consuming;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.streamingarrow.analyzer.alerting.AlertTransition;
import io.streamingarrow.analyzer.publishing.AggregateEncoder;
import io.streamingarrow.analyzer.windowing.ClosedWindow;
import io.streamingarrow.shared.ipc.IpcFraming;
import io.streamingarrow.shared.contract.DeviceShards;
import io.streamingarrow.shared.contract.MessageHeaders;

/**
 * Results to Kafka: closed windows as Arrow IPC to {@code arrow_aggregates} (one message per device, keyed
 * by device shard as the contract says), alert transitions as JSON to {@code alerts}, refused messages to {@code arrow_tables_dlq}
 * with the contract's {@code dlq-*} headers.
 */
public final class KafkaOutputs implements Outputs {

    private static final Logger LOG = Logger.getLogger(KafkaOutputs.class);

    /** The dead-letter headers for rows refused one by one, as the sink writes them. */

    private final Emitter<byte[]> aggregates;
    private final Emitter<String> alerts;
    private final Emitter<byte[]> deadLetters;
    private final AggregateEncoder encoder;
    private final BufferAllocator allocator;
    private final ObjectMapper json;
    private final DeviceShards shards;

    public KafkaOutputs(Emitter<byte[]> aggregates, Emitter<String> alerts, Emitter<byte[]> deadLetters,
                        AggregateEncoder encoder, BufferAllocator allocator, ObjectMapper json, DeviceShards shards) {
        this.shards = shards;
        this.aggregates = aggregates;
        this.alerts = alerts;
        this.deadLetters = deadLetters;
        this.encoder = encoder;
        this.allocator = allocator;
        this.json = json;
    }

    @Override
    public CompletionStage<Void> windows(List<ClosedWindow> closed) {
        CompletableFuture<Void> acknowledged = new CompletableFuture<>();
        try {
            String device = closed.get(0).device();
            RecordHeaders headers = new RecordHeaders();
            headers.add(MessageHeaders.CONTENT_TYPE, IpcFraming.FILE.contentType().getBytes(StandardCharsets.UTF_8));
            headers.add(MessageHeaders.ROWS, Integer.toString(closed.size()).getBytes(StandardCharsets.US_ASCII));
            Message<byte[]> message = Message.of(encoder.encode(allocator, closed))
                    .addMetadata(OutgoingKafkaRecordMetadata.<String>builder()
                            .withKey(shards.key(shards.shardOf(device.getBytes(StandardCharsets.UTF_8))))
                            .withHeaders(headers).build())
                    .withAck(() -> complete(acknowledged))
                    .withNack(error -> fail(acknowledged, "arrow_aggregates", error));
            aggregates.send(message);
        } catch (RuntimeException e) { // the emitter's buffer is full, or the channel is down
            fail(acknowledged, "arrow_aggregates", e);
        }
        return acknowledged;
    }

    @Override
    public CompletionStage<Void> alert(AlertTransition t) {
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("rule", t.rule());
        event.put("severity", t.severity());
        event.put("device", t.device());
        event.put("state", t.state().name().toLowerCase());
        event.put("window_start_us", t.windowStartMicros());
        event.put("window_end_us", t.windowEndMicros());
        event.put("value", t.value());
        event.put("condition", t.condition());
        CompletableFuture<Void> acknowledged = new CompletableFuture<>();
        try {
            alerts.send(Message.of(json.writeValueAsString(event))
                    .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(t.device()).build())
                    .withAck(() -> complete(acknowledged))
                    .withNack(error -> fail(acknowledged, "alerts", error)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        } catch (RuntimeException e) {
            fail(acknowledged, "alerts", e);
        }
        return acknowledged;
    }

    private static CompletionStage<Void> complete(CompletableFuture<Void> acknowledged) {
        acknowledged.complete(null);
        return CompletableFuture.completedFuture(null);
    }

    private static CompletionStage<Void> fail(CompletableFuture<Void> acknowledged, String topic, Throwable error) {
        acknowledged.completeExceptionally(new IllegalStateException("could not write to " + topic + ": " + error, error));
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void deadLetter(byte[] key, byte[] value, String reason, String topic, int partition, long offset,
                           Runnable acknowledge) {
        send(key, value, origin(reason, topic, partition, offset), acknowledge);
    }

    @Override
    public void deadLetterRows(byte[] key, byte[] value, String reason, String rows, int count, String topic, int partition,
                               long offset, Runnable acknowledge) {
        RecordHeaders headers = origin(reason, topic, partition, offset);
        headers.add(MessageHeaders.DLQ_ROWS, rows.getBytes(StandardCharsets.US_ASCII));
        headers.add(MessageHeaders.DLQ_ROW_COUNT, Integer.toString(count).getBytes(StandardCharsets.US_ASCII));
        headers.add(MessageHeaders.CONTENT_TYPE, IpcFraming.FILE.contentType().getBytes(StandardCharsets.UTF_8));
        send(key, value, headers, acknowledge);
    }

    private static RecordHeaders origin(String reason, String topic, int partition, long offset) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(MessageHeaders.DLQ_REASON, reason.getBytes(StandardCharsets.UTF_8));
        headers.add(MessageHeaders.DLQ_SOURCE_TOPIC, topic.getBytes(StandardCharsets.UTF_8));
        headers.add(MessageHeaders.DLQ_SOURCE_PARTITION, Integer.toString(partition).getBytes(StandardCharsets.US_ASCII));
        headers.add(MessageHeaders.DLQ_SOURCE_OFFSET, Long.toString(offset).getBytes(StandardCharsets.US_ASCII));
        headers.add(MessageHeaders.DLQ_SERVICE, "analyzer".getBytes(StandardCharsets.US_ASCII));
        return headers;
    }

    private void send(byte[] key, byte[] value, RecordHeaders headers, Runnable acknowledge) {
        // A null value stays null: a tombstone is dead-lettered as a tombstone.
        Message<byte[]> message = Message.<byte[]>of(value)
                .addMetadata(OutgoingKafkaRecordMetadata.<byte[]>builder().withKey(key).withHeaders(headers).build())
                .withAck(() -> {
                    acknowledge.run(); // the original is committed only once its copy is in the DLQ
                    return CompletableFuture.completedFuture(null);
                })
                .withNack(logNack("arrow_tables_dlq"));
        deadLetters.send(message);
    }

    private static Function<Throwable, java.util.concurrent.CompletionStage<Void>> logNack(String topic) {
        return error -> {
            LOG.errorf(error, "could not write to %s", topic);
            return CompletableFuture.completedFuture(null);
        };
    }
}
