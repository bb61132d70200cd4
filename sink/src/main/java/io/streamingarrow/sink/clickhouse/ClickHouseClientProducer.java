package io.streamingarrow.sink.clickhouse;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import io.streamingarrow.sink.SinkConfig;
import io.vertx.core.Vertx;

/** The one ClickHouse transport of the service, as {@code sink.clickhouse.transport} says. */
public class ClickHouseClientProducer {

    // Made at start-up: built lazily, the Java client's first use (loading its HTTP stack) could fall on
    // the readiness probe's event-loop thread and block it (seen at start-up on a loaded machine).
    @Produces
    @ApplicationScoped
    @Startup
    ClickHouseTransport clickHouseTransport(Vertx vertx, SinkConfig config, MeterRegistry registry) {
        // The INSERTs in flight, plus the pipeline's table lookups and readiness probes.
        int connections = config.insert().maxInFlight() + 2;
        return switch (config.clickhouse().transport()) {
            case JAVA_CLIENT -> {
                JavaClientTransport transport = new JavaClientTransport(config.clickhouse(), connections);
                Gauge.builder("sink.clickhouse.requests.queued", transport, JavaClientTransport::queuedRequests)
                        .description("requests waiting for a thread of the ClickHouse Java client").register(registry);
                yield transport;
            }
            case VERTX -> new VertxHttpTransport(vertx, config.clickhouse(), connections);
        };
    }

    void close(@Disposes ClickHouseTransport transport) {
        transport.close();
    }
}
