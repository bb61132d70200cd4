package io.streamingarrow.producer.batching;

/** Why a batch left its builder: the first limit it reached, or shutdown. */
public enum FlushReason {
    ROWS, BYTES, LINGER, SHUTDOWN;

    public String tag() {
        return name().toLowerCase();
    }
}
