package io.streamingarrow.producer.batching;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The fate of one batch, shared by every row appended into it: {@link #stored()} completes when Kafka
 * acknowledged the batch, and fails when Kafka refused it, when it could not be encoded, or when the
 * producer closed before it was flushed. A source that must answer for its rows (HTTP ingest) keeps the
 * tickets of the batches its rows went into and waits for them.
 */
public final class BatchTicket {

    private final int shard;
    private final CompletableFuture<Void> stored = new CompletableFuture<>();
    private final CompletionStage<Void> view = stored.minimalCompletionStage();

    BatchTicket(int shard) {
        this.shard = shard;
    }

    /** The shard (lane) whose batch this is. */
    public int shard() {
        return shard;
    }

    /** Completes once the batch is stored in Kafka; fails with the reason it was not. */
    public CompletionStage<Void> stored() {
        return view;
    }

    /** True once the batch is stored; false while pending or when it failed. */
    public boolean isStored() {
        return stored.isDone() && !stored.isCompletedExceptionally();
    }

    /** Why the batch was not stored, or null when it was stored or is still pending. */
    public Throwable failure() {
        if (!stored.isCompletedExceptionally()) {
            return null;
        }
        try {
            stored.join();
            return null;
        } catch (java.util.concurrent.CompletionException e) {
            return e.getCause() == null ? e : e.getCause();
        } catch (java.util.concurrent.CancellationException e) {
            return e;
        }
    }

    void acknowledged() {
        stored.complete(null);
    }

    void failed(Throwable reason) {
        stored.completeExceptionally(reason);
    }
}
