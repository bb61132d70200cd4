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

/**
 * Sends a message the sink cannot write to the dead-letter topic ({@code arrow_tables_dlq}): the
 * original bytes and key, untouched, with the contract's {@code dlq-*} headers, plus {@code dlq-error}
 * (the human-readable detail).
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

    /** Completes when Kafka acknowledged the dead letter. */
    public CompletionStage<Void> publish(Message<byte[]> original, String reason, String detail) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(MessageHeaders.DLQ_REASON, utf8(reason));
        headers.add(MessageHeaders.DLQ_SERVICE, utf8(SERVICE));
        headers.add(MessageHeaders.DLQ_ERROR, utf8(detail == null ? reason
                : detail.length() > MAX_ERROR_CHARS ? detail.substring(0, MAX_ERROR_CHARS) + "…" : detail));
        Object key = null;
        var incoming = original.getMetadata(IncomingKafkaRecordMetadata.class);
        if (incoming.isPresent()) {
            IncomingKafkaRecordMetadata<?, ?> source = incoming.get();
            headers.add(MessageHeaders.DLQ_SOURCE_TOPIC, utf8(source.getTopic()));
            headers.add(MessageHeaders.DLQ_SOURCE_PARTITION, utf8(Integer.toString(source.getPartition())));
            headers.add(MessageHeaders.DLQ_SOURCE_OFFSET, utf8(Long.toString(source.getOffset())));
            key = source.getKey();
        }
        OutgoingKafkaRecordMetadata<Object> metadata = OutgoingKafkaRecordMetadata.builder()
                .withKey(key)
                .withHeaders(headers)
                .build();
        byte[] payload = original.getPayload() == null ? new byte[0] : original.getPayload();
        registry.counter("sink.dead.letters", "reason", reason).increment();
        return emitter.sendMessage(Message.of(payload, Metadata.of(metadata))).subscribeAsCompletionStage();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
