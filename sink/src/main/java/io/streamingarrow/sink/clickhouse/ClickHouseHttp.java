package io.streamingarrow.sink.clickhouse;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import io.netty.buffer.Unpooled;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;

/**
 * Non-blocking ClickHouse HTTP interface on Vert.x's HTTP client: queries, {@code /ping} and
 * Native-format inserts. Every request is a POST whose SQL is either the body or (for inserts) the
 * {@code query} URL parameter; failures complete the stage with {@link ClickHouseException}.
 */
public final class ClickHouseHttp implements AutoCloseable {

    private final HttpClient client;
    private final String authorization;
    private final long requestTimeoutMs;

    public ClickHouseHttp(Vertx vertx, ClickHouseConfig config, int maxConnections) {
        URI uri = URI.create(config.url());
        boolean tls = "https".equalsIgnoreCase(uri.getScheme());
        int port = uri.getPort() > 0 ? uri.getPort() : (tls ? 8443 : 8123);
        this.client = vertx.createHttpClient(new HttpClientOptions()
                .setDefaultHost(uri.getHost())
                .setDefaultPort(port)
                .setSsl(tls)
                .setKeepAlive(true)
                .setMaxPoolSize(Math.max(2, maxConnections))
                .setConnectTimeout((int) config.connectTimeout().toMillis())
                .setTryUseCompression(false));
        String credentials = config.user() + ":" + config.password().orElse("");
        this.authorization = "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
        this.requestTimeoutMs = config.requestTimeout().toMillis();
    }

    /** Runs {@code sql} and returns the answer's body as text. */
    public CompletionStage<String> query(String sql) {
        return send("/", Buffer.buffer(sql), false).thenApply(Buffer::toString);
    }

    /** Runs {@code sql} and returns the answer's bytes (binary formats). */
    public CompletionStage<byte[]> queryBytes(String sql) {
        return send("/", Buffer.buffer(sql), false).thenApply(Buffer::getBytes);
    }

    /** Runs {@code sql} with one query-level setting (a URL parameter), e.g. an experimental switch. */
    public CompletionStage<String> query(String sql, String setting, String value) {
        String path = "/?" + URLEncoder.encode(setting, StandardCharsets.UTF_8) + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8);
        return send(path, Buffer.buffer(sql), false).thenApply(Buffer::toString);
    }

    /**
     * Posts a Native body to {@code insertSql} ({@code INSERT INTO ... FORMAT Native}), optionally
     * gzip-compressed ({@code gzipped} says the body already is).
     */
    public CompletionStage<Void> insert(String insertSql, Buffer body, boolean gzipped) {
        String path = "/?query=" + URLEncoder.encode(insertSql, StandardCharsets.UTF_8);
        return send(path, body, gzipped).thenApply(b -> null);
    }

    /** One body of {@code parts} sent back to back, without copying them into one array. */
    public static Buffer body(List<byte[]> parts) {
        return Buffer.buffer(Unpooled.wrappedBuffer(parts.toArray(byte[][]::new)));
    }

    /** Completes normally when {@code /ping} answers {@code Ok.}. */
    public CompletionStage<Void> ping() {
        CompletableFuture<Void> result = new CompletableFuture<>();
        client.request(new RequestOptions().setMethod(HttpMethod.GET).setURI("/ping").setTimeout(requestTimeoutMs))
                .compose(req -> req.send().compose(resp -> resp.body().map(body -> {
                    if (resp.statusCode() != 200) {
                        throw ClickHouseException.fromResponse(resp.statusCode(), null, body.toString());
                    }
                    return null;
                })))
                .onComplete(ar -> complete(result, ar.succeeded() ? null : ar.cause(), null));
        return result;
    }

    private CompletionStage<Buffer> send(String uri, Buffer body, boolean gzipped) {
        CompletableFuture<Buffer> result = new CompletableFuture<>();
        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setURI(uri)
                .setTimeout(requestTimeoutMs)
                .putHeader("Authorization", authorization);
        if (gzipped) {
            options.putHeader("Content-Encoding", "gzip");
        }
        client.request(options)
                .compose(req -> req.send(body).compose(resp -> resp.body().map(answer -> {
                    if (resp.statusCode() != 200) {
                        throw ClickHouseException.fromResponse(resp.statusCode(),
                                resp.getHeader("X-ClickHouse-Exception-Code"), answer.toString());
                    }
                    return answer;
                })))
                .onComplete(ar -> complete(result, ar.succeeded() ? null : ar.cause(), ar.succeeded() ? ar.result() : null));
        return result;
    }

    private static <T> void complete(CompletableFuture<T> result, Throwable failure, T value) {
        if (failure == null) {
            result.complete(value);
        } else if (failure instanceof ClickHouseException) {
            result.completeExceptionally(failure);
        } else {
            result.completeExceptionally(ClickHouseException.unreachable(failure));
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
