package io.streamingarrow.analyzer.consuming;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * The analyzer starts while PostgreSQL cannot be reached (a proxy in front of the real server is closed):
 * the start must not fail. It reports not ready, saying PostgreSQL is why, takes no message, and once
 * PostgreSQL answers it migrates the schema, becomes ready by itself and stores every window, sent before
 * and after, exactly once. Before, the start failed and only a restart by hand (or Kubernetes) helped.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresDownAtStartTest.Resources.class, restrictToAnnotatedClass = true)
@TestProfile(PostgresDownAtStartTest.Profile.class)
class PostgresDownAtStartTest {

    static final OutageStreams.Names NAMES = OutageStreams.Names.fresh("pgstart");
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
                postgres.start(); // to learn its port
                postgres.stop(); // PostgreSQL is away when the analyzer starts
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
    void startsNotReadyAndStoresEveryWindowOncePostgresAppears() throws Exception {
        OutageStreams stream = new OutageStreams();
        long base = (System.currentTimeMillis() - 120_000) * 1000 / OutageStreams.SIZE * OutageStreams.SIZE;
        Random random = new Random(23);
        try (BufferAllocator allocator = new RootAllocator();
             KafkaProducer<String, byte[]> producer = OutageStreams.producer(BOOTSTRAP)) {
            ArrowIpcEncoder encoder = ArrowIpcEncoder.seedDefault();
            Response ready = given().get("/q/health/ready");
            assertEquals(503, ready.statusCode(), "not ready while PostgreSQL is away: " + ready.body().asString());
            assertTrue(ready.body().asString().contains("PostgreSQL"), "says why: " + ready.body().asString());
            // Rows arrive meanwhile: they wait in Kafka.
            send(producer, stream, allocator, encoder, random, base, 20);
            await().atMost(Duration.ofSeconds(30)).until(() -> PostgresOutageTest.metric("analyzer_store_failures_total") >= 2);
            assertEquals(503, given().get("/q/health/ready").statusCode(), "still not ready, retrying");

            Resources.postgres.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> given().get("/q/health/ready").statusCode() == 200);
            send(producer, stream, allocator, encoder, random, base + 7_000_000, 20);
        }
        await().atMost(Duration.ofSeconds(90)).until(() -> OutageStreams.storedRows(pool, NAMES.schema()) == stream.rows);
        stream.assertStored(pool, NAMES.schema());
        assertEquals(0, PostgresOutageTest.metric("analyzer_rows_late_total"), "no row late");
    }

    /** {@code messages} messages per device of 50 rows each, 250 ms apart, from {@code from}. */
    private static void send(KafkaProducer<String, byte[]> producer, OutageStreams stream, BufferAllocator allocator,
                             ArrowIpcEncoder encoder, Random random, long from, int messages) throws Exception {
        for (int m = 0; m < messages; m++) {
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
}
