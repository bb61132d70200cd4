package io.streamingarrow.producer.hostmetrics;

import java.nio.charset.StandardCharsets;
import java.net.InetAddress;
import java.net.UnknownHostException;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.streamingarrow.producer.ProducerConfig;
import io.streamingarrow.producer.batching.ShardedBatcher;
import oshi.SystemInfo;

/** Samples this host on a schedule and feeds the batcher; under backpressure keeps a bounded backlog. */
@ApplicationScoped
public class HostMetricsSource {

    @Inject
    ProducerConfig config;

    @Inject
    ShardedBatcher batcher;

    @Inject
    MeterRegistry meters;

    private HostMetricsSampler sampler;
    private SampleBacklog backlog;
    private byte[] device;
    private Counter rowsIn;

    @PostConstruct
    void init() {
        SystemInfo system = new SystemInfo();
        sampler = new HostMetricsSampler(system.getHardware().getProcessor(), system.getHardware().getMemory(),
                () -> System.currentTimeMillis() * 1000);
        backlog = new SampleBacklog(config.hostMetrics().backlog());
        device = config.hostMetrics().device().orElseGet(HostMetricsSource::hostName).getBytes(StandardCharsets.UTF_8);
        rowsIn = Counter.builder("producer.rows.in").tag("source", "host-metrics").register(meters);
        FunctionCounter.builder("producer.rows.dropped", backlog, SampleBacklog::dropped).tag("source", "host-metrics")
                .description("Host samples dropped (oldest first) while Kafka pushed back").register(meters);
        Gauge.builder("producer.host-metrics.backlog", backlog, SampleBacklog::size).register(meters);
    }

    @Scheduled(every = "${producer.host-metrics.interval:1s}", skipExecutionIf = Disabled.class)
    void sample() {
        backlog.add(sampler.sample());
        int taken = backlog.drainTo(s -> batcher.tryAppend(device, s.tsMicros(), s.cpuUsed(), s.cpuFree(),
                s.memoryUsed(), s.memoryFree(), s.runElapsedMs()));
        rowsIn.increment(taken);
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }

    /** Skips sampling when {@code producer.host-metrics.enabled=false}, and until start-up completes. */
    @Singleton
    public static class Disabled implements Scheduled.SkipPredicate {
        @Inject
        ProducerConfig config;

        private volatile boolean running;

        void onStart(@Observes StartupEvent event) {
            running = true;
        }

        @Override
        public boolean test(io.quarkus.scheduler.ScheduledExecution execution) {
            return !running || !config.hostMetrics().enabled();
        }
    }
}
