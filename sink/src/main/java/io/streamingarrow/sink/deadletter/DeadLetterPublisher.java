package io.streamingarrow.sink.deadletter;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletionStage;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;

import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.streamingarrow.shared.contract.MessageHeaders;
import io.streamingarrow.shared.rows.RejectedRows;

/**
 * Sends what the sink cannot write to the dead-letter topic ({@code arrow_tables_dlq}) with the original
 * key and the contract's {@code dlq-*} headers, plus {@code dlq-error} (the human-readable detail):
 * <ul>
 *   <li>a whole message: its original value, untouched; a null value (a tombstone) stays null;</li>
 *   <li>the bad rows of a message ({@link #publishRows}): an Arrow IPC file holding just those rows, with
 *       {@code dlq-rows} (their indexes within the original message, as ranges such as {@code 3,17-19})
 *       and {@code dlq-row-count}; the message's other rows went to ClickHouse.</li>
 * </ul>
 * The channel sends with {@code acks=all}: a dead letter counts as delivered once every in-sync replica
 * has it, because the original offset is committed after that.
 */
@ApplicationScoped
public class DeadLetterPublisher {

    public static final String SERVICE = "sink";
    private static final int MAX_ERROR_CHARS = 4000;

    private final MutinyEmitter<byte[]> emitter;
    private final MeterRegistry registry;

    @Inject
    public DeadLetterPublisher(@Channel("arrow-tables-dlq") MutinyEmitter<byte[]> emitter, MeterRegistry registry) {
        this.emitter = emitter;
        this.registry = registry;
    }

    /**
     * The whole message, {@code value} being its original value (the sink takes it out of the message when it
     * arrives: see ReleasableBytes); completes when Kafka acknowledged the dead letter.
     */
    public CompletionStage<Void> publish(Message<?> original, byte[] value, String reason, String detail) {
        RecordHeaders headers = headers(original, reason, detail);
        registry.counter("sink.dead.letters", "reason", reason).increment();
        return send(original, value, headers);
    }

    /** Rows taken out of {@code original}; completes when Kafka acknowledged the dead letter. */
    public CompletionStage<Void> publishRows(Message<?> original, RejectedRows rows) {
        String reason = rows.defect().code();
        RecordHeaders headers = headers(original, reason, rows.detail());
        headers.add(MessageHeaders.DLQ_ROWS, utf8(rows.messageRows()));
        headers.add(MessageHeaders.DLQ_ROW_COUNT, utf8(Integer.toString(rows.count())));
        headers.add(MessageHeaders.CONTENT_TYPE, utf8("application/vnd.apache.arrow.file"));
        registry.counter("sink.dead.letters", "reason", reason).increment();
        return send(original, rows.arrowIpc(), headers);
    }

    private static RecordHeaders headers(Message<?> original, String reason, String detail) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(MessageHeaders.DLQ_REASON, utf8(reason));
        headers.add(MessageHeaders.DLQ_SERVICE, utf8(SERVICE));
        headers.add(MessageHeaders.DLQ_ERROR, utf8(detail == null ? reason
                : detail.length() > MAX_ERROR_CHARS ? detail.substring(0, MAX_ERROR_CHARS) + "…" : detail));
        original.getMetadata(IncomingKafkaRecordMetadata.class).ifPresent(source -> {
            headers.add(MessageHeaders.DLQ_SOURCE_TOPIC, utf8(source.getTopic()));
            headers.add(MessageHeaders.DLQ_SOURCE_PARTITION, utf8(Integer.toString(source.getPartition())));
            headers.add(MessageHeaders.DLQ_SOURCE_OFFSET, utf8(Long.toString(source.getOffset())));
        });
        return headers;
    }

    private CompletionStage<Void> send(Message<?> original, byte[] value, RecordHeaders headers) {
        Object key = original.getMetadata(IncomingKafkaRecordMetadata.class).map(IncomingKafkaRecordMetadata::getKey).orElse(null);
        OutgoingKafkaRecordMetadata<Object> metadata = OutgoingKafkaRecordMetadata.builder()
                .withKey(key)
                .withHeaders(headers)
                .build();
        return emitter.sendMessage(Message.of(value, Metadata.of(metadata))).subscribeAsCompletionStage();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
