package io.streamingarrow.producer.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.streamingarrow.shared.contract.DeviceShards;
import io.streamingarrow.producer.batching.EncodedBatch;
import io.streamingarrow.producer.batching.ShardedBatcher;
import io.streamingarrow.shared.ipc.ArrowIpcDecoder;
import io.streamingarrow.shared.ipc.ArrowIpcEncoder;
import io.streamingarrow.shared.ipc.DecodeLimits;
import io.streamingarrow.shared.testing.ArrowMemoryExtension;

/**
 * HTTP ingest against a slow downstream: when Kafka stops acknowledging, ingest stops part-way and says
 * from which line to resend; everything it accepted is published once Kafka catches up, nothing twice.
 */
@ExtendWith(ArrowMemoryExtension.class)
class IngestorTest {

    @Test
    void aSaturatedProducerStopsAtALineAndLosesNothingItAccepted(BufferAllocator allocator) {
        List<EncodedBatch> batches = new ArrayList<>();
        List<CompletableFuture<Void>> acks = new ArrayList<>();
        ShardedBatcher batcher = new ShardedBatcher(allocator, new DeviceShards(1),
                new ShardedBatcher.Limits(10, 1 << 20, Duration.ofSeconds(1), 2), ArrowIpcEncoder.seedDefault(),
                batch -> {
                    batches.add(batch);
                    CompletableFuture<Void> ack = new CompletableFuture<>();
                    acks.add(ack);
                    return ack;
                }, new SimpleMeterRegistry(), new AtomicLong()::get);
        try (batcher) {
            Ingestor ingestor = new Ingestor(new EventParser(new ObjectMapper()), batcher);
            StringBuilder body = new StringBuilder();
            for (int i = 1; i <= 50; i++) {
                body.append("{\"device\":\"d\",\"ts\":").append(i).append("}\n");
            }
            IngestOutcome first = ingestor.ingest(body.toString().getBytes(StandardCharsets.UTF_8), 0);
            // Two batches in flight and a third full in the builder: 30 lines taken, line 31 refused.
            assertTrue(first.saturated());
            assertEquals(30, first.accepted());
            assertEquals(31, first.saturatedAtLine());
            assertEquals(20, first.notAttempted());
            assertTrue(ingestor.saturated(), "the next request is answered 429 before it is read");

            acks.forEach(a -> a.complete(null));
            assertFalse(ingestor.saturated());
            StringBuilder rest = new StringBuilder();
            for (int i = 31; i <= 50; i++) {
                rest.append("{\"device\":\"d\",\"ts\":").append(i).append("}\n");
            }
            IngestOutcome second = ingestor.ingest(rest.toString().getBytes(StandardCharsets.UTF_8), 0);
            assertNull(second.saturatedAtLine());
            assertEquals(20, second.accepted());

            for (int i = 0; i < 10 && !batcher.drain(Duration.ofMillis(10)); i++) {
                new ArrayList<>(acks).forEach(a -> a.complete(null));
            }
            List<Long> published = new ArrayList<>();
            ArrowIpcDecoder decoder = new ArrowIpcDecoder(DecodeLimits.DEFAULT);
            for (EncodedBatch batch : batches) {
                decoder.decode(batch.bytes(), (root, index) -> {
                    for (int row = 0; row < root.getRowCount(); row++) {
                        published.add(((org.apache.arrow.vector.TimeStampMicroVector) root.getVector("ts")).get(row));
                    }
                });
            }
            List<Long> expected = new ArrayList<>();
            for (long i = 1; i <= 50; i++) {
                expected.add(i);
            }
            assertEquals(expected, published, "every accepted line exactly once, in order");
        }
    }
}
