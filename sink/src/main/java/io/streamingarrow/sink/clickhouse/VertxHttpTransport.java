package io.streamingarrow.sink.clickhouse;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import io.netty.buffer.Unpooled;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemTrustOptions;

/**
 * The sink's own ClickHouse HTTP transport on Vert.x's non-blocking HTTP client
 * ({@code sink.clickhouse.transport=vertx}): queries, {@code /ping} and Native-format inserts. Every
 * request is a POST whose SQL is either the body or (for inserts) the {@code query} URL parameter;
 * failures complete the stage with {@link ClickHouseException}. Kept beside the official client as the
 * benchmark's reference (sink/README.md).
 */
public final class VertxHttpTransport implements ClickHouseTransport {

    private final HttpClient client;
    private final String authorization;
    private final long requestTimeoutMs;

    public VertxHttpTransport(Vertx vertx, ClickHouseConfig config, int maxConnections) {
        URI uri = URI.create(config.url());
        boolean tls = "https".equalsIgnoreCase(uri.getScheme());
        int port = uri.getPort() > 0 ? uri.getPort() : (tls ? 8443 : 8123);
        HttpClientOptions options = new HttpClientOptions()
                .setDefaultHost(uri.getHost())
                .setDefaultPort(port)
                .setSsl(tls)
                // The server's certificate must name the host (Vert.x's default, said here as it matters).
                .setVerifyHost(true)
                .setKeepAlive(true)
                .setMaxPoolSize(Math.max(2, maxConnections))
                .setConnectTimeout((int) config.connectTimeout().toMillis())
                .setTryUseCompression(false);
        if (tls && config.caCert().isPresent()) {
            options.setTrustOptions(new PemTrustOptions().addCertPath(config.caCert().get()));
        }
        this.client = vertx.createHttpClient(options);
        String credentials = config.user() + ":" + config.password().orElse("");
        this.authorization = "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
        this.requestTimeoutMs = config.requestTimeout().toMillis();
    }

    @Override
    public CompletionStage<String> query(String sql) {
        return send("/", Buffer.buffer(sql), false).thenApply(Buffer::toString);
    }

    @Override
    public CompletionStage<byte[]> queryBytes(String sql) {
        return send("/", Buffer.buffer(sql), false).thenApply(Buffer::getBytes);
    }

    @Override
    public CompletionStage<String> query(String sql, Map<String, String> settings) {
        StringJoiner path = new StringJoiner("&", "/?", "");
        settings.forEach((name, value) -> path.add(URLEncoder.encode(name, StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(value, StandardCharsets.UTF_8)));
        return send(path.toString(), Buffer.buffer(sql), false).thenApply(Buffer::toString);
    }

    @Override
    public CompletionStage<Void> insert(String insertSql, List<ByteBuffer> parts, boolean gzipped) {
        String path = "/?query=" + URLEncoder.encode(insertSql, StandardCharsets.UTF_8);
        // One body of the parts back to back (a composite buffer over them, fresh positions), not a copy into one array.
        Buffer body = Buffer.buffer(Unpooled.wrappedBuffer(parts.stream().map(ByteBuffer::duplicate).toArray(ByteBuffer[]::new)));
        return send(path, body, gzipped).thenApply(b -> null);
    }

    /** Completes normally when {@code /ping} answers {@code Ok.}. */
    @Override
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
