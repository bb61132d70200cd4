package io.streamingarrow.analyzer.consuming;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.streamingarrow.analyzer.alerting.AlertEngine;
import io.streamingarrow.analyzer.alerting.AlertTransition;
import io.streamingarrow.analyzer.persistence.AnalyzerStore;
import io.streamingarrow.analyzer.windowing.ClosedWindow;
import io.streamingarrow.analyzer.windowing.EndOffsets;
import io.streamingarrow.analyzer.windowing.Watermarks;
import io.streamingarrow.analyzer.windowing.WindowAggregator;
import io.streamingarrow.analyzer.windowing.WindowSpec;
import io.streamingarrow.shared.ipc.ArrowIpcDecoder;
import io.streamingarrow.shared.ipc.ArrowIpcEncoder;
import io.streamingarrow.shared.ipc.DecodeLimits;
import io.streamingarrow.shared.testing.ArrowMemoryExtension;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.PgPool;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.PoolOptions;

/**
 * Two analyzers in one consumer group on the real Kafka and PostgreSQL of the local stack, with the throttled
 * commit strategy's rule played out (each partition commits its contiguous acknowledged prefix, and commits it
 * when the partition is revoked). A second member joins (the first loses half its partitions while its
 * windows are open), then the first one dies without a word while its partitions still had open windows and
 * the survivor's own partitions had gone further in event time. The survivor reads the dead member's
 * partitions again from their last commit: every window must be in PostgreSQL exactly once with the values
 * of a single uninterrupted run (the fault suite's scale-out lost one partition's windows this way).
 */
@ExtendWith(ArrowMemoryExtension.class)
class ConsumerGroupRebalanceTest {

    private static final String BOOTSTRAP = LocalStackResources.BOOTSTRAP;
    private static final int PARTITIONS = 4;
    private static final long BASE = 1_767_225_600_000_000L; // 2026-01-01, µs
    private static final long STEP = 250_000L; // event time between two messages of a partition
    private static final long IDLE_NANOS = Duration.ofSeconds(5).toNanos();

    private final OutageStreams stream = new OutageStreams();
    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final Map<Integer, Long> produced = new HashMap<>(); // per partition: the broker's end offset
    private OutageStreams.Names names;
    private Vertx vertx;
    private Pool pool;
    private AnalyzerStore store;
    private KafkaProducer<String, byte[]> producer;
    private final List<Member> members = new ArrayList<>();

    @BeforeEach
    void setUp() {
        names = OutageStreams.Names.fresh("rebalance");
        names.create(BOOTSTRAP);
        vertx = Vertx.vertx();
        pool = PgPool.pool(vertx, new PgConnectOptions().setHost("127.0.0.1").setPort(5432).setDatabase("streaming_arrow")
                .setUser("streaming_arrow").setPassword("streaming_arrow"), new PoolOptions().setMaxSize(4));
        store = new AnalyzerStore(pool, names.schema());
        store.migrate().await().atMost(Duration.ofSeconds(30));
        producer = OutageStreams.producer(BOOTSTRAP);
    }

    @AfterEach
    void tearDown() {
        members.forEach(Member::close);
        producer.close();
        pool.query("DROP SCHEMA IF EXISTS " + names.schema() + " CASCADE").execute().await().atMost(Duration.ofSeconds(10));
        pool.closeAndAwait();
        vertx.closeAndAwait();
    }

    /** No-op outputs: this test is about what PostgreSQL holds. */
    private static final class NoOutputs implements Outputs {
        @Override
        public CompletionStage<Void> windows(List<ClosedWindow> closed) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletionStage<Void> alert(AlertTransition transition) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void deadLetter(byte[] key, byte[] value, String reason, String topic, int partition, long offset, Runnable ack) {
            ack.run();
        }

        @Override
        public void deadLetterRows(byte[] key, byte[] value, String reason, String rows, int count, String topic,
                                   int partition, long offset, Runnable ack) {
            ack.run();
        }
    }

