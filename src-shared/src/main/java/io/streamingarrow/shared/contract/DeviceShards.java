package io.streamingarrow.shared.contract;

/**
 * Maps a device name to a shard. The hash is FNV-1a over the UTF-8 bytes, so it is the same in every
 * JVM and every producer instance: a device always lands in the same shard, the same Kafka key and so
 * the same partition, which per-device windows downstream rely on. The analyzer keys
 * {@code arrow_aggregates} the same way.
 */
public final class DeviceShards {

    private final int shards;
    private final String[] keys;

    public DeviceShards(int shards) {
        if (shards <= 0) {
            throw new IllegalArgumentException("shards must be positive, was " + shards);
        }
        this.shards = shards;
        this.keys = new String[shards];
        for (int i = 0; i < shards; i++) {
            keys[i] = "shard-" + i;
        }
    }

    public int count() {
        return shards;
    }

    public int shardOf(byte[] deviceUtf8) {
        int hash = 0x811C9DC5;
        for (byte b : deviceUtf8) {
            hash ^= b & 0xFF;
            hash *= 0x01000193;
        }
        return Math.floorMod(hash, shards);
    }

    /** The Kafka message key of a shard. */
    public String key(int shard) {
        return keys[shard];
    }
}
