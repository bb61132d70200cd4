package io.streamingarrow.bench;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import io.streamingarrow.shared.batch.SeedBatchBuilder;
import io.streamingarrow.shared.ipc.ArrowIpcDecoder;
import io.streamingarrow.shared.ipc.ArrowIpcEncoder;
import io.streamingarrow.shared.ipc.DecodeLimits;
import io.streamingarrow.shared.ipc.IpcCompression;
import io.streamingarrow.shared.ipc.IpcFraming;
import io.streamingarrow.shared.schema.SchemaFingerprint;
import io.streamingarrow.shared.schema.SeedSchema;
import io.streamingarrow.sink.clickhouse.NativeWriter;
import io.streamingarrow.sink.clickhouse.ServerVersion;
import io.streamingarrow.sink.clickhouse.TableDdl;
import io.streamingarrow.sink.clickhouse.TableSchema;
import io.streamingarrow.sink.conversion.ConversionPlan;
import io.streamingarrow.sink.conversion.ConversionPlanner;
import io.streamingarrow.sink.conversion.MessageEncoder;
import io.streamingarrow.sink.conversion.RowOrigin;

/**
 * The sink's Arrow → ClickHouse Native conversion of one batch of {@code rows} seed rows, into the table
 * the sink creates on ClickHouse 18.16 ({@code ts DateTime('UTC')} plus {@code ts_us Int64}, Nullable
 * measures, kafka_partition / kafka_offset / kafka_row). One operation = one batch; rows/s = ops/s × rows
 * (deploy/bench/jmh.sh does the arithmetic).
 *
 * <ul>
 *   <li>{@link #convert}: an already decoded batch → Native bytes (the plan's encode alone).</li>
 *   <li>{@link #decodeAndConvert}: a zstd Arrow IPC file message → Native bytes through the sink's own
 *       MessageEncoder, as per Kafka message. Its plans come from the DESCRIBE output built here rather than
 *       from PlanCache, which reads the table over HTTP.</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = "--add-opens=java.base/java.nio=ALL-UNNAMED")
public class NativeConversionBenchmark {

    private static final String DATABASE = "streaming_arrow";
    private static final String TABLE = "sensor_readings";
    private static final int PARTITION = 3;
    private static final long OFFSET = 123_456L;

    @Param({"1000", "10000", "100000"})
    public int rows;

    private BufferAllocator allocator;
    private SeedBatchBuilder batch;
    private byte[] message;
    private ConversionPlan plan;
    private MessageEncoder encoder;

    @Setup(Level.Trial)
    public void setUp() {
        allocator = new RootAllocator();
        batch = new SeedBatchBuilder(allocator, rows);
        BenchRows.fill(batch, rows);
        message = new ArrowIpcEncoder(IpcFraming.FILE, IpcCompression.ZSTD, 1).encode(batch.view());

        String ddl = TableDdl.createTable(DATABASE, TABLE, SeedSchema.SCHEMA, ServerVersion.parse("18.16.1"));
        TableSchema table = TableSchema.parseDescribe(DATABASE, TABLE, describe1816(ddl));
        plan = new ConversionPlanner(false).plan(SeedSchema.SCHEMA, table);
        if (plan.bindings().size() != table.columns().size() || !plan.extraColumns().isEmpty()) {
            throw new IllegalStateException("the seed schema should fill every column of " + table + ": " + plan);
        }
        encoder = new MessageEncoder(new ArrowIpcDecoder(DecodeLimits.DEFAULT), schema -> {
            if (!SchemaFingerprint.of(schema).equals(SchemaFingerprint.of(SeedSchema.SCHEMA))) {
                throw new IllegalStateException("no plan for " + schema);
            }
            return plan;
        });

        // Both methods must produce the same block (same batch, same origin), or one of them measures the wrong thing.
        if (!Arrays.equals(convert(), decodeAndConvert())) {
            throw new IllegalStateException("decoded and in-memory batches convert to different Native bytes");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        batch.close();
        allocator.close();
    }

    /**
     * What 18.16 answers to {@code DESCRIBE TABLE ... FORMAT TabSeparated} for the table {@code ddl} creates:
     * name, type, default_type, default_expression per column (TableDdl sets no defaults), TSV-escaped.
     */
    static String describe1816(String ddl) {
        String body = ddl.substring(ddl.indexOf("(\n") + 2, ddl.indexOf("\n) ENGINE"));
        StringBuilder tsv = new StringBuilder();
        for (String line : body.split(",\n")) {
            String column = line.trim();
            int close = column.indexOf('`', 1);
            if (!column.startsWith("`") || close < 0 || column.substring(1, close).indexOf('\\') >= 0) {
                throw new IllegalArgumentException("unexpected column definition: " + column);
            }
            tsv.append(tsvEscape(column.substring(1, close))).append('\t')
                    .append(tsvEscape(column.substring(close + 1).trim())).append("\t\t\n");
        }
        return tsv.toString();
    }

    /** TabSeparated output escaping: backslash, tab, newline and the single quote. */
    private static String tsvEscape(String s) {
        return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("'", "\\'");
    }

    /** An already decoded batch → one Native block, written as the sink writes it (same buffer sizing). */
    @Benchmark
    public byte[] convert() {
        NativeWriter out = new NativeWriter(Math.max(1024, message.length * 2));
        plan.encode(batch.view(), new RowOrigin(PARTITION, OFFSET, 0), out);
        return out.toByteArray();
    }

    /** One Kafka message's bytes → Native blocks, through the sink's MessageEncoder. */
    @Benchmark
    public byte[] decodeAndConvert() {
        return encoder.encode(message, PARTITION, OFFSET).nativeBlocks();
    }
}
