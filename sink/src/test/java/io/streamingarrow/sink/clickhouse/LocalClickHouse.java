package io.streamingarrow.sink.clickhouse;

import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;

/** The local stack's real ClickHouse (deploy/local/stack.sh), for integration tests. */
public final class LocalClickHouse implements AutoCloseable {

    public static final String URL = System.getProperty("streamingarrow.sinktest.clickhouse-url", "http://127.0.0.1:8123");
    public static final String DATABASE = "streaming_arrow";

    private final Vertx vertx = Vertx.vertx();
    private final ClickHouseHttp http = new ClickHouseHttp(vertx, config(DATABASE, "unused"), 4);

    public LocalClickHouse() {
        try {
            http.ping().toCompletableFuture().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            close();
            throw new IllegalStateException("ClickHouse is not reachable at " + URL
                    + ": start the local stack with deploy/local/stack.sh up (" + e + ")", e);
        }
    }

    public static ClickHouseConfig config(String database, String table) {
        return new ClickHouseConfig() {
            public String url() { return URL; }
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

    public ClickHouseHttp http() {
        return http;
    }

    public Vertx vertx() {
        return vertx;
    }

    public String query(String sql) {
        return await(http.query(sql));
    }

    public void insert(String sql, byte[] body) {
        await(http.insert(sql, Buffer.buffer(body), false));
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
