package io.streamingarrow.analyzer.consuming;

import org.apache.kafka.common.serialization.Deserializer;

import io.quarkus.runtime.annotations.RegisterForReflection;

/** The value deserializer of {@code arrow_tables} in the analyzer: see {@link ReleasableBytes}. A null (tombstone) stays null. */
@RegisterForReflection
public final class ReleasableBytesDeserializer implements Deserializer<ReleasableBytes> {

    @Override
    public ReleasableBytes deserialize(String topic, byte[] data) {
        return data == null ? null : new ReleasableBytes(data);
    }
}
