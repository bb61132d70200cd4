package io.streamingarrow.sink.clickhouse;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.clickhouse.client.api.Client;
import com.clickhouse.client.api.ClientFaultCause;
import com.clickhouse.client.api.ServerException;
import com.clickhouse.client.api.enums.SSLMode;
import com.clickhouse.client.api.insert.InsertResponse;
import com.clickhouse.client.api.insert.InsertSettings;
import com.clickhouse.client.api.query.QueryResponse;
import com.clickhouse.client.api.query.QuerySettings;
import com.clickhouse.data.ClickHouseFormat;

import io.streamingarrow.sink.inserting.InsertBody;

/**
 * The sink's requests through the official ClickHouse Java client (client-v2, {@code
 * sink.clickhouse.transport=java-client}, the default): authentication, TLS ({@code https://} URLs),
 * connection pooling and error decoding are the client's.
 *
 * <p>The client's calls block their thread while the server works, so each runs on a small pool of its
 * own ({@code maxConcurrentRequests} threads, as many pooled connections, a bounded queue) and the stage
 * completes from there: the caller (the sink's pipeline thread) never blocks, and the INSERTs in flight
 * stay bounded by the batcher as before.
 *
 * <p>What is switched off, and why (each has a test against the real server, {@code JavaClientTransportTest}):
 * <ul>
 * <li>the client's LZ4 compression of answers ({@code compress=1}, on by default) and of requests
 * ({@code decompress=1}): ClickHouse 18.16 answers {@code compress=1} with an empty body. Gzip INSERT
 * bodies ({@code sink.clickhouse.gzip}) are the batcher's, sent as they are with {@code Content-Encoding: gzip}.</li>
 * <li>the client's default result format RowBinaryWithNamesAndTypes (sent as {@code X-ClickHouse-Format}):
 * 18.16 does not know it; every query asks for TabSeparated unless its SQL names a format, and answers
 * are read as bytes, not through the client's readers.</li>
 * <li>the client's own retries: the batcher retries (backoff, jitter, refused vs transient) and must
 * see every failure; a resend inside the client would also hold the slot longer than the batcher knows.</li>
 * </ul>
 * ClickHouse 18.16 sends no {@code X-ClickHouse-Exception-Code} header: the client reports such errors
 * with an unknown code, and {@link ClickHouseException#fromResponse} reads it from the message.
 */
public final class JavaClientTransport implements ClickHouseTransport {

    private static final String INSERT_INTO = "INSERT INTO ";
    private static final String FORMAT_NATIVE = " FORMAT Native";
    /** Requests waiting for a thread: the batcher's INSERTs, the pipeline's one query and readiness probes. */
    private static final int QUEUE_LIMIT = 64;

    private final Client client;
    private final ThreadPoolExecutor requests;

