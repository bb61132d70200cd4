package io.streamingarrow.sink.conversion;

import java.util.List;

import io.streamingarrow.shared.rows.RejectedRows;

/**
 * One Kafka message converted to Native blocks for the table, ready to be merged into an INSERT, and the
 * rows that were taken out of it because the stores cannot hold them.
 *
 * @param nativeBlocks one Native block per record batch with rows to insert
 * @param rows         rows in {@code nativeBlocks} (the message's rows less the rejected ones)
 * @param rejected     the message's bad rows, by batch and defect, each ready for the dead-letter topic
 */
public record EncodedMessage(ConversionPlan plan, byte[] nativeBlocks, long rows, List<RejectedRows> rejected) {

    public EncodedMessage {
        rejected = List.copyOf(rejected);
    }

    public EncodedMessage(ConversionPlan plan, byte[] nativeBlocks, long rows) {
        this(plan, nativeBlocks, rows, List.of());
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
