package io.streamingarrow.analyzer.consuming;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import jakarta.inject.Inject;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.streamingarrow.shared.ipc.ArrowIpcEncoder;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;

/**
 * PostgreSQL goes away (a proxy in front of the real server is cut, the shared server keeps running) while
 * windows are closing, and comes back: readiness goes DOWN saying why, comes back UP by itself, and every
 * window is then stored and published exactly once with the right values.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresOutageTest.Resources.class, restrictToAnnotatedClass = true)
@TestProfile(PostgresOutageTest.Profile.class)
class PostgresOutageTest {

    static final OutageStreams.Names NAMES = OutageStreams.Names.fresh("pgout");
    static final String BOOTSTRAP = LocalStackResources.BOOTSTRAP;

    public static class Resources implements QuarkusTestResourceLifecycleManager {
        static Vertx vertx;
        static TcpProxy postgres;

        @Override
        public Map<String, String> start() {
            NAMES.create(BOOTSTRAP);
            vertx = Vertx.vertx();
            postgres = new TcpProxy(vertx, "127.0.0.1", 5432);
            try {
                postgres.start();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            Map<String, String> config = new HashMap<>(NAMES.config(BOOTSTRAP));
            config.put("quarkus.datasource.reactive.url", "postgresql://127.0.0.1:" + postgres.port() + "/streaming_arrow");
            return config;
        }

        @Override
        public void stop() {
            try {
                postgres.close();
            } catch (Exception e) {
                // the JVM ends anyway
            }
            vertx.close();
        }
    }

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "analyzer.window.size", "1s",
                    "analyzer.window.allowed-lateness", "500ms",
                    "analyzer.window.idle-timeout", "2s",
                    "analyzer.store.timeout", "2s",
                    "analyzer.store.retry-max-backoff", "1s");
        }
    }

    @Inject
    Pool pool;

    @Test
    void storesEveryWindowExactlyOnceAfterPostgresComesBack() throws Exception {
        OutageStreams stream = new OutageStreams();
        long base = (System.currentTimeMillis() - 120_000) * 1000 / OutageStreams.SIZE * OutageStreams.SIZE;
        Random random = new Random(21);
        try (BufferAllocator allocator = new RootAllocator();
             KafkaProducer<String, byte[]> producer = OutageStreams.producer(BOOTSTRAP)) {
            ArrowIpcEncoder encoder = ArrowIpcEncoder.seedDefault();
            // Before the outage: 5 s of rows, stored as they close.
            send(producer, stream, allocator, encoder, random, base, 0, 20);
            await().atMost(Duration.ofSeconds(60)).until(() -> OutageStreams.storedWindows(pool, NAMES.schema()) > 0);

            Resources.postgres.stop();
            // During it: 5 more seconds of rows, a gap after the first (the stream paused meanwhile).
            send(producer, stream, allocator, encoder, random, base + 7_000_000, 0, 20);
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                Response ready = given().get("/q/health/ready");
                return ready.statusCode() == 503 && ready.body().asString().contains("PostgreSQL");
            });
            long cutAt = System.nanoTime();
            // Longer than Vert.x's 30 s acquisition timer, which used to fail its already-failed result then.
            await().atMost(Duration.ofSeconds(90)).until(() -> metric("analyzer_store_failures_total") >= 3
                    && System.nanoTime() - cutAt > Duration.ofSeconds(35).toNanos());
            assertEquals(503, given().get("/q/health/ready").statusCode(), "still not ready while PostgreSQL is away");

            Resources.postgres.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> given().get("/q/health/ready").statusCode() == 200);
            // After it: more rows, taken as usual.
            send(producer, stream, allocator, encoder, random, base + 14_000_000, 0, 20);
        }
        await().atMost(Duration.ofSeconds(90)).until(() -> OutageStreams.storedRows(pool, NAMES.schema()) == stream.rows);
        stream.assertStored(pool, NAMES.schema());
        stream.assertPublishedOnce(BOOTSTRAP, NAMES.aggregates());
        assertEquals(0, metric("analyzer_rows_late_total"), "no row late");
    }

    /** {@code messages} messages per device of 50 rows each, 250 ms apart, from {@code from}. */
    private static void send(KafkaProducer<String, byte[]> producer, OutageStreams stream, BufferAllocator allocator,
                             ArrowIpcEncoder encoder, Random random, long from, int first, int messages) throws Exception {
        for (int m = first; m < first + messages; m++) {
            for (String device : new String[] {"pump-1", "pump-2", "pump-3"}) {
                long[] ts = new long[50];
                float[] cpu = new float[50];
                for (int i = 0; i < 50; i++) {
                    ts[i] = from + m * 250_000L + i * 5_000L + random.nextInt(3000);
                    cpu[i] = random.nextFloat() * 100;
                }
                producer.send(new ProducerRecord<>(NAMES.input(), device, stream.message(allocator, encoder, device, ts, cpu)));
            }
        }
        producer.flush();
    }

    static double metric(String name) {
        String body = given().get("/q/metrics").body().asString();
        double total = 0;
        for (String line : body.split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return total;
    }
}
