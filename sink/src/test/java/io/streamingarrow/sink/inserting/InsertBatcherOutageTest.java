package io.streamingarrow.sink.inserting;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.streamingarrow.shared.testing.ArrowMemoryExtension;
import io.streamingarrow.sink.clickhouse.ClickHouseConfig;
import io.streamingarrow.sink.clickhouse.ClickHouseConfig.Transport;
import io.streamingarrow.sink.clickhouse.ClickHouseTransport;
import io.streamingarrow.sink.clickhouse.Identifiers;
import io.streamingarrow.sink.clickhouse.LocalClickHouse;
import io.streamingarrow.sink.clickhouse.NativeWriter;
import io.streamingarrow.sink.clickhouse.TableManager;
import io.streamingarrow.sink.conversion.ConversionPlan;
import io.streamingarrow.sink.conversion.ConversionPlanner;
import io.streamingarrow.sink.conversion.EncodedMessage;
import io.streamingarrow.sink.conversion.RowOrigin;

/**
 * The batcher against the real ClickHouse behind a relay that goes down mid-stream: consumption pauses
 * (add() stops completing) with bounded buffers, nothing is acknowledged while the server is away, and
 * every row lands once it is back, with gzip bodies. Through each transport ({@code sink.clickhouse.transport}).
 */
@ExtendWith(ArrowMemoryExtension.class)
class InsertBatcherOutageTest {

    @ParameterizedTest
    @EnumSource(Transport.class)
    void clickHouseDownThenBackLosesNothing(Transport transport, BufferAllocator allocator) throws Exception {
        try (LocalClickHouse clickHouse = new LocalClickHouse(transport)) {
            String table = LocalClickHouse.uniqueTable("outage");
            String name = Identifiers.table(LocalClickHouse.DATABASE, table);
            clickHouse.query("CREATE TABLE " + name + " (device String, v Int32) ENGINE = Memory");
            URI target = URI.create(LocalClickHouse.URL);
            ScheduledExecutorService pipeline = Executors.newSingleThreadScheduledExecutor();
            try (TcpProxy proxy = new TcpProxy(clickHouse.vertx(), target.getHost(), target.getPort())) {
                proxy.start();
                ClickHouseConfig config = viaProxy(proxy.port(), transport);
                ClickHouseTransport http = LocalClickHouse.open(clickHouse.vertx(), config, 4);
                ConversionPlan plan;
                try (VectorSchemaRoot sample = schemaRoot(allocator, 0, 1)) {
                    plan = new ConversionPlanner(false).plan(sample.getSchema(),
                            new TableManager(clickHouse.http(), LocalClickHouse.DATABASE, table, false, Duration.ofSeconds(10)).describe());
                }
                AtomicInteger inserted = new AtomicInteger();
                AtomicInteger rejected = new AtomicInteger();
                // max-bytes 1: every message is a full buffer by itself. (A buffer past max-rows alone keeps filling
                // while every slot is taken, up to max-bytes: InsertBatcherTest.)
                InsertBatcher batcher = new InsertBatcher(new InsertBatcher.Limits(100, 1, 50, 2,
                        new Backoff(Duration.ofMillis(50), Duration.ofMillis(400)), 3, true),
                        http::insert,
                        pipeline, InsertMetrics.NONE, new InsertMemory(16 << 20, 1 << 20));
                Delivery delivery = new Delivery() {
                    public void inserted() {
                        inserted.incrementAndGet();
                    }

                    public void rejected(Throwable cause, byte[] original) {
                        rejected.incrementAndGet();
                    }
                };

                // first messages land while the server is up
                for (int m = 0; m < 3; m++) {
                    add(pipeline, batcher, message(allocator, plan, m), delivery).toCompletableFuture().get(10, TimeUnit.SECONDS);
                }
                awaitTrue(() -> inserted.get() == 3);

                proxy.stop();
                // each message fills a batch (max-bytes): 2 in flight + 1 waiting, then add() stops completing
                List<CompletionStage<Void>> stages = new ArrayList<>();
                int m = 3;
                for (; m < 6; m++) {
                    stages.add(add(pipeline, batcher, message(allocator, plan, m), delivery));
                }
                await().alias("nothing acknowledged while ClickHouse is away").during(Duration.ofMillis(1500))
                        .atMost(Duration.ofSeconds(5)).until(() -> inserted.get() == 3);
                assertFalse(stages.get(2).toCompletableFuture().isDone(), "consumption paused: a full buffer waits");
                assertEquals(2, batcher.inFlight());

                proxy.start();
                stages.get(2).toCompletableFuture().get(20, TimeUnit.SECONDS);
                for (; m < 8; m++) {
                    add(pipeline, batcher, message(allocator, plan, m), delivery).toCompletableFuture().get(20, TimeUnit.SECONDS);
                }
                awaitTrue(() -> inserted.get() == 8);
                assertEquals(0, rejected.get());
                assertEquals("800\t800\n", clickHouse.query("SELECT count(), uniqExact(v) FROM " + name + " FORMAT TabSeparated"));
                http.close();
            } finally {
                pipeline.shutdownNow();
                clickHouse.query("DROP TABLE IF EXISTS " + name);
            }
        }
    }

    private static CompletionStage<Void> add(ScheduledExecutorService pipeline, InsertBatcher batcher, EncodedMessage message,
                                             Delivery delivery) throws Exception {
        return pipeline.submit(() -> batcher.add(message, delivery)).get(5, TimeUnit.SECONDS);
    }

    private static EncodedMessage message(BufferAllocator allocator, ConversionPlan plan, int m) {
        try (VectorSchemaRoot root = schemaRoot(allocator, m * 100, 100)) {
            NativeWriter out = new NativeWriter(1024);
            plan.encode(root, new RowOrigin(0, m, 0), out);
            return new EncodedMessage(plan, out.toByteArray(), 100);
        }
    }

    private static VectorSchemaRoot schemaRoot(BufferAllocator allocator, int first, int rows) {
        VarCharVector device = new VarCharVector("device", allocator);
        IntVector v = new IntVector("v", allocator);
        device.allocateNew();
        v.allocateNew(rows);
        for (int i = 0; i < rows; i++) {
            device.setSafe(i, ("d" + (first + i) % 7).getBytes(StandardCharsets.UTF_8));
            v.set(i, first + i);
        }
        VectorSchemaRoot root = new VectorSchemaRoot(List.<FieldVector>of(device, v));
        root.setRowCount(rows);
        return root;
    }

    private static ClickHouseConfig viaProxy(int port, Transport transport) {
        ClickHouseConfig base = LocalClickHouse.config(LocalClickHouse.DATABASE, "unused");
        return new ClickHouseConfig() {
            public String url() { return "http://127.0.0.1:" + port; }
            public Transport transport() { return transport; }
            public Optional<String> caCert() { return base.caCert(); }
            public String user() { return base.user(); }
            public Optional<String> password() { return base.password(); }
            public String database() { return base.database(); }
            public String table() { return base.table(); }
            public boolean autoCreate() { return false; }
            public boolean gzip() { return true; }
            public Duration connectTimeout() { return Duration.ofSeconds(1); }
            public Duration requestTimeout() { return Duration.ofSeconds(5); }
        };
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(condition::getAsBoolean);
    }
}
