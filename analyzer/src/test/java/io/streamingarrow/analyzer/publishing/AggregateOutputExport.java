package io.streamingarrow.analyzer.publishing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.VarCharVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.streamingarrow.analyzer.windowing.ClosedWindow;
import io.streamingarrow.analyzer.windowing.WindowAccumulator;
import io.streamingarrow.shared.ipc.ArrowIpcDecoder;
import io.streamingarrow.shared.ipc.ArrowIpcEncoder;
import io.streamingarrow.shared.ipc.DecodeLimits;
import io.streamingarrow.shared.ipc.IpcFraming;
import io.streamingarrow.shared.testing.ArrowMemoryExtension;

/**
 * What the analyzer publishes on {@code arrow_aggregates} (AggregateEncoder through the shared codec: file framing,
 * zstd level 1), round-tripped here; with {@code -DstreamingArrow.exportDir=DIR} the message and the values it must
 * hold also go to DIR, where src-shared/src/test/fixtures-gen/check-java-output.mjs reads them with polars and
 * Arrow JS (deploy/local/test.sh, the wire check). Its types are not the seed's: µs timestamps with a UTC zone,
 * 64-bit integers, doubles with nulls (a measure no row of the window had).
 */
@ExtendWith(ArrowMemoryExtension.class)
class AggregateOutputExport {

    private static final List<String> MEASURES = List.of("cpu_used", "cpu_free", "memory_used", "memory_free");
    static final String FILE = "java-aggregates-file-zstd.arrow";

    @Test
    void closedWindowsForOtherReaders(BufferAllocator allocator) throws IOException {
        List<ClosedWindow> windows = windows();
        byte[] message = new AggregateEncoder(MEASURES, ArrowIpcEncoder.seedDefault()).encode(allocator, windows);
        assertEquals(IpcFraming.FILE, IpcFraming.detect(message));

        List<Map<String, Object>> expected = windows.stream().map(AggregateOutputExport::row).toList();
        List<Map<String, Object>> decoded = new ArrayList<>();
        new ArrowIpcDecoder(DecodeLimits.DEFAULT).decode(message, (batch, index) -> {
            for (int r = 0; r < batch.getRowCount(); r++) {
                Map<String, Object> values = new LinkedHashMap<>();
                for (FieldVector vector : batch.getFieldVectors()) {
                    values.put(vector.getName(), value(vector, r));
                }
                decoded.add(values);
            }
        });
        assertEquals(expected, decoded);
        assertTrue(expected.stream().anyMatch(r -> r.get("memory_free_min") == null), "a null measure is exported");

        String exportDir = System.getProperty("streamingArrow.exportDir");
        if (exportDir != null) {
            Path dir = Path.of(exportDir);
            Files.createDirectories(dir);
            Files.write(dir.resolve(FILE), message);
            new ObjectMapper().writerWithDefaultPrettyPrinter()
                    .writeValue(dir.resolve("expected-aggregates.json").toFile(), Map.of("file", FILE, "rows", expected));
        }
    }

    /** Windows with statistics exact in binary (so mean = sum / count round-trips), one with a measure unseen. */
    private static List<ClosedWindow> windows() {
        List<ClosedWindow> windows = new ArrayList<>();
        long start = 1_764_720_000_000_000L; // 2025-12-03T00:00:00Z in µs
        for (int i = 0; i < 40; i++) {
            long windowStart = start + (i / 4) * 10_000_000L;
            long[] counts = {4, 4, 4, i % 7 == 3 ? 0 : 4};
            double[] min = new double[4];
            double[] max = new double[4];
            double[] mean = new double[4];
            for (int m = 0; m < 4; m++) {
                min[m] = i * 0.25 + m;
                max[m] = min[m] + 50.5;
                mean[m] = min[m] + 12.125;
            }
            WindowAccumulator values = WindowAccumulator.restored(4, windowStart + 17, windowStart + 9_999_999L, counts, min, max, mean);
            windows.add(new ClosedWindow("sensor-" + (i % 4) + (i == 5 ? "-é" : ""), windowStart, windowStart + 10_000_000L,
                    10_000, MEASURES, values, i == 7 ? 2 : 0));
        }
        return windows;
    }

    /** A window as the message must hold it; timestamps and 64-bit counts as decimal strings (JSON numbers lose them). */
    private static Map<String, Object> row(ClosedWindow w) {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("device", w.device());
        values.put("window_start", Long.toString(w.startMicros()));
        values.put("window_end", Long.toString(w.endMicros()));
        values.put("window_size_ms", Long.toString(w.sizeMillis()));
        values.put("row_count", Long.toString(w.values().count()));
        for (int m = 0; m < MEASURES.size(); m++) {
            values.put(MEASURES.get(m) + "_min", w.values().min(m));
            values.put(MEASURES.get(m) + "_max", w.values().max(m));
            values.put(MEASURES.get(m) + "_mean", w.values().mean(m));
        }
        values.put("first_ts", Long.toString(w.values().firstTs()));
        values.put("last_ts", Long.toString(w.values().lastTs()));
        values.put("revision", w.revision());
        return values;
    }

    private static Object value(FieldVector vector, int row) {
        if (vector.isNull(row)) {
            return null;
        }
        if (vector instanceof VarCharVector v) {
            return new String(v.get(row), StandardCharsets.UTF_8);
        }
        if (vector instanceof TimeStampMicroTZVector v) {
            assertEquals("UTC", v.getTimeZone(), vector.getName());
            return Long.toString(v.get(row));
        }
        if (vector instanceof BigIntVector v) {
            return Long.toString(v.get(row));
        }
        if (vector instanceof Float8Vector v) {
            return v.get(row);
        }
        if (vector instanceof IntVector v) {
            return v.get(row);
        }
        throw new AssertionError("unexpected column " + vector.getField());
    }
}
