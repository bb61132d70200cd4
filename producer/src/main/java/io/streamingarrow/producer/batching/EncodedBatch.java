package io.streamingarrow.producer.batching;

/**
 * One flushed batch: an Arrow IPC message ready for Kafka.
 *
 * @param key      names the shard; Kafka's partitioner keeps a shard, and so a device, on one partition
 * @param sequence per-producer batch sequence (the {@code batch-seq} header)
 * @param rows     rows in the message
 * @param dataBytes the uncompressed size of the batch's vectors, for the compression-ratio metric
 * @param reason   why it was flushed
 */
public record EncodedBatch(String key, long sequence, int rows, long dataBytes, byte[] bytes, FlushReason reason) {
}
