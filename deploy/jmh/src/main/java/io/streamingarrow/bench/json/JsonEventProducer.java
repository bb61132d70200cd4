package io.streamingarrow.bench.json;

import java.io.IOException;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;

import io.streamingarrow.producer.fleet.SensorFleet;

/**
 * The producing half of the JSON-per-event baseline of {@code deploy/bench/pipeline-bench.sh}: the
 * producer's own sensor fleet (same seed, devices and pacing, so the same events), each event one
 * JSON message keyed by its device. Kafka's producer does the batching and compression (zstd, like
 * ours), which is how a JSON pipeline is usually built at its best; Jackson's streaming generator
 * writes the document without an object per event.
 *
 * <p>With {@code --timestamps FILE} (lines {@code device ts_us rows}, each device's in time order, as the
 * benchmark exports them from a Streaming Arrow run's table) each device's rows take those timestamps in turn
 * instead of the wall clock, so that the topic holds exactly that run's events: the analyzer and its Kafka
 * Streams baseline are then compared on the same events.
 *
 * <p>Prints {@code started} when the first event is about to be generated and {@code done <rows> <bytes>}
 * once Kafka acknowledged every message, bytes being the JSON documents' size before Kafka compresses them.
 */
public final class JsonEventProducer {

    private JsonEventProducer() {
    }

    public static void main(String[] args) throws Exception {
        BenchArgs options = new BenchArgs(args);
        String topic = options.required("topic");
        long rows = options.number("rows", 1_000_000);
        long rate = options.number("rate", 0);
        SensorFleet fleet = new SensorFleet((int) options.number("devices", 200), options.number("seed", 42));
        java.util.Map<String, java.util.ArrayDeque<long[]>> replay = null;
        String timestamps = options.text("timestamps", null);
        if (timestamps != null) {
            replay = new java.util.HashMap<>();
            try (var lines = java.nio.file.Files.lines(java.nio.file.Path.of(timestamps))) {
                for (String line : (Iterable<String>) lines::iterator) {
                    String[] f = line.split("\t");
                    replay.computeIfAbsent(f[0], d -> new java.util.ArrayDeque<>())
                            .add(new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])});
                }
            }
        }
        java.util.Map<String, java.util.ArrayDeque<long[]>> replayed = replay;

        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, options.text("bootstrap", "127.0.0.1:19092"));
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, options.text("compression", "zstd"));
        props.put(ProducerConfig.LINGER_MS_CONFIG, "20");
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(512 * 1024));
        props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, String.valueOf(64L * 1024 * 1024));

        AtomicReference<Exception> failure = new AtomicReference<>();
        JsonFactory json = new JsonFactory();
        ByteArrayBuilder buffer = new ByteArrayBuilder(256);
        long[] documentBytes = {0};
        try (KafkaProducer<byte[], byte[]> producer =
                     new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            SensorFleet.RowSink send = (device, ts, cpuUsed, cpuFree, memoryUsed, memoryFree, elapsed) -> {
                if (replayed != null) {
                    long[] run = replayed.get(new String(device, java.nio.charset.StandardCharsets.UTF_8)).peekFirst();
                    ts = run[0];
                    if (--run[1] == 0) {
                        replayed.get(new String(device, java.nio.charset.StandardCharsets.UTF_8)).pollFirst();
                    }
                }
                buffer.reset();
                try (JsonGenerator out = json.createGenerator(buffer, JsonEncoding.UTF8)) {
                    out.writeStartObject();
                    out.writeFieldName("device");
                    out.writeUTF8String(device, 0, device.length);
                    out.writeNumberField("ts_us", ts);
                    out.writeNumberField("cpu_used", cpuUsed);
                    out.writeNumberField("cpu_free", cpuFree);
                    out.writeNumberField("memory_used", memoryUsed);
                    out.writeNumberField("memory_free", memoryFree);
                    out.writeNumberField("run_elapsed_ms", elapsed);
                    out.writeEndObject();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
                byte[] document = buffer.toByteArray();
                documentBytes[0] += document.length;
                producer.send(new ProducerRecord<>(topic, device, document), (metadata, error) -> {
                    if (error != null) {
                        failure.compareAndSet(null, error);
                    }
                });
                return failure.get() == null;
            };
            System.out.println("started");
            System.out.flush();
            long start = System.nanoTime();
            long startMillis = System.currentTimeMillis();
            while (fleet.generated() < rows && failure.get() == null) {
                long due = rows - fleet.generated();
                if (rate > 0) {
                    due = Math.min(due, SensorFleet.rowsDue(rate, start, System.nanoTime(), fleet.generated()));
                    if (due == 0) {
                        Thread.sleep(1);
                        continue;
                    }
                }
                // Timestamps are taken per tick like the producer's fleet does; at most 1000 rows share one.
                due = Math.min(due, 1000);
                long nowMillis = System.currentTimeMillis();
                for (long i = 0; i < due; i++) {
                    if (!fleet.next(send, nowMillis * 1000, (int) (nowMillis - startMillis))) {
                        break;
                    }
                }
            }
            producer.flush();
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        System.out.println("done " + fleet.generated() + " " + documentBytes[0]);
    }
}
