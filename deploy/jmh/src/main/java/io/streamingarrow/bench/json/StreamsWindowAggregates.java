package io.streamingarrow.bench.json;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.kstream.WindowedSerdes;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.apache.kafka.streams.state.WindowStore;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

/**
 * The Kafka Streams baseline of the analyzer in {@code deploy/bench/pipeline-bench.sh}: what a Java team would
 * write instead of the analyzer. It reads the JSON-per-event topic (one document per row, keyed by device, as
 * {@link JsonEventProducer} writes it), takes each row's {@code ts_us} as its event time, and computes per device
 * and 10 s tumbling window (5 s grace, as the analyzer's allowed lateness) the count and the min, max and mean of
 * the four measures, in Kafka Streams' default window store (RocksDB, logged to a changelog topic), with its
 * default caching and commit interval; the updated windows go to an output topic, as the analyzer publishes its
 * own. Built to be strong: Jackson's streaming parser without an object tree, a fixed-size binary aggregate.
 *
 * <p>Prints {@code first} when the first row is folded, {@code p10} and {@code p90} at 10 % and 90 % of
 * {@code --rows}, {@code drained} once all are, then dumps
 * every window of its store (interactive query) to {@code --out} as tab-separated lines
 * {@code device window_start_ms count (min max mean)×4}, prints {@code dumped <windows>} and exits.
 */
public final class StreamsWindowAggregates {

    static final String[] MEASURES = {"cpu_used", "cpu_free", "memory_used", "memory_free"};
    static final String STORE = "window-stats";

    private StreamsWindowAggregates() {
    }

    /** One row as parsed from its JSON document. */
    record Reading(long tsMicros, float[] values) {
    }

    /** The window's aggregate: count, then min, max and sum per measure; updated in place, stored as 104 bytes. */
    static final class Stats {
        long count;
        final double[] min = new double[MEASURES.length];
        final double[] max = new double[MEASURES.length];
        final double[] sum = new double[MEASURES.length];

        Stats() {
            java.util.Arrays.fill(min, Double.POSITIVE_INFINITY);
            java.util.Arrays.fill(max, Double.NEGATIVE_INFINITY);
        }

        Stats add(Reading r) {
            count++;
            for (int m = 0; m < MEASURES.length; m++) {
                double v = r.values()[m];
                min[m] = Math.min(min[m], v);
                max[m] = Math.max(max[m], v);
                sum[m] += v;
            }
            return this;
        }
    }

    static final class StatsSerde implements Serde<Stats>, Serializer<Stats>, Deserializer<Stats> {
        @Override
        public byte[] serialize(String topic, Stats s) {
            if (s == null) {
                return null;
            }
            ByteBuffer b = ByteBuffer.allocate(8 + 3 * 8 * MEASURES.length).putLong(s.count);
            for (int m = 0; m < MEASURES.length; m++) {
                b.putDouble(s.min[m]).putDouble(s.max[m]).putDouble(s.sum[m]);
            }
            return b.array();
        }

        @Override
        public Stats deserialize(String topic, byte[] data) {
            if (data == null) {
                return null;
            }
            ByteBuffer b = ByteBuffer.wrap(data);
            Stats s = new Stats();
            s.count = b.getLong();
            for (int m = 0; m < MEASURES.length; m++) {
                s.min[m] = b.getDouble();
                s.max[m] = b.getDouble();
                s.sum[m] = b.getDouble();
            }
            return s;
        }

        @Override
        public void close() {
        }

        @Override
        public void configure(java.util.Map<String, ?> configs, boolean isKey) {
        }

        @Override
        public Serializer<Stats> serializer() {
            return this;
        }

        @Override
        public Deserializer<Stats> deserializer() {
            return this;
        }
    }

    /** JSON document -> Reading with Jackson's streaming parser; floats parsed as floats, like the Arrow columns. */
    static final class ReadingDeserializer implements Deserializer<Reading> {
        private final JsonFactory json = new JsonFactory();

