package io.streamingarrow.producer.fleet;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.streamingarrow.producer.ProducerConfig;
import io.streamingarrow.producer.batching.ShardedBatcher;

/**
 * Runs the synthetic fleet on its own thread when {@code producer.fleet.enabled}. It waits for the
 * batcher when Kafka pushes back, so its rate drops instead of memory growing.
 */
@ApplicationScoped
public class FleetRunner {

    private static final Logger LOG = Logger.getLogger(FleetRunner.class);

    @Inject
    ProducerConfig config;

    @Inject
    ShardedBatcher batcher;

    @Inject
    MeterRegistry meters;

    private volatile boolean running;
    private Thread thread;

    void onStart(@Observes StartupEvent event) {
        ProducerConfig.Fleet fleet = config.fleet();
        if (!fleet.enabled()) {
            return;
        }
        running = true;
        thread = new Thread(() -> run(fleet), "sensor-fleet");
        thread.setDaemon(true);
        thread.start();
        LOG.infof("sensor fleet: %d devices, %d rows/s, seed %d%s", fleet.devices(), fleet.rowsPerSecond(), fleet.seed(),
                fleet.maxRows() > 0 ? ", " + fleet.maxRows() + " rows" : "");
    }

    private void run(ProducerConfig.Fleet settings) {
        SensorFleet fleet = new SensorFleet(settings.devices(), settings.seed());
        Counter rowsIn = Counter.builder("producer.rows.in").tag("source", "fleet").register(meters);
        Counter waits = Counter.builder("producer.fleet.backpressure.timeouts")
                .description("Times the fleet waited a whole block-timeout for Kafka").register(meters);
        Duration wait = config.batching().blockTimeout();
        SensorFleet.RowSink sink = (device, ts, cpuUsed, cpuFree, memoryUsed, memoryFree, elapsed) ->
                batcher.appendWaiting(device, ts, cpuUsed, cpuFree, memoryUsed, memoryFree, elapsed, wait);
        long start = System.nanoTime();
        long startMillis = System.currentTimeMillis();
        while (running && (settings.maxRows() <= 0 || fleet.generated() < settings.maxRows())) {
            long due = SensorFleet.rowsDue(settings.rowsPerSecond(), start, System.nanoTime(), fleet.generated());
            if (settings.maxRows() > 0) {
                due = Math.min(due, settings.maxRows() - fleet.generated());
            }
            if (due == 0) {
                LockSupport.parkNanos(1_000_000);
                continue;
            }
            long nowMillis = System.currentTimeMillis();
            long ts = nowMillis * 1000;
            int elapsed = (int) (nowMillis - startMillis);
            long before = fleet.generated();
            for (long i = 0; i < due && running; i++) {
                if (!fleet.next(sink, ts, elapsed)) {
                    waits.increment();
                    LOG.warnf("sensor fleet: Kafka has not acknowledged anything for %s, still waiting", wait);
                    break;
                }
            }
            // Counted once per tick: a per-row increment of the composite registry's counter was an eighth of
            // the producer's CPU at full speed (deploy/bench/pipeline-bench.sh --profile).
            rowsIn.increment(fleet.generated() - before);
        }
        LOG.infof("sensor fleet stopped after %d rows", fleet.generated());
    }

    /** Runs before the batcher's final flush (lower priority first), so no row arrives after it. */
    void onStop(@Observes @Priority(10) ShutdownEvent event) {
        running = false;
        if (thread != null) {
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
