package io.streamingarrow.sink.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import io.streamingarrow.sink.SinkConfig;
import io.streamingarrow.sink.clickhouse.ClickHouseTransport;

/**
 * Ready only while ClickHouse answers (the Vert.x transport asks {@code /ping}, the Java client {@code SELECT 1});
 * Kafka's readiness comes from the messaging extension.
 */
@Readiness
@ApplicationScoped
public class ClickHouseReadiness implements AsyncHealthCheck {

    @Inject
    ClickHouseTransport clickHouse;

    @Inject
    SinkConfig config;

    @Override
    public Uni<HealthCheckResponse> call() {
        return Uni.createFrom().completionStage(clickHouse::ping)
                .map(ok -> HealthCheckResponse.named("clickhouse").up().withData("url", config.clickhouse().url()).build())
                .onFailure().recoverWithItem(e -> HealthCheckResponse.named("clickhouse").down()
                        .withData("url", config.clickhouse().url()).withData("error", String.valueOf(e.getMessage())).build());
    }
}
