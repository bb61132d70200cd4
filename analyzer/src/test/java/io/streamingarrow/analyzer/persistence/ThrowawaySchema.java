package io.streamingarrow.analyzer.persistence;

import java.time.Duration;
import java.util.UUID;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.PgPool;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.PoolOptions;

/**
 * A pool on the local stack's PostgreSQL (deploy/local/stack.sh) and, per test, a schema name no other test
 * uses; the schema is dropped and the pool closed after the test. Register it with
 * {@code @RegisterExtension final ThrowawaySchema postgres = new ThrowawaySchema("prefix", poolSize);}.
 */
final class ThrowawaySchema implements BeforeEachCallback, AfterEachCallback {

    private final String prefix;
    private final int poolSize;
    private Vertx vertx;
    private Pool pool;
    private String schema;

    ThrowawaySchema(String prefix, int poolSize) {
        this.prefix = prefix;
        this.poolSize = poolSize;
    }

    Pool pool() {
        return pool;
    }

    String schema() {
        return schema;
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        vertx = Vertx.vertx();
        PgConnectOptions connect = new PgConnectOptions().setHost("127.0.0.1").setPort(5432)
                .setDatabase("streaming_arrow").setUser("streaming_arrow").setPassword("streaming_arrow");
        pool = PgPool.pool(vertx, connect, new PoolOptions().setMaxSize(poolSize));
        schema = prefix + "_" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        try {
            pool.query("DROP SCHEMA IF EXISTS " + schema + " CASCADE").execute().await().atMost(Duration.ofSeconds(10));
        } finally {
            pool.closeAndAwait();
            vertx.closeAndAwait();
        }
    }
}
