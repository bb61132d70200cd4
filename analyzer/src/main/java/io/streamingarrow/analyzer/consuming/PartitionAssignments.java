package io.streamingarrow.analyzer.consuming;

import java.util.Collection;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;

import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;

/** Tells the pipeline which partitions it owns, so each one holds the watermark until it has spoken or gone idle. */
@ApplicationScoped
@Identifier("analyzer-partitions")
public class PartitionAssignments implements KafkaConsumerRebalanceListener {

    @Inject
    AnalyzerService service;

    @Override
    public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        service.pipeline().assigned(partitions.stream().map(TopicPartition::partition).toList());
    }

    @Override
    public void onPartitionsRevoked(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        service.pipeline().revoked(partitions.stream().map(TopicPartition::partition).toList());
    }
}
