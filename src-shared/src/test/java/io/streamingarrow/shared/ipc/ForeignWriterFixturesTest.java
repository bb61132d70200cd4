package io.streamingarrow.shared.ipc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ViewVarCharVector;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.streamingarrow.shared.columns.NumericColumn;
import io.streamingarrow.shared.columns.StringColumn;
import io.streamingarrow.shared.columns.TimestampColumn;
import io.streamingarrow.shared.schema.SeedSchema;
import io.streamingarrow.shared.testing.ArrowMemoryExtension;

/**
 * Decodes Arrow IPC written by other Arrow implementations (polars/Rust and Arrow JS; see
 * src/test/fixtures-gen/README.md) and compares everything with what the writer was given, as recorded in
 * fixtures/manifest.json: framing, batches, rows, the string and timestamp types, null counts, sums,
 * timestamp range, rows per device and the first row.
 */
@ExtendWith(ArrowMemoryExtension.class)
class ForeignWriterFixturesTest {

    private static final String DIR = "/fixtures/";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> NUMERIC = List.of(
            SeedSchema.CPU_USED, SeedSchema.CPU_FREE, SeedSchema.MEMORY_USED, SeedSchema.MEMORY_FREE, SeedSchema.RUN_ELAPSED_MS);

    static Stream<JsonNode> manifest() throws IOException {
        try (InputStream in = ForeignWriterFixturesTest.class.getResourceAsStream(DIR + "manifest.json")) {
            assertNotNull(in, "fixtures/manifest.json is missing from the test resources");
            List<JsonNode> entries = new ArrayList<>();
            JSON.readTree(in).forEach(entries::add);
            assertFalse(entries.isEmpty(), "the manifest lists no fixtures");
            return entries.stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("manifest")
    void decodesExactlyWhatTheForeignWriterWrote(JsonNode fixture, BufferAllocator unused) {
        byte[] message = read(fixture.get("file").asText());
        JsonNode expect = fixture.get("expect");
        Observed seen = new Observed();

        ArrowIpcDecoder.Summary summary = new ArrowIpcDecoder(DecodeLimits.DEFAULT)
                .decode(message, (batch, index) -> seen.add(batch, fixture));

        assertEquals(fixture.get("framing").asText(), summary.framing().name().toLowerCase(), "framing");
        assertEquals(fixture.get("batches").asInt(), summary.batches(), "record batches");
        assertEquals(expect.get("rows").asLong(), summary.rows(), "rows in the summary");
        assertEquals(expect.get("rows").asLong(), seen.rows, "rows handed to the handler");

        expect.get("nullCounts").fields().forEachRemaining(e ->
                assertEquals(e.getValue().asLong(), seen.nulls.getOrDefault(e.getKey(), 0L), "nulls in " + e.getKey()));
        for (String column : NUMERIC) {
            double want = expect.get("sums").get(column).asDouble();
            assertEquals(want, seen.sums.get(column), Math.abs(want) * 1e-9 + 1e-6, "sum of " + column);
        }
        assertEquals(Long.parseLong(expect.get("tsMinMicros").asText()), seen.tsMin, "earliest ts (µs)");
        assertEquals(Long.parseLong(expect.get("tsMaxMicros").asText()), seen.tsMax, "latest ts (µs)");

        Map<String, Long> wantDevices = new HashMap<>();
        expect.get("deviceCounts").fields().forEachRemaining(e -> wantDevices.put(e.getKey(), e.getValue().asLong()));
        assertEquals(wantDevices, seen.deviceCounts, "rows per device");

        JsonNode first = expect.get("firstRow");
        assertEquals(first.get("device").isNull() ? null : first.get("device").asText(), seen.firstDevice, "first device");
        assertEquals(first.get("ts").isNull() ? null : Long.parseLong(first.get("ts").asText()), seen.firstTs, "first ts");
        for (String column : NUMERIC) {
            JsonNode want = first.get(column);
            assertEquals(want.isNull() ? null : want.asDouble(), seen.firstValues.get(column), "first " + column);
        }
    }

    /** What the decoder showed, accumulated over every batch of one message. */
    private static final class Observed {
        long rows;
        final Map<String, Long> nulls = new HashMap<>();
        final Map<String, Double> sums = new HashMap<>();
        final Map<String, Long> deviceCounts = new HashMap<>();
        final Map<String, Double> firstValues = new HashMap<>();
        long tsMin = Long.MAX_VALUE;
        long tsMax = Long.MIN_VALUE;
        String firstDevice;
        Long firstTs;

        void add(VectorSchemaRoot batch, JsonNode fixture) {
            FieldVector deviceVector = batch.getVector(SeedSchema.DEVICE);
            // Dictionary columns reach the handler decoded into their value type.
            String deviceType = fixture.get("deviceType").asText();
            assertDeviceVectorType(deviceType.equals("Dictionary") ? fixture.get("dictionaryValueType").asText() : deviceType,
                    deviceVector);
            FieldVector tsVector = batch.getVector(SeedSchema.TS);
            ArrowType.Timestamp tsType = (ArrowType.Timestamp) tsVector.getField().getType();
            assertEquals(unit(fixture.get("tsUnit").asText()), tsType.getUnit(), "ts unit");
            assertEquals(fixture.get("tz").isNull() ? null : fixture.get("tz").asText(), tsType.getTimezone(), "ts zone");

            StringColumn device = StringColumn.of(deviceVector);
            TimestampColumn ts = TimestampColumn.of(tsVector);
            boolean firstBatch = rows == 0;
            for (int row = 0; row < batch.getRowCount(); row++) {
                if (device.isNull(row)) {
                    nulls.merge(SeedSchema.DEVICE, 1L, Long::sum);
                } else {
                    deviceCounts.merge(new String(device.utf8(row), StandardCharsets.UTF_8), 1L, Long::sum);
                }
                if (ts.isNull(row)) {
                    nulls.merge(SeedSchema.TS, 1L, Long::sum);
                } else {
                    tsMin = Math.min(tsMin, ts.micros(row));
                    tsMax = Math.max(tsMax, ts.micros(row));
                }
            }
            for (String name : NUMERIC) {
                NumericColumn column = NumericColumn.of(batch.getVector(name));
                double sum = 0;
                for (int row = 0; row < batch.getRowCount(); row++) {
                    if (column.isNull(row)) {
                        nulls.merge(name, 1L, Long::sum);
                    } else {
                        sum += column.get(row);
                    }
                }
                sums.merge(name, sum, Double::sum);
                if (firstBatch) {
                    firstValues.put(name, column.isNull(0) ? null : column.get(0));
                }
            }
            if (firstBatch) {
                firstDevice = device.isNull(0) ? null : new String(device.utf8(0), StandardCharsets.UTF_8);
                firstTs = ts.isNull(0) ? null : ts.micros(0);
            }
            rows += batch.getRowCount();
        }

        private static void assertDeviceVectorType(String writtenAs, FieldVector vector) {
            Class<?> expected = switch (writtenAs) {
                case "Utf8View" -> ViewVarCharVector.class;
                case "LargeUtf8" -> LargeVarCharVector.class;
                case "Utf8" -> VarCharVector.class;
                default -> throw new AssertionError("unknown device type in manifest: " + writtenAs);
            };
            assertEquals(expected, vector.getClass(), "device column vector for " + writtenAs);
        }

        private static TimeUnit unit(String unit) {
            return switch (unit) {
                case "s" -> TimeUnit.SECOND;
                case "ms" -> TimeUnit.MILLISECOND;
                case "us" -> TimeUnit.MICROSECOND;
                case "ns" -> TimeUnit.NANOSECOND;
                default -> throw new AssertionError("unknown unit in manifest: " + unit);
            };
        }
    }

    private static byte[] read(String file) {
        try (InputStream in = ForeignWriterFixturesTest.class.getResourceAsStream(DIR + file)) {
            assertNotNull(in, "fixture " + file + " is missing");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
