package io.streamingarrow.sink.clickhouse;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;

import io.streamingarrow.sink.SinkConfig;
import io.vertx.core.Vertx;

/** The one ClickHouse HTTP client of the service, on Quarkus's Vert.x. */
public class ClickHouseClientProducer {

    @Produces
    @ApplicationScoped
    ClickHouseHttp clickHouseHttp(Vertx vertx, SinkConfig config) {
        return new ClickHouseHttp(vertx, config.clickhouse(), config.insert().maxInFlight() + 2);
    }

    void close(@Disposes ClickHouseHttp http) {
        http.close();
    }
}
