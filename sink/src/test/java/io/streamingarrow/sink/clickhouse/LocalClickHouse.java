package io.streamingarrow.sink.clickhouse;

import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import java.util.List;

import io.streamingarrow.sink.clickhouse.ClickHouseConfig.Transport;
import io.vertx.core.Vertx;

/**
 * The local stack's real ClickHouse (deploy/local/stack.sh), for integration tests, reached through one
 * of the sink's transports (the default one unless a test names another).
 */
public final class LocalClickHouse implements AutoCloseable {

    public static final String URL = System.getProperty("streamingarrow.sinktest.clickhouse-url", "http://127.0.0.1:8123");
    public static final String DATABASE = "streaming_arrow";
    /** The transport the sink uses unless configured otherwise ({@code sink.clickhouse.transport}). */
    public static final Transport DEFAULT_TRANSPORT = Transport.JAVA_CLIENT;

    private final Vertx vertx = Vertx.vertx();
    private final ClickHouseTransport http;

    public LocalClickHouse() {
        this(DEFAULT_TRANSPORT);
    }

    public LocalClickHouse(Transport transport) {
        http = open(vertx, config(DATABASE, "unused", transport), 4);
        try {
            http.ping().toCompletableFuture().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            close();
            throw new IllegalStateException("ClickHouse is not reachable at " + URL
                    + ": start the local stack with deploy/local/stack.sh up (" + e + ")", e);
        }
    }

    /** A transport of the kind {@code config} names, as the sink's producer makes it. */
    public static ClickHouseTransport open(Vertx vertx, ClickHouseConfig config, int connections) {
        return switch (config.transport()) {
            case JAVA_CLIENT -> new JavaClientTransport(config, connections);
            case VERTX -> new VertxHttpTransport(vertx, config, connections);
        };
    }

    public static ClickHouseConfig config(String database, String table) {
        return config(database, table, DEFAULT_TRANSPORT);
    }

    public static ClickHouseConfig config(String database, String table, Transport transport) {
        return new ClickHouseConfig() {
            public String url() { return URL; }
            public Transport transport() { return transport; }
            public Optional<String> caCert() { return Optional.empty(); }
            public String user() { return "default"; }
            public Optional<String> password() { return Optional.empty(); }
            public String database() { return database; }
            public String table() { return table; }
            public boolean autoCreate() { return true; }
            public boolean gzip() { return false; }
            public Duration connectTimeout() { return Duration.ofSeconds(5); }
            public Duration requestTimeout() { return Duration.ofSeconds(30); }
        };
    }

    public static String uniqueTable(String prefix) {
        return prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    public ClickHouseTransport http() {
        return http;
    }

    public Vertx vertx() {
        return vertx;
    }

    public String query(String sql) {
        return await(http.query(sql));
    }

    public void insert(String sql, byte[] body) {
        await(http.insert(sql, List.of(java.nio.ByteBuffer.wrap(body)), false));
    }

    public static <T> T await(CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        http.close();
        vertx.close();
    }
}
