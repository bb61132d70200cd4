package io.streamingarrow.bench;

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
import org.openjdk.jmh.infra.Blackhole;

import io.streamingarrow.shared.batch.SeedBatchBuilder;
import io.streamingarrow.shared.columns.NumericColumn;
import io.streamingarrow.shared.ipc.ArrowIpcDecoder;
import io.streamingarrow.shared.ipc.ArrowIpcEncoder;
import io.streamingarrow.shared.ipc.DecodeLimits;
import io.streamingarrow.shared.ipc.IpcCompression;
import io.streamingarrow.shared.ipc.IpcFraming;
import io.streamingarrow.shared.schema.SeedSchema;

/**
 * Encoding one batch of {@code rows} seed rows into an Arrow IPC file message, and decoding it back
 * (reading one column, so the decode cannot be optimised away). One operation = one batch; rows/s =
 * ops/s × rows (deploy/bench/jmh.sh does the arithmetic).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = "--add-opens=java.base/java.nio=ALL-UNNAMED")
public class CodecBenchmark {

    @Param({"ZSTD", "LZ4_FRAME", "NONE"})
    public String compression;

    @Param({"1000", "10000", "100000"})
    public int rows;

    private BufferAllocator allocator;
    private SeedBatchBuilder batch;
    private ArrowIpcEncoder encoder;
    private ArrowIpcDecoder decoder;
    private byte[] encoded;

    @Setup(Level.Trial)
    public void setUp() {
        allocator = new RootAllocator();
        batch = new SeedBatchBuilder(allocator, rows);
        BenchRows.fill(batch, rows);
        encoder = new ArrowIpcEncoder(IpcFraming.FILE, IpcCompression.valueOf(compression), 1);
        decoder = new ArrowIpcDecoder(DecodeLimits.DEFAULT);
        encoded = encoder.encode(batch.view());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        batch.close();
        allocator.close();
    }

    @Benchmark
    public byte[] encode() {
        return encoder.encode(batch.view());
    }

    @Benchmark
    public void decode(Blackhole blackhole) {
        decoder.decode(encoded, (root, index) -> {
            NumericColumn cpu = NumericColumn.of(root.getVector(SeedSchema.CPU_USED));
            double sum = 0;
            for (int i = 0; i < root.getRowCount(); i++) {
                sum += cpu.get(i);
            }
            blackhole.consume(sum);
        });
    }
}
