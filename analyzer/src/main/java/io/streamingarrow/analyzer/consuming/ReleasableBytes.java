package io.streamingarrow.analyzer.consuming;

/**
 * A Kafka message's value, handed over once. The analyzer acknowledges a message only when every window it fed is
 * stored, seconds after it was read, and SmallRye's message (which acknowledging needs) holds its Kafka record to
 * the end; with a plain {@code byte[]} value each payload stayed in the heap that long: at full speed a window's
 * worth of input, and most of the analyzer's peak RSS. {@link #take()} lets the record keep only this empty holder.
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