    public JavaClientTransport(ClickHouseConfig config, int maxConcurrentRequests) {
        int threads = Math.max(2, maxConcurrentRequests);
        AtomicInteger threadNumber = new AtomicInteger();
        this.requests = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUE_LIMIT),
                r -> {
                    Thread t = new Thread(r, "clickhouse-client-" + threadNumber.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.requests.allowCoreThreadTimeOut(true);
        long connectMillis = config.connectTimeout().toMillis();
        long requestMillis = config.requestTimeout().toMillis();
        Client.Builder builder = new Client.Builder();
        if (config.caCert().isPresent()) {
            // STRICT: the certificate must chain to this CA and match the URL's host.
            builder.setRootCertificate(config.caCert().get()).setSSLMode(SSLMode.STRICT);
        }
        this.client = builder
                .addEndpoint(config.url())
                .setUsername(config.user())
                .setPassword(config.password().orElse(""))
                .setClientName("streaming-arrow-sink")
                .setMaxConnections(threads)
                .setConnectTimeout(connectMillis, ChronoUnit.MILLIS)
                .setConnectionRequestTimeout(requestMillis, ChronoUnit.MILLIS)
                // No byte for this long while sending or waiting for the answer fails the request.
                .setSocketTimeout(requestMillis, ChronoUnit.MILLIS)
                .compressServerResponse(false)
                .compressClientRequest(false)
                .useHttpCompression(false)
                .setMaxRetries(0)
                .retryOnFailures(ClientFaultCause.None)
                // Calls run on the threads of this class (see above), synchronously inside them.
                .useAsyncRequests(false)
                .build();
    }

    @Override
    public CompletionStage<String> query(String sql) {
        return query(sql, Map.of());
    }

    @Override
    public CompletionStage<String> query(String sql, Map<String, String> settings) {
        return run(() -> new String(answer(sql, settings), StandardCharsets.UTF_8));
    }

    @Override
    public CompletionStage<byte[]> queryBytes(String sql) {
        return run(() -> answer(sql, Map.of()));
    }

    @Override
    public CompletionStage<Void> insert(String insertSql, List<ByteBuffer> parts, boolean gzipped) {
        // The client writes "INSERT INTO <target> FORMAT Native" itself: <target> is the table with its column list.
        if (!insertSql.startsWith(INSERT_INTO) || !insertSql.endsWith(FORMAT_NATIVE)) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("not an INSERT ... FORMAT Native: " + insertSql));
        }
        String target = insertSql.substring(INSERT_INTO.length(), insertSql.length() - FORMAT_NATIVE.length());
        InsertSettings settings = new InsertSettings();
        if (gzipped) {
            // Already compressed by the batcher: the client only labels it (Content-Encoding: gzip).
            settings.appCompressedData(true, "gzip");
        }
        return run(() -> {
            // The body's chunks are written straight into the request, one after the other: no array holding
            // the whole body (see VertxHttpTransport for the same on Vert.x); off-heap chunks go through a small array.
            byte[] scratch = new byte[64 * 1024];
            try (InsertResponse ignored = client.insert(target, out -> InsertBody.writeTo(parts, out, scratch),
                    ClickHouseFormat.Native, settings).join()) {
                return null;
            }
        });
    }

    @Override
    public CompletionStage<Void> ping() {
        return query("SELECT 1").thenApply(answer -> {
            if (!"1".equals(answer.strip())) {
                throw ClickHouseException.unreachable(new IOException("SELECT 1 answered '" + answer.strip() + "'"));
            }
            return null;
        });
    }

    /** Requests queued for a thread of this transport (bounded by {@value #QUEUE_LIMIT}). */
    public int queuedRequests() {
        return requests.getQueue().size();
    }

    private byte[] answer(String sql, Map<String, String> settings) throws Exception {
        QuerySettings querySettings = new QuerySettings().setFormat(ClickHouseFormat.TabSeparated);
        settings.forEach(querySettings::serverSetting);
        try (QueryResponse response = client.query(sql, querySettings).join();
             InputStream body = response.getInputStream()) {
            return body.readAllBytes();
        }
    }

    @FunctionalInterface
    private interface Call<T> {
        T call() throws Exception;
    }

    private <T> CompletionStage<T> run(Call<T> call) {
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            requests.execute(() -> {
                try {
                    result.complete(call.call());
                } catch (Throwable e) {
                    result.completeExceptionally(failure(e));
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(ClickHouseException.unreachable(e));
        }
        return result;
    }

    /** The client's failure as the sink's: server errors keep their code, anything else is "unreachable". */
    static ClickHouseException failure(Throwable thrown) {
        Throwable t = thrown;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof ClickHouseException own) {
            return own;
        }
        if (t instanceof ServerException server) {
            String code = server.getCode() == ServerException.CODE_UNKNOWN ? null : Integer.toString(server.getCode());
            return ClickHouseException.fromResponse(server.getTransportProtocolCode(), code, String.valueOf(server.getMessage()));
        }
        return ClickHouseException.unreachable(t);
    }

    @Override
    public void close() {
        client.close();
        requests.shutdownNow();
    }
}
