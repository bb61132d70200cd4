package io.streamingarrow.producer.batching;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;

/**
 * Not ready while batches cannot be flushed (the linger or a requested flush keeps failing): the producer would
 * take events it cannot publish. Counted in {@code producer_flush_failures_total}.
 */
@Readiness
@ApplicationScoped
public class BatchingReadiness implements HealthCheck {

    @Inject
    BatchLifecycle lifecycle;

    @Inject
    MeterRegistry meters;

    void onStart(@Observes StartupEvent event) {
        FunctionCounter.builder("producer.flush.failures", lifecycle, BatchLifecycle::flushFailures)
                .description("Linger and requested flushes that threw (each is retried at the next tick)").register(meters);
    }

    @Override
    public HealthCheckResponse call() {
        String failing = lifecycle.flushFailing();
        return failing == null
                ? HealthCheckResponse.named("batching").up().build()
                : HealthCheckResponse.named("batching").down().withData("reason", failing).build();
    }
}
