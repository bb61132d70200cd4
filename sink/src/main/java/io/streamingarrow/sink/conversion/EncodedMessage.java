package io.streamingarrow.sink.conversion;

/**
 * One Kafka message converted to Native blocks for the table, ready to be merged into an INSERT.
 *
 * @param nativeBlocks one Native block per non-empty record batch
 */
public record EncodedMessage(ConversionPlan plan, byte[] nativeBlocks, long rows) {
}