    /** One analyzer: its pipeline, its consumer, and the throttled strategy's bookkeeping of acknowledgements. */
    private final class Member implements ConsumerRebalanceListener {
        final String name;
        final AnalyzerPipeline pipeline;
        final KafkaConsumer<byte[], byte[]> consumer;
        final Map<Integer, TreeSet<Long>> unacked = new HashMap<>(); // per owned partition
        final Map<Integer, Long> next = new HashMap<>(); // per owned partition: next offset to read
        final TreeSet<Integer> owned = new TreeSet<>();
        boolean closed;

        Member(String name, String group) {
            this.name = name;
            // The broker holds what the test produced and always answers.
            EndOffsets broker = () -> new EndOffsets.Answer(Map.copyOf(produced), clock.get());
            pipeline = new AnalyzerPipeline(new ArrowIpcDecoder(DecodeLimits.DEFAULT),
                    new WindowAggregator(WindowSpec.tumbling(OutageStreams.SIZE), List.of("cpu_used"), 100_000),
                    new Watermarks(300_000, IDLE_NANOS, OutageStreams.SIZE, broker, Duration.ofSeconds(3).toNanos()),
                    new AlertEngine(List.of()), store, new NoOutputs(), clock::get, names.input(), Duration.ofSeconds(30));
            pipeline.restore();
            Properties p = new Properties();
            p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, BOOTSTRAP);
            p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
            p.put(ConsumerConfig.CLIENT_ID_CONFIG, group + "-" + name);
            p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 7);
            consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            consumer.subscribe(List.of(names.input()), this);
            members.add(this);
        }

        /** One poll; each record goes through the pipeline; the acknowledged prefixes are committed. */
        void pump() {
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                int partition = record.partition();
                long offset = record.offset();
                TreeSet<Long> waiting = unacked.get(partition);
                waiting.add(offset);
                next.put(partition, offset + 1);
                CompletionStage<Void> taken = pipeline.offer(partition, offset, null, record.value(), () -> waiting.remove(offset));
                assertTrue(taken.toCompletableFuture().isDone(), name + " took the message at once");
            }
            pipeline.tick();
            commit(owned);
        }

        void commit(Collection<Integer> partitions) {
            Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
            for (int partition : partitions) {
                TreeSet<Long> waiting = unacked.get(partition);
                Long read = next.get(partition);
                if (waiting == null || read == null) {
                    continue;
                }
                offsets.put(new TopicPartition(names.input(), partition), new OffsetAndMetadata(waiting.isEmpty() ? read : waiting.first()));
            }
            if (!offsets.isEmpty()) {
                consumer.commitSync(offsets);
            }
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (closed) {
                return; // dead: a SIGKILLed member neither commits nor tells its pipeline anything
            }
            List<Integer> revoked = partitions.stream().map(TopicPartition::partition).toList();
            commit(revoked); // what the throttled strategy does before it lets a partition go
            pipeline.revoked(revoked);
            revoked.forEach(partition -> {
                owned.remove(partition);
                unacked.remove(partition);
                next.remove(partition);
            });
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            if (closed) {
                return;
            }
            Map<Integer, Long> positions = new LinkedHashMap<>();
            for (TopicPartition tp : partitions) {
                owned.add(tp.partition());
                unacked.put(tp.partition(), new TreeSet<>());
                positions.put(tp.partition(), consumer.position(tp));
            }
            pipeline.assigned(positions);
        }

        /** Read up to the broker's end on every owned partition. */
        boolean caughtUp() {
            for (int partition : owned) {
                if (consumer.position(new TopicPartition(names.input(), partition)) < produced.getOrDefault(partition, 0L)) {
                    return false;
                }
            }
            return true;
        }

        /** Dies: no more polls, ticks or commits; the group hears of it at once (as after its session timeout). */
        void die() {
            close();
        }

        void close() {
            if (!closed) {
                closed = true;
                consumer.close(Duration.ofSeconds(5));
            }
        }
    }

    /** Messages {@code from} until {@code to} (exclusive) of the given partitions: two devices per partition. */
    private void produce(BufferAllocator allocator, Collection<Integer> partitions, int from, int to, Random random) throws Exception {
        ArrowIpcEncoder encoder = ArrowIpcEncoder.seedDefault();
        for (int step = from; step < to; step++) {
            for (int partition : partitions) {
                long[] ts = new long[4];
                float[] cpu = new float[4];
                for (int i = 0; i < ts.length; i++) {
                    ts[i] = BASE + step * STEP + i * 50_000L + random.nextInt(40_000);
                    cpu[i] = random.nextFloat() * 100;
                }
                // Two devices of the partition, as the producer keys by device shard.
                byte[] first = stream.message(allocator, encoder, "dev-" + partition + "a", new long[] {ts[0], ts[1]}, new float[] {cpu[0], cpu[1]});
                byte[] second = stream.message(allocator, encoder, "dev-" + partition + "b", new long[] {ts[2], ts[3]}, new float[] {cpu[2], cpu[3]});
                for (byte[] value : List.of(first, second)) {
                    producer.send(new ProducerRecord<>(names.input(), partition, null, value)).get();
                    produced.merge(partition, 1L, Long::sum);
                }
            }
        }
    }

    private void pumpUntil(String what, BooleanSupplier done, Member... pumped) {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!done.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for: " + what);
            for (Member member : pumped) {
                member.pump();
            }
        }
    }

    @Test
    void everyWindowOnceAfterAMemberJoinsAndAnotherDiesMidStream(BufferAllocator allocator) throws Exception {
        Random random = new Random(16);
        List<Integer> all = List.of(0, 1, 2, 3);
        String group = "analyzer_" + names.schema();
        produce(allocator, all, 0, 24, random);

        Member first = new Member("first", group);
        pumpUntil("the first member owns every partition and has read it", () -> first.owned.size() == PARTITIONS && first.caughtUp(), first);
        clock.addAndGet(Duration.ofMillis(200).toNanos());
        first.pump();
        assertTrue(OutageStreams.storedWindows(pool, names.schema()) > 0, "the first member stored windows");
        assertTrue(first.pipeline.pendingMessages() > 0, "and still had open windows (uncommitted messages)");

        // A second member joins while the first has open windows on every partition.
        Member second = new Member("second", group);
        pumpUntil("the group is rebalanced over both members",
                () -> first.owned.size() == 2 && second.owned.size() == 2 && first.caughtUp() && second.caughtUp(), first, second);
        produce(allocator, all, 24, 40, random);
        pumpUntil("both read the next messages", () -> first.caughtUp() && second.caughtUp(), first, second);
        clock.addAndGet(Duration.ofMillis(200).toNanos());
        first.pump();
        second.pump();

        // The second member's partitions go further in event time than the first member's; then the first dies
        // with windows open (its last messages uncommitted).
        produce(allocator, List.copyOf(second.owned), 40, 60, random);
        pumpUntil("the second member read ahead", second::caughtUp, first, second);
        clock.addAndGet(Duration.ofMillis(200).toNanos());
        second.pump();
        assertTrue(first.pipeline.pendingMessages() > 0, "the first member dies with uncommitted messages");
        first.die();
        pumpUntil("the survivor owns every partition and has read it", () -> second.owned.size() == PARTITIONS && second.caughtUp(), second);

        // The stream goes on, then pauses: every partition idle, the last windows close.
        produce(allocator, all, 60, 80, random);
        pumpUntil("the survivor read everything", second::caughtUp, second);
        clock.addAndGet(IDLE_NANOS + Duration.ofSeconds(1).toNanos());
        second.pump();
        clock.addAndGet(Duration.ofSeconds(1).toNanos());
        second.pump();
        assertEquals(0, second.pipeline.pendingMessages(), "every message the survivor read is acknowledged");
        assertFalse(stream.expected.isEmpty());
        assertEquals(stream.rows, OutageStreams.storedRows(pool, names.schema()), "every row in a stored window, once");
        stream.assertStored(pool, names.schema());
        assertEquals(0, second.pipeline.lateRows(), "no row was counted late");
    }
}
