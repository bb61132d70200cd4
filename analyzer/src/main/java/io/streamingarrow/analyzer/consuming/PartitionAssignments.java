package io.streamingarrow.analyzer.consuming;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;
import io.streamingarrow.analyzer.windowing.Watermarks;

/**
 * Tells the pipeline which partitions it owns and where it reads each from, so each one holds the watermark
 * until it has spoken or the broker says it has nothing more.
 */
@ApplicationScoped
@Identifier("analyzer-partitions")
public class PartitionAssignments implements KafkaConsumerRebalanceListener {

    private static final Logger LOG = Logger.getLogger(PartitionAssignments.class);

    @Inject
    AnalyzerService service;

    @Override
    public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        Map<Integer, Long> next = new LinkedHashMap<>();
        for (TopicPartition tp : partitions) {
            long position = Watermarks.UNKNOWN;
            try {
                position = consumer.position(tp); // on the polling thread, inside poll: allowed here
            } catch (RuntimeException e) {
                LOG.warnf("position of %s unknown (%s): it holds the watermark until a message is read from it", tp, e);
            }
            next.put(tp.partition(), position);
        }
        service.pipeline().assigned(next);
    }

    @Override
    public void onPartitionsRevoked(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        service.pipeline().revoked(partitions.stream().map(TopicPartition::partition).toList());
    }
}
