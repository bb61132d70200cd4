package io.streamingarrow.sink.kafka;

import org.eclipse.microprofile.reactive.messaging.Message;

import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;

/** Topic, partition and offset of a consumed message (zeros for messages not from Kafka). */
public record KafkaOrigin(String topic, int partition, long offset) {

    public static KafkaOrigin of(Message<?> message) {
        return message.getMetadata(IncomingKafkaRecordMetadata.class)
                .map(m -> new KafkaOrigin(m.getTopic(), m.getPartition(), m.getOffset()))
                .orElse(new KafkaOrigin("", 0, 0));
    }

    @Override
    public String toString() {
        return topic + "-" + partition + "@" + offset;
    }
}
