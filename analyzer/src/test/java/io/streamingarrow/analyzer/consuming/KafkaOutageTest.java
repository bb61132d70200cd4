package io.streamingarrow.analyzer.consuming;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

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
import io.streamingarrow.shared.ipc.ArrowIpcEncoder;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;

/**
 * The analyzer loses its link to Kafka for several idle timeouts while rows keep arriving at the broker
 * (a live stream, event time = wall time): when the link is back, every row is in its window, none counted
 * late, and every window is stored and published exactly once. The broker is a private one whose clients'
 * listener is advertised at a proxy, so that cutting the proxy cuts the analyzer off entirely (consumer,
 * end-offset questions and outputs) while the test's producer, on the other listener, goes on.
 */
@QuarkusTest
@QuarkusTestResource(value = KafkaOutageTest.Resources.class, restrictToAnnotatedClass = true)
@TestProfile(KafkaOutageTest.Profile.class)
class KafkaOutageTest {

    static final OutageStreams.Names NAMES = OutageStreams.Names.fresh("kafkaout");

    public static class Resources implements QuarkusTestResourceLifecycleManager {
        static Vertx vertx;
        static TcpProxy proxy;
        static PrivateKafka kafka;

        @Override
        public Map<String, String> start() {
            try {
                vertx = Vertx.vertx();
                int proxyPort = PrivateKafka.freePort();
                kafka = new PrivateKafka(proxyPort);
                proxy = new TcpProxy(vertx, "127.0.0.1", kafka.externalPort(), proxyPort);
                proxy.start();
                NAMES.create(kafka.internalBootstrap());
                return new HashMap<>(NAMES.config("127.0.0.1:" + proxyPort));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void stop() {
            try {
                proxy.close();
                kafka.close();
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
                    "analyzer.window.end-offsets-max-age", "3s",
                    "analyzer.window.end-offsets-timeout", "2s");
        }
    }

    @Inject
    Pool pool;

    @Test
    void anOutageLongerThanTheIdleTimeoutLosesNoRow() throws Exception {
        OutageStreams stream = new OutageStreams();
        Random random = new Random(31);
        AtomicLong sent = new AtomicLong();
        ScheduledExecutorService clock = Executors.newSingleThreadScheduledExecutor();
        try (BufferAllocator allocator = new RootAllocator();
             KafkaProducer<String, byte[]> producer = OutageStreams.producer(Resources.kafka.internalBootstrap())) {
            ArrowIpcEncoder encoder = ArrowIpcEncoder.seedDefault();
            // A live stream: every 100 ms, 20 rows per device stamped with the wall clock.
            ScheduledFuture<?> live = clock.scheduleAtFixedRate(() -> {
                long now = System.currentTimeMillis() * 1000;
                for (String device : new String[] {"fan-1", "fan-2", "fan-3", "fan-4", "fan-5", "fan-6"}) {
                    long[] ts = new long[20];
                    float[] cpu = new float[20];
                    for (int i = 0; i < 20; i++) {
                        ts[i] = now - 100_000 + i * 5_000L;
                        cpu[i] = random.nextFloat() * 100;
                    }
                    producer.send(new ProducerRecord<>(NAMES.input(), device, stream.message(allocator, encoder, device, ts, cpu)));
                }
                sent.incrementAndGet();
            }, 0, 100, TimeUnit.MILLISECONDS);

            await().atMost(Duration.ofSeconds(60)).until(() -> OutageStreams.storedWindows(pool, NAMES.schema()) > 0);
            await().atMost(Duration.ofSeconds(10)).until(() -> sent.get() >= 30);
            Resources.proxy.stop(); // the analyzer is cut off from Kafka; the producer goes on
            long cutAt = sent.get();
            await().atMost(Duration.ofSeconds(60)).until(() -> sent.get() >= cutAt + 80); // 8 s: four idle timeouts
            Resources.proxy.start();
            long restoredAt = sent.get();
            await().atMost(Duration.ofSeconds(60)).until(() -> sent.get() >= restoredAt + 30);
            live.cancel(false);
            clock.shutdown();
            assertTrue(clock.awaitTermination(10, TimeUnit.SECONDS));
            producer.flush();
        }
        await().atMost(Duration.ofSeconds(120)).until(() -> OutageStreams.storedRows(pool, NAMES.schema()) >= stream.rows
                || PostgresOutageTest.metric("analyzer_rows_late_total") > 0);
        assertEquals(0, PostgresOutageTest.metric("analyzer_rows_late_total"), "no row counted late");
        stream.assertStored(pool, NAMES.schema());
        stream.assertPublishedOnce(Resources.kafka.internalBootstrap(), NAMES.aggregates());
    }
}
