package io.streamingarrow.producer.batching;

/**
 * Why a batch left its builder: the first limit it reached, a source that waits for its rows to be stored
 * (REQUESTED: HTTP ingest answers only then), or shutdown.
 */
public enum FlushReason {
    ROWS, BYTES, LINGER, REQUESTED, SHUTDOWN;

    public String tag() {
        return name().toLowerCase();
    }
}
