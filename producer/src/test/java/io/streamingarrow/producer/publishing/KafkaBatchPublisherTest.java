package io.streamingarrow.producer.publishing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.junit.jupiter.api.Test;

import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.streamingarrow.producer.batching.EncodedBatch;
import io.streamingarrow.producer.batching.FlushReason;
import io.streamingarrow.shared.ipc.IpcFraming;
import io.streamingarrow.shared.schema.SeedSchema;

/** The record a batch becomes, and that its stage follows Kafka's ack or nack (what frees the in-flight slot). */
class KafkaBatchPublisherTest {

    private final List<Message<byte[]>> sent = new ArrayList<>();

    private static String header(OutgoingKafkaRecordMetadata<?> metadata, String name) {
        List<Header> matching = new ArrayList<>();
        metadata.getHeaders().headers(name).forEach(matching::add);
        assertEquals(1, matching.size(), "exactly one " + name + " header");
        return new String(matching.get(0).value(), StandardCharsets.UTF_8);
    }

    @SuppressWarnings("unchecked")
    private static OutgoingKafkaRecordMetadata<String> metadata(Message<byte[]> message) {
        return message.getMetadata(OutgoingKafkaRecordMetadata.class).orElseThrow();
    }

    @Test
    void aBatchBecomesOneRecordWithTheShardKeyAndTheContractHeaders() {
        KafkaBatchPublisher publisher = new KafkaBatchPublisher(sent::add, IpcFraming.STREAM, "producer-7");
        byte[] bytes = {1, 2, 3};
        publisher.publish(new EncodedBatch("shard-2", 41, 17, 900, bytes, FlushReason.LINGER));

        assertEquals(1, sent.size());
        Message<byte[]> message = sent.get(0);
        assertSame(bytes, message.getPayload(), "the encoded bytes go out as they are");
        OutgoingKafkaRecordMetadata<String> metadata = metadata(message);
        assertEquals("shard-2", metadata.getKey());
        assertEquals(IpcFraming.STREAM.contentType(), header(metadata, "content-type"));
        assertEquals(SeedSchema.FINGERPRINT, header(metadata, "arrow-schema-fingerprint"));
        assertEquals("17", header(metadata, "arrow-rows"));
        assertEquals("producer-7", header(metadata, "producer-id"));
        assertEquals("41", header(metadata, "batch-seq"));
    }

    @Test
    void theStageCompletesOnlyWhenKafkaAcknowledges() throws Exception {
        KafkaBatchPublisher publisher = new KafkaBatchPublisher(sent::add, IpcFraming.FILE, "p");
        CompletionStage<Void> stage = publisher.publish(new EncodedBatch("shard-0", 1, 1, 40, new byte[] {9}, FlushReason.ROWS));
        CompletableFuture<Void> acknowledged = stage.toCompletableFuture();
        assertEquals("application/vnd.apache.arrow.file", header(metadata(sent.get(0)), "content-type"));
        assertFalse(acknowledged.isDone(), "sending is not storing");
        sent.get(0).ack().toCompletableFuture().get();
        assertTrue(acknowledged.isDone());
        acknowledged.get();
    }

    @Test
    void aNackFailsTheStageWithKafkasError() {
        KafkaBatchPublisher publisher = new KafkaBatchPublisher(sent::add, IpcFraming.FILE, "p");
        CompletableFuture<Void> stage = publisher.publish(
                new EncodedBatch("shard-0", 1, 1, 40, new byte[] {9}, FlushReason.ROWS)).toCompletableFuture();
        IllegalStateException refused = new IllegalStateException("record too large");
        sent.get(0).nack(refused);
        assertTrue(stage.isCompletedExceptionally());
        ExecutionException failure = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, stage::get);
        assertSame(refused, failure.getCause());
    }

    @Test
    void theBytesOfTheHeadersAreAscii() {
        new KafkaBatchPublisher(sent::add, IpcFraming.FILE, "p")
                .publish(new EncodedBatch("shard-1", 1234567890123L, 1000, 1, new byte[0], FlushReason.BYTES));
        Header sequence = metadata(sent.get(0)).getHeaders().lastHeader("batch-seq");
        assertArrayEquals("1234567890123".getBytes(StandardCharsets.US_ASCII), sequence.value());
    }
}
