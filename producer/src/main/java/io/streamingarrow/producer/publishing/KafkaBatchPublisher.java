package io.streamingarrow.producer.publishing;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Message;

import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.streamingarrow.producer.batching.BatchSink;
import io.streamingarrow.producer.batching.EncodedBatch;
import io.streamingarrow.shared.ipc.IpcFraming;
import io.streamingarrow.shared.schema.SeedSchema;
import io.streamingarrow.shared.contract.MessageHeaders;

/**
 * Sends each batch as one Kafka record: the Arrow IPC bytes as the value, the shard as the key, and the
 * contract's headers. The returned stage completes when Kafka acknowledged the record (acks=all), which
 * is what frees the batch's in-flight slot.
 */
public final class KafkaBatchPublisher implements BatchSink {

    /** Sends one message; a SmallRye {@code Emitter<byte[]>} in the service, a list in tests. */
    @FunctionalInterface
    public interface MessageSender {
        void send(Message<byte[]> message);
    }

    private final MessageSender sender;
    private final byte[] contentType;
    private final byte[] producerId;
    private final byte[] fingerprint = SeedSchema.FINGERPRINT.getBytes(StandardCharsets.UTF_8);

    public KafkaBatchPublisher(MessageSender sender, IpcFraming framing, String producerId) {
        this.sender = sender;
        this.contentType = framing.contentType().getBytes(StandardCharsets.UTF_8);
        this.producerId = producerId.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public CompletionStage<Void> publish(EncodedBatch batch) {
        CompletableFuture<Void> acknowledged = new CompletableFuture<>();
        RecordHeaders headers = new RecordHeaders();
        headers.add(MessageHeaders.CONTENT_TYPE, contentType);
        headers.add(MessageHeaders.SCHEMA_FINGERPRINT, fingerprint);
        headers.add(MessageHeaders.ROWS, ascii(batch.rows()));
        headers.add(MessageHeaders.PRODUCER_ID, producerId);
        headers.add(MessageHeaders.BATCH_SEQUENCE, ascii(batch.sequence()));
        OutgoingKafkaRecordMetadata<String> metadata = OutgoingKafkaRecordMetadata.<String>builder()
                .withKey(batch.key())
                .withHeaders(headers)
                .build();
        Message<byte[]> message = Message.of(batch.bytes())
                .addMetadata(metadata)
                .withAck(() -> {
                    acknowledged.complete(null);
                    return CompletableFuture.completedFuture(null);
                })
                .withNack(error -> {
                    acknowledged.completeExceptionally(error);
                    return CompletableFuture.completedFuture(null);
                });
        sender.send(message);
        return acknowledged;
    }

    private static byte[] ascii(long value) {
        return Long.toString(value).getBytes(StandardCharsets.US_ASCII);
    }
}
