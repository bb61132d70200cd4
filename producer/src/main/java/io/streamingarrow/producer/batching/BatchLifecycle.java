package io.streamingarrow.producer.batching;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.streamingarrow.producer.ProducerConfig;

/**
 * The batcher's clock: a linger tick (its own thread, since the Quarkus scheduler's intervals start at
 * one second), the requested flushes that wait for an acknowledgement (run on the same thread, not on
 * Kafka's), and the final flush on shutdown.
 */
@ApplicationScoped
public class BatchLifecycle {

    private static final Logger LOG = Logger.getLogger(BatchLifecycle.class);

    @Inject
    ShardedBatcher batcher;

    @Inject
    ProducerConfig config;

    private ScheduledExecutorService ticker;
    private final AtomicBoolean requestedFlushQueued = new AtomicBoolean();
    private final SurvivingTask lingerFlush = new SurvivingTask("the linger flush", () -> batcher.flushLingering(),
            System::nanoTime);
    private final SurvivingTask requestedFlush = new SurvivingTask("a requested flush", () -> batcher.flushRequested(),
            System::nanoTime);

    void onStart(@Observes StartupEvent event) {
        long tickMillis = Math.max(5, Math.min(50, config.batching().linger().toMillis() / 4));
        ticker = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "batch-linger");
            thread.setDaemon(true);
            return thread;
        });
        ticker.scheduleWithFixedDelay(lingerFlush, tickMillis, tickMillis, TimeUnit.MILLISECONDS);
        batcher.onFlushWanted(this::queueRequestedFlush);
        ticker.scheduleAtFixedRate(this::logRate, 10, 10, TimeUnit.SECONDS);
    }

    private long lastRows;
    private long lastNanos = System.nanoTime();

    /** The producer's pace in the log, every 10 s (the same figures are in /q/metrics). */
    private void logRate() {
        long rows = batcher.publishedRows();
        long now = System.nanoTime();
        double perSecond = (rows - lastRows) / ((now - lastNanos) / 1e9);
        lastRows = rows;
        lastNanos = now;
        LOG.infof("published %,d rows to Kafka (%,.0f rows/s over the last 10 s); %d/%d batches in flight, %,d rows buffered",
                rows, perSecond, batcher.batchesInFlight(), batcher.maxInFlight(), batcher.bufferedRows());
    }

    /** At most one queued task however many acknowledgements arrive meanwhile. */
    private void queueRequestedFlush() {
        if (requestedFlushQueued.compareAndSet(false, true)) {
            try {
                ticker.execute(() -> {
                    requestedFlushQueued.set(false);
                    requestedFlush.run();
                });
            } catch (RejectedExecutionException e) {
                requestedFlushQueued.set(false); // shutting down: the final drain flushes everything
            }
        }
    }

    /** Why batches are not being flushed (the linger or a requested flush keeps failing), or null. */
    public String flushFailing() {
        String linger = lingerFlush.failing();
        return linger != null ? linger : requestedFlush.failing();
    }

    /** Linger and requested flushes that failed since start. */
    public long flushFailures() {
        return lingerFlush.failures() + requestedFlush.failures();
    }

    void onStop(@Observes ShutdownEvent event) {
        if (ticker != null) {
            ticker.shutdownNow();
        }
        if (batcher.drain(config.batching().blockTimeout())) {
            LOG.info("shutdown: every batch flushed and acknowledged by Kafka");
        } else {
            LOG.errorf("shutdown: not every batch was acknowledged within %s (%d failed)",
                    config.batching().blockTimeout(), batcher.failedBatches());
        }
    }
}
