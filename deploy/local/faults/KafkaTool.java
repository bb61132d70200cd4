import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.arrow.compression.CommonsCompressionFactory;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.ByteArrayReadableSeekableByteChannel;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The fault suite's hands on Kafka (deploy/local/faults.sh), run as a single-file program on a packaged
 * service's class path. It writes what a hostile or foreign producer could write straight to a topic, and
 * reads a topic back record by record, so the suite can assert exact dead letters.
 *
 *   send BOOTSTRAP TOPIC SPEC.json   messages: [{"partition":0,"key":"k"|null,"value":null|{"hex":..}|{"rows":[..]}}]
 *                                    rows are the seed schema's columns; ts in epoch microseconds (any long)
 *   create BOOTSTRAP PARTITIONS TOPIC...  topics, before anyone reads them
 *   delete BOOTSTRAP TOPIC...                 a scenario's topics, afterwards (a broker restart loads every log)
 *   dump BOOTSTRAP TOPIC OUT.jsonl   every record from the start to the current end: partition, offset, key,
 *                                    value (null, hex, and the decoded rows when it is Arrow IPC), headers
 */
public class KafkaTool {

    private static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: KafkaTool send|dump BOOTSTRAP TOPIC FILE | create BOOTSTRAP PARTITIONS TOPIC... | delete BOOTSTRAP TOPIC...");
            System.exit(2);
        }
        switch (args[0]) {
            case "send" -> send(args[1], args[2], Path.of(args[3]));
            case "dump" -> dump(args[1], args[2], Path.of(args[3]));
            case "create" -> create(args[1], Integer.parseInt(args[2]), List.of(args).subList(3, args.length));
            case "delete" -> {
                try (Admin admin = Admin.create(Map.of("bootstrap.servers", args[1]))) {
                    admin.deleteTopics(List.of(args).subList(2, args.length)).all().get();
                }
            }
            default -> {
                System.err.println("unknown command " + args[0]);
                System.exit(2);
            }
        }
    }

    static void create(String bootstrap, int partitions, List<String> topics) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.createTopics(topics.stream().map(t -> new NewTopic(t, partitions, (short) 1)).toList()).all().get();
        }
    }

    static void send(String bootstrap, String topic, Path spec) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("acks", "all");
        props.put("enable.idempotence", "true");
        props.put("max.request.size", "67108864");
        try (BufferAllocator allocator = new RootAllocator();
                KafkaProducer<byte[], byte[]> producer =
                        new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            int n = 0;
            for (JsonNode message : JSON.readTree(spec.toFile())) {
                JsonNode value = message.path("value");
                byte[] bytes;
                if (value.isNull() || value.isMissingNode()) {
                    bytes = null;
                } else if (value.has("hex")) {
                    bytes = HexFormat.of().parseHex(value.get("hex").asText());
                } else {
                    bytes = arrowFile(allocator, value.get("rows"));
                    if (value.has("truncate")) {
                        // A message cut short, as a broken writer or a bad disk would leave it.
                        bytes = java.util.Arrays.copyOf(bytes, (int) (bytes.length * value.get("truncate").asDouble()));
                    }
                }
                byte[] key = message.path("key").isTextual() ? message.get("key").asText().getBytes(StandardCharsets.UTF_8) : null;
                Integer partition = message.has("partition") ? message.get("partition").asInt() : null;
                // One at a time, acknowledged: the suite relies on the order within a partition.
                producer.send(new ProducerRecord<>(topic, partition, key, bytes)).get();
                n++;
            }
            System.err.println("sent " + n + " message(s) to " + topic);
        }
    }

    /** One Arrow IPC file, no compression (consumers accept every codec), with the seed schema. */
    static byte[] arrowFile(BufferAllocator allocator, JsonNode rows) throws Exception {
        Schema schema = new Schema(List.of(
                Field.nullable("device", ArrowType.Utf8.INSTANCE),
                Field.nullable("ts", new ArrowType.Timestamp(TimeUnit.MICROSECOND, null)),
                Field.nullable("cpu_used", new ArrowType.FloatingPoint(org.apache.arrow.vector.types.FloatingPointPrecision.SINGLE)),
                Field.nullable("cpu_free", new ArrowType.FloatingPoint(org.apache.arrow.vector.types.FloatingPointPrecision.SINGLE)),
                Field.nullable("memory_used", new ArrowType.FloatingPoint(org.apache.arrow.vector.types.FloatingPointPrecision.SINGLE)),
                Field.nullable("memory_free", new ArrowType.FloatingPoint(org.apache.arrow.vector.types.FloatingPointPrecision.SINGLE)),
                new Field("run_elapsed_ms", FieldType.nullable(new ArrowType.Int(32, true)), null)));
        try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
            root.allocateNew();
            int i = 0;
            for (JsonNode row : rows) {
                // device_hex: raw bytes, e.g. invalid UTF-8 that a String cannot carry.
                byte[] device = row.has("device_hex") ? HexFormat.of().parseHex(row.get("device_hex").asText())
                        : row.get("device").asText().getBytes(StandardCharsets.UTF_8);
                ((VarCharVector) root.getVector("device")).setSafe(i, device);
                ((TimeStampMicroVector) root.getVector("ts")).setSafe(i, row.get("ts").asLong());
                for (String measure : List.of("cpu_used", "cpu_free", "memory_used", "memory_free")) {
                    Float4Vector v = (Float4Vector) root.getVector(measure);
                    if (row.hasNonNull(measure)) v.setSafe(i, (float) row.get(measure).asDouble()); else v.setNull(i);
                }
                IntVector elapsed = (IntVector) root.getVector("run_elapsed_ms");
                if (row.hasNonNull("run_elapsed_ms")) elapsed.setSafe(i, row.get("run_elapsed_ms").asInt()); else elapsed.setNull(i);
                i++;
            }
            root.setRowCount(i);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (ArrowFileWriter writer = new ArrowFileWriter(root, null, Channels.newChannel(out))) {
                writer.start();
                writer.writeBatch();
                writer.end();
            }
            return out.toByteArray();
        }
    }

    static void dump(String bootstrap, String topic, Path out) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("enable.auto.commit", "false");
        props.put("max.partition.fetch.bytes", "67108864");
        props.put("fetch.max.bytes", "67108864");
        props.put("isolation.level", "read_committed");
        List<String> lines = new ArrayList<>();
        try (BufferAllocator allocator = new RootAllocator();
                KafkaConsumer<byte[], byte[]> consumer =
                        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) throw new IllegalStateException("could not read " + topic + " to its end in 60 s");
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    lines.add(JSON.writeValueAsString(describe(allocator, record)));
                }
            }
        }
        Files.write(out, lines, StandardCharsets.UTF_8);
        System.err.println("read " + lines.size() + " record(s) from " + topic);
    }

    static ObjectNode describe(BufferAllocator allocator, ConsumerRecord<byte[], byte[]> record) {
        ObjectNode node = JSON.createObjectNode();
        node.put("partition", record.partition());
        node.put("offset", record.offset());
        if (record.key() == null) node.putNull("key"); else node.put("key", new String(record.key(), StandardCharsets.UTF_8));
        if (record.value() == null) {
            node.putNull("value");
        } else {
            node.put("value", HexFormat.of().formatHex(record.value()));
            node.put("value_bytes", record.value().length);
            try {
                node.set("rows", rows(allocator, record.value()));
            } catch (Exception | AssertionError notArrow) {
                node.putNull("rows");
            }
        }
        ObjectNode headers = node.putObject("headers");
        for (Header h : record.headers()) {
            headers.put(h.key(), h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8));
        }
        return node;
    }

    /** The rows of an Arrow IPC message (file or stream framing, any codec), seed columns only. */
    static ArrayNode rows(BufferAllocator allocator, byte[] bytes) throws Exception {
        boolean file = bytes.length >= 6 && new String(bytes, 0, 6, StandardCharsets.ISO_8859_1).equals("ARROW1");
        ArrayNode rows = JSON.createArrayNode();
        try (ArrowReader reader = file
                ? new ArrowFileReader(new ByteArrayReadableSeekableByteChannel(bytes), allocator, CommonsCompressionFactory.INSTANCE)
                : new ArrowStreamReader(new ByteArrayInputStream(bytes), allocator, CommonsCompressionFactory.INSTANCE)) {
            while (reader.loadNextBatch()) {
                VectorSchemaRoot root = reader.getVectorSchemaRoot();
                for (int i = 0; i < root.getRowCount(); i++) {
                    ObjectNode row = rows.addObject();
                    for (FieldVector v : root.getFieldVectors()) {
                        Object value = v.getObject(i);
                        String name = v.getName();
                        if (value == null) {
                            row.putNull(name);
                        } else if (v instanceof TimeStampMicroVector t) {
                            row.put(name, t.get(i));
                        } else if (v instanceof org.apache.arrow.vector.TimeStampVector t) {
                            row.put(name, t.get(i)); // another unit: raw value, the suite compares micros only
                        } else if (v instanceof VarCharVector s) {
                            row.put(name, new String(s.get(i), StandardCharsets.UTF_8));
                            row.put(name + "_hex", HexFormat.of().formatHex(s.get(i)));
                        } else if (value instanceof Number number) {
                            row.put(name, number.doubleValue());
                        } else {
                            row.put(name, value.toString());
                        }
                    }
                }
            }
        }
        return rows;
    }
}
