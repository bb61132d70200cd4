package io.streamingarrow.shared.kafka;

/**
 * A Kafka message's value, handed over once. A consumer acknowledges a message only when its rows are stored (the
 * analyzer: every window it fed, seconds after it was read; the sink: the INSERT holding its rows), and SmallRye's
 * message (which acknowledging needs) holds its Kafka record to the end; with a plain {@code byte[]} value each
 * payload stayed in the heap that long: at full speed a window's worth of input in the analyzer (most of its peak
 * RSS), and in the sink the records behind its INSERTs, promoted and collected in full collections.
 * {@link #take()} lets the record keep only this empty holder.
 */
public final class ReleasableBytes {

    private byte[] bytes;

    public ReleasableBytes(byte[] bytes) {
        this.bytes = bytes;
    }

    /** The bytes, once: later calls yield null. */
    public synchronized byte[] take() {
        byte[] taken = bytes;
        bytes = null;
        return taken;
    }
}
