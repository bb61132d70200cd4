package io.streamingarrow.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.TimeUnit;

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
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

/**
 * The baseline the codec is compared with in the same run: the same rows as one JSON object per event
 * (what a JSON-per-message pipeline sends), written and read with Jackson's streaming API, the fastest
 * way Jackson offers, with no object mapping.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class JsonBaselineBenchmark {

    @Param({"1000", "10000", "100000"})
    public int rows;

    private final JsonFactory json = new JsonFactory();
    private byte[][] events;

    @Setup(Level.Trial)
    public void setUp() {
        events = new byte[rows][];
        for (int row = 0; row < rows; row++) {
            events[row] = write(row);
        }
    }

    private byte[] write(int row) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(160);
        try (JsonGenerator g = json.createGenerator(out)) {
            float cpu = BenchRows.cpu(row);
            float memory = BenchRows.memory(row);
            g.writeStartObject();
            g.writeStringField("device", BenchRows.device(row));
            g.writeNumberField("ts", BenchRows.BASE_TS + row * 1000L);
            g.writeNumberField("cpu_used", cpu);
            g.writeNumberField("cpu_free", 100f - cpu);
            g.writeNumberField("memory_used", memory);
            g.writeNumberField("memory_free", 100f - memory);
            g.writeNumberField("run_elapsed_ms", row);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** One operation = {@code rows} events serialised. */
    @Benchmark
    public void encode(Blackhole blackhole) {
        for (int row = 0; row < rows; row++) {
            blackhole.consume(write(row));
        }
    }

    /** One operation = {@code rows} events parsed, reading cpu_used as the codec benchmark does. */
    @Benchmark
    public void decode(Blackhole blackhole) throws IOException {
        double sum = 0;
        for (byte[] event : events) {
            try (JsonParser p = json.createParser(event)) {
                while (p.nextToken() != null) {
                    if (p.currentToken() == JsonToken.FIELD_NAME && "cpu_used".equals(p.currentName())) {
                        p.nextToken();
                        sum += p.getFloatValue();
                    }
                }
            }
        }
        blackhole.consume(sum);
    }

    /** Bytes per event on the wire, for the size comparison. */
    public static double bytesPerRow(int rows) {
        JsonBaselineBenchmark b = new JsonBaselineBenchmark();
        b.rows = rows;
        b.setUp();
        long total = 0;
        for (byte[] event : b.events) {
            total += event.length;
        }
        return (double) total / rows;
    }
}
