package io.streamingarrow.producer.batching;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import io.streamingarrow.producer.ProducerConfig;

/** The batcher's clock: the linger tick, and the final flush on shutdown. */
@ApplicationScoped
public class BatchLifecycle {

    private static final Logger LOG = Logger.getLogger(BatchLifecycle.class);

    @Inject
    ShardedBatcher batcher;

    @Inject
    ProducerConfig config;

    @Scheduled(every = "${producer.batching.linger-check:50ms}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void flushLingering() {
        batcher.flushLingering();
    }

    void onStop(@Observes ShutdownEvent event) {
        if (batcher.drain(config.batching().blockTimeout())) {
            LOG.info("shutdown: every batch flushed and acknowledged by Kafka");
        } else {
            LOG.errorf("shutdown: not every batch was acknowledged within %s (%d failed)",
                    config.batching().blockTimeout(), batcher.failedBatches());
        }
    }
}
