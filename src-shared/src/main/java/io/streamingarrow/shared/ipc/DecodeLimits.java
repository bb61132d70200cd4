package io.streamingarrow.shared.ipc;

/**
 * Hard ceilings for decoding one Kafka message, so that a hostile or corrupt message is refused with
 * a reason instead of exhausting memory.
 *
 * @param maxMessageBytes  the encoded message as received
 * @param maxDecodedBytes  Arrow memory the decode may hold at once: decompressed buffers and decoded
 *                         dictionaries; enforced by a child allocator's limit
 * @param maxRows          rows summed over all record batches of the message
 * @param maxBatches       record and dictionary batches in the message
 */
public record DecodeLimits(long maxMessageBytes, long maxDecodedBytes, long maxRows, int maxBatches) {

    public static final DecodeLimits DEFAULT = new DecodeLimits(64L << 20, 512L << 20, 10_000_000L, 100_000);

    public DecodeLimits {
        if (maxMessageBytes <= 0 || maxDecodedBytes <= 0 || maxRows <= 0 || maxBatches <= 0) {
            throw new IllegalArgumentException("decode limits must be positive: " + this);
        }
    }
}
