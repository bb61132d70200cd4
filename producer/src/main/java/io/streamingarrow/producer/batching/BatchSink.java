package io.streamingarrow.producer.batching;

import java.util.concurrent.CompletionStage;

/** Where flushed batches go. The stage completes when the batch is durably stored (Kafka acknowledged it). */
@FunctionalInterface
public interface BatchSink {
    CompletionStage<Void> publish(EncodedBatch batch);
}
