package io.streamingarrow.producer.batching;

import java.net.InetAddress;
import java.net.UnknownHostException;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import org.apache.arrow.memory.BufferAllocator;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import io.streamingarrow.shared.contract.DeviceShards;
import io.streamingarrow.producer.ProducerConfig;
import io.streamingarrow.producer.publishing.KafkaBatchPublisher;
import io.streamingarrow.shared.ipc.ArrowIpcEncoder;
import io.streamingarrow.shared.ipc.IpcCompression;
import io.streamingarrow.shared.ipc.IpcFraming;
import io.streamingarrow.shared.memory.ArrowAllocators;

/**
 * Builds the data path every source feeds: {@link ShardedBatcher} → {@link KafkaBatchPublisher} →
 * channel {@code arrow-tables} (topic {@code arrow_tables}). Owns the Arrow allocator behind it.
 */
@Startup
@Singleton
public class BatcherProducer {

    private static final Logger LOG = Logger.getLogger(BatcherProducer.class);

    @Inject
    @Channel("arrow-tables")
    Emitter<byte[]> arrowTables;

    @Inject
    ProducerConfig config;

    @Inject
    MeterRegistry meters;

    private BufferAllocator allocator;
    private ShardedBatcher batcher;

    @Produces
    @Singleton
    ShardedBatcher batcher() {
        return batcher;
    }

    @PostConstruct
    void open() {
        ProducerConfig.Batching batching = config.batching();
        IpcFraming framing = IpcFraming.parse(config.encoding().framing());
        ArrowIpcEncoder encoder = new ArrowIpcEncoder(framing, IpcCompression.parse(config.encoding().compression()),
                config.encoding().zstdLevel());
        // The builders need about shards × max-rows rows of vectors; the limit turns a runaway into an error, not an OOM.
        long budget = (long) batching.shards() * (2 * batching.maxBytes() + 64L * batching.maxRows()) + (64L << 20);
        allocator = ArrowAllocators.root(budget);
        batcher = new ShardedBatcher(allocator, new DeviceShards(batching.shards()),
                new ShardedBatcher.Limits(batching.maxRows(), batching.maxBytes(), batching.linger(), batching.maxInFlight()),
                encoder, new KafkaBatchPublisher(arrowTables::send, framing, producerId(config)), meters, System::nanoTime);
        LOG.infof("batching: %d shards, flush at %d rows / %d bytes / %s, %d batches in flight, %s framing, %s",
                batching.shards(), batching.maxRows(), batching.maxBytes(), batching.linger(), batching.maxInFlight(),
                framing, config.encoding().compression());
    }

    /** After the final flush (BatchLifecycle, on ShutdownEvent): the builders' memory goes back, then the allocator. */
    @PreDestroy
    void close() {
        batcher.close();
        allocator.close();
    }

    private static String producerId(ProducerConfig config) {
        return config.id().orElseGet(() -> {
            try {
                return InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                return "producer";
            }
        });
    }
}
