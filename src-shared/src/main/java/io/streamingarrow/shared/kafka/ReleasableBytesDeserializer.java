package io.streamingarrow.shared.kafka;

import org.apache.kafka.common.serialization.Deserializer;

/**
 * The value deserializer of {@code arrow_tables} in the sink and the analyzer: see {@link ReleasableBytes}. A null
 * (tombstone) stays null. Each service registers it for reflection (native builds: Kafka instantiates it by name).
 */
public final class ReleasableBytesDeserializer implements Deserializer<ReleasableBytes> {

    @Override
    public ReleasableBytes deserialize(String topic, byte[] data) {
        return data == null ? null : new ReleasableBytes(data);
    }
}
