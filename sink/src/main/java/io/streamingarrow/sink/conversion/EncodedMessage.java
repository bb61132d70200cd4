package io.streamingarrow.sink.conversion;

import java.util.List;

import io.streamingarrow.shared.rows.RejectedRows;

/**
 * One Kafka message converted to Native blocks for the table, ready to be merged into an INSERT, and the
 * rows that were taken out of it because the stores cannot hold them.
 *
 * @param nativeBlocks one Native block per record batch with rows to insert, in its first {@code nativeLength}
 *                     bytes. From {@link MessageEncoder} this is the encoder's own buffer, valid until it encodes
 *                     the next message: the sink copies the blocks into an INSERT body at once (no array per message)
 * @param rows         rows in {@code nativeBlocks} (the message's rows less the rejected ones)
 * @param rejected     the message's bad rows, by batch and defect, each ready for the dead-letter topic
 */
public record EncodedMessage(ConversionPlan plan, byte[] nativeBlocks, int nativeLength, long rows, List<RejectedRows> rejected) {

    public EncodedMessage {
        if (nativeLength < 0 || nativeLength > nativeBlocks.length) {
            throw new IllegalArgumentException("length " + nativeLength + " outside 0.." + nativeBlocks.length);
        }
        rejected = List.copyOf(rejected);
    }

    /** Blocks that fill {@code nativeBlocks} whole. */
    public EncodedMessage(ConversionPlan plan, byte[] nativeBlocks, long rows) {
        this(plan, nativeBlocks, nativeBlocks.length, rows, List.of());
    }

    /** A copy of the blocks, for a reader that keeps them past the encoder's next message. */
    public byte[] copyOfNativeBlocks() {
        return java.util.Arrays.copyOf(nativeBlocks, nativeLength);
    }

    /** Rows taken out of the message. */
    public long rejectedRows() {
        long n = 0;
        for (RejectedRows r : rejected) {
            n += r.count();
        }
        return n;
    }
}