        @Override
        public Reading deserialize(String topic, byte[] data) {
            long ts = Long.MIN_VALUE;
            float[] values = new float[MEASURES.length];
            try (JsonParser p = json.createParser(data)) {
                if (p.nextToken() != JsonToken.START_OBJECT) {
                    throw new IllegalArgumentException("not a JSON object");
                }
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    p.nextToken();
                    switch (name) {
                        case "ts_us" -> ts = p.getLongValue();
                        case "cpu_used" -> values[0] = p.getFloatValue();
                        case "cpu_free" -> values[1] = p.getFloatValue();
                        case "memory_used" -> values[2] = p.getFloatValue();
                        case "memory_free" -> values[3] = p.getFloatValue();
                        default -> p.skipChildren();
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return new Reading(ts, values);
        }
    }

    public static void main(String[] args) throws Exception {
        BenchArgs options = new BenchArgs(args);
        String topic = options.required("topic");
        long rows = options.number("rows", 0);
        Path out = Path.of(options.required("out"));

        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, options.required("application-id"));
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, options.text("bootstrap", "127.0.0.1:19092"));
        props.put(StreamsConfig.STATE_DIR_CONFIG, options.required("state-dir"));
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");

        StatsSerde stats = new StatsSerde();
        Serde<Reading> readings = Serdes.serdeFrom((t, r) -> {
            throw new UnsupportedOperationException("read only");
        }, new ReadingDeserializer());
        long[] folded = {0};
        CountDownLatch drained = new CountDownLatch(1);
        AtomicBoolean first = new AtomicBoolean();

        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(topic, Consumed.with(Serdes.String(), readings)
                        .withTimestampExtractor((record, previous) -> ((Reading) record.value()).tsMicros() / 1000))
                .groupByKey()
                .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofSeconds(10), Duration.ofSeconds(5)))
                .aggregate(Stats::new, (device, reading, aggregate) -> {
                    // One stream thread (the default): the counter needs no synchronisation.
                    if (folded[0]++ == 0 && first.compareAndSet(false, true)) {
                        System.out.println("first");
                        System.out.flush();
                    }
                    if (folded[0] == rows / 10 || folded[0] == rows - rows / 10) {
                        // The bench's steady-state window: from 10 % to 90 % of the rows folded.
                        System.out.println(folded[0] == rows / 10 ? "p10" : "p90");
                        System.out.flush();
                    }
                    if (folded[0] == rows) {
                        drained.countDown();
                    }
                    return aggregate.add(reading);
                }, Materialized.<String, Stats, WindowStore<Bytes, byte[]>>as(STORE)
                        .withKeySerde(Serdes.String()).withValueSerde(stats))
                .toStream()
                .to(options.required("output-topic"),
                        Produced.with(WindowedSerdes.timeWindowedSerdeFrom(String.class, 10_000L), stats));

        try (KafkaStreams streams = new KafkaStreams(builder.build(), props)) {
            streams.start();
            if (!drained.await(options.number("timeout-s", 600), TimeUnit.SECONDS)) {
                throw new IllegalStateException("only " + folded[0] + " of " + rows + " rows in time");
            }
            System.out.println("drained");
            System.out.flush();
            ReadOnlyWindowStore<String, Stats> store = streams.store(
                    StoreQueryParameters.fromNameAndType(STORE, QueryableStoreTypes.<String, Stats>windowStore()));
            // The last row's window is written to the store right after the aggregator returns: wait until the
            // store holds every row rather than for a fixed time.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (rowsIn(store) < rows && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            int windows = 0;
            try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(out));
                 KeyValueIterator<Windowed<String>, Stats> all = store.fetchAll(Instant.EPOCH, Instant.ofEpochMilli(Long.MAX_VALUE / 2))) {
                while (all.hasNext()) {
                    KeyValue<Windowed<String>, Stats> kv = all.next();
                    Stats s = kv.value;
                    StringBuilder line = new StringBuilder().append(kv.key.key()).append('\t')
                            .append(kv.key.window().start()).append('\t').append(s.count);
                    for (int m = 0; m < MEASURES.length; m++) {
                        line.append('\t').append(s.min[m]).append('\t').append(s.max[m]).append('\t').append(s.sum[m] / s.count);
                    }
                    w.println(line);
                    windows++;
                }
            }
            System.out.println("dumped " + windows);
            System.out.flush();
            streams.close(Duration.ofSeconds(30));
        }
    }

    /** Rows counted in every window of the store. */
    private static long rowsIn(ReadOnlyWindowStore<String, Stats> store) {
        long total = 0;
        try (KeyValueIterator<Windowed<String>, Stats> all = store.fetchAll(Instant.EPOCH, Instant.ofEpochMilli(Long.MAX_VALUE / 2))) {
            while (all.hasNext()) {
                total += all.next().value.count;
            }
        }
        return total;
    }
}
