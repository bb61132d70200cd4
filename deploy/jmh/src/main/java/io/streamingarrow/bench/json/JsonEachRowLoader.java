package io.streamingarrow.bench.json;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The consuming half of the JSON-per-event baseline: reads one JSON document per Kafka message and
 * inserts them into ClickHouse as {@code JSONEachRow}, with the sink's insert sizes (up to
 * {@code --insert-rows} rows or {@code --linger-ms}, {@code --in-flight} inserts at once). The
 * documents go to ClickHouse as they came, one per line: the server parses them, which is the cheapest
 * JSON path there is, and the benchmark counts the server's CPU for both pipelines. Offsets are
 * committed once the insert holding them succeeded, as the sink does.
 *
 * <p>Prints {@code ready} once it owns its partitions and {@code done <rows>} after {@code --rows}.
 */
public final class JsonEachRowLoader {

    private record Insert(CompletableFuture<HttpResponse<String>> response, Map<TopicPartition, OffsetAndMetadata> offsets,
                          int rows) {
    }

    private JsonEachRowLoader() {
    }

    public static void main(String[] args) throws Exception {
        BenchArgs options = new BenchArgs(args);
        String topic = options.required("topic");
        long rows = options.number("rows", 1_000_000);
        int insertRows = (int) options.number("insert-rows", 100_000);
        long lingerNanos = options.number("linger-ms", 1000) * 1_000_000;
        int inFlight = (int) options.number("in-flight", 2);
        String query = "INSERT INTO " + options.required("table") + " FORMAT JSONEachRow";
        URI insertUri = URI.create(options.text("clickhouse-url", "http://127.0.0.1:8123") + "/?query="
                + URLEncoder.encode(query, StandardCharsets.UTF_8));

        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, options.text("bootstrap", "127.0.0.1:19092"));
        props.put(ConsumerConfig.GROUP_ID_CONFIG, options.text("group", "bench-json"));
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "10000");
        props.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, String.valueOf(64 * 1024 * 1024));
        props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, String.valueOf(16 * 1024 * 1024));

        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        ArrayDeque<Insert> pending = new ArrayDeque<>();
        ByteArrayOutputStream body = new ByteArrayOutputStream(insertRows * 160);
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        int bodyRows = 0;
        long inserted = 0;
        long bodyStarted = 0;
        try (KafkaConsumer<byte[], byte[]> consumer =
                     new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            while (consumer.assignment().isEmpty()) {
                consumer.poll(Duration.ofMillis(100));
            }
            System.out.println("ready");
            System.out.flush();
            while (inserted < rows) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(50));
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    if (bodyRows == 0) {
                        bodyStarted = System.nanoTime();
                    }
                    body.write(record.value());
                    body.write('\n');
                    bodyRows++;
                    offsets.put(new TopicPartition(record.topic(), record.partition()),
                            new OffsetAndMetadata(record.offset() + 1));
                    if (bodyRows >= insertRows) {
                        inserted += send(http, insertUri, body, offsets, bodyRows, pending, inFlight, consumer);
                        bodyRows = 0;
                    }
                }
                if (bodyRows > 0 && System.nanoTime() - bodyStarted >= lingerNanos) {
                    inserted += send(http, insertUri, body, offsets, bodyRows, pending, inFlight, consumer);
                    bodyRows = 0;
                }
                inserted += completeDone(pending, consumer, false);
            }
            inserted += completeDone(pending, consumer, true);
        }
        System.out.println("done " + inserted);
    }

    /** Starts one insert of what {@code body} holds, after waiting for a free slot; returns rows completed meanwhile. */
    private static long send(HttpClient http, URI uri, ByteArrayOutputStream body,
                             Map<TopicPartition, OffsetAndMetadata> offsets, int rows, ArrayDeque<Insert> pending,
                             int inFlight, KafkaConsumer<byte[], byte[]> consumer) throws Exception {
        long completed = 0;
        while (pending.size() >= inFlight) {
            completed += complete(pending.removeFirst(), consumer);
        }
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build();
        pending.addLast(new Insert(http.sendAsync(request, HttpResponse.BodyHandlers.ofString()), Map.copyOf(offsets), rows));
        body.reset();
        offsets.clear();
        return completed;
    }

    /** Completes inserts in order, those already finished (or all of them when {@code all}). */
    private static long completeDone(ArrayDeque<Insert> pending, KafkaConsumer<byte[], byte[]> consumer, boolean all)
            throws Exception {
        long completed = 0;
        while (!pending.isEmpty() && (all || pending.peekFirst().response().isDone())) {
            completed += complete(pending.removeFirst(), consumer);
        }
        return completed;
    }

    private static int complete(Insert insert, KafkaConsumer<byte[], byte[]> consumer) throws Exception {
        HttpResponse<String> response = insert.response().get();
        if (response.statusCode() != 200) {
            throw new IllegalStateException("ClickHouse refused an insert (" + response.statusCode() + "): " + response.body());
        }
        consumer.commitAsync(insert.offsets(), null);
        return insert.rows();
    }
}
