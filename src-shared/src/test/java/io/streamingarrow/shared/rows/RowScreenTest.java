package io.streamingarrow.shared.rows;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ViewVarCharVector;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import io.streamingarrow.shared.batch.SeedBatchBuilder;
import io.streamingarrow.shared.ipc.ArrowIpcDecoder;
import io.streamingarrow.shared.ipc.ArrowIpcEncoder;
import io.streamingarrow.shared.ipc.DecodeLimits;
import io.streamingarrow.shared.ipc.IpcCompression;
import io.streamingarrow.shared.ipc.IpcFraming;
import io.streamingarrow.shared.testing.ArrowMemoryExtension;
import io.streamingarrow.shared.testing.SeedRows;

/**
 * The row screen refuses exactly the rows neither store can hold, per row and with the reason, for every
 * string type and timestamp unit the decoder delivers, and costs nothing for a clean batch.
 */
@ExtendWith(ArrowMemoryExtension.class)
class RowScreenTest {

    enum StringType {
        UTF8, LARGE_UTF8, UTF8_VIEW
    }

    private static FieldVector strings(BufferAllocator allocator, StringType type, List<byte[]> values) {
        FieldVector vector = switch (type) {
            case UTF8 -> new VarCharVector("device", allocator);
            case LARGE_UTF8 -> new LargeVarCharVector("device", allocator);
            case UTF8_VIEW -> new ViewVarCharVector("device", allocator);
        };
        vector.setInitialCapacity(values.size());
        vector.allocateNew();
        for (int i = 0; i < values.size(); i++) {
            byte[] value = values.get(i);
            if (value == null) {
                vector.setNull(i);
                continue;
            }
            switch (type) {
                case UTF8 -> ((VarCharVector) vector).setSafe(i, value);
                case LARGE_UTF8 -> ((LargeVarCharVector) vector).setSafe(i, value);
                case UTF8_VIEW -> ((ViewVarCharVector) vector).setSafe(i, value);
            }
        }
        vector.setValueCount(values.size());
        return vector;
    }

    private static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static String verdicts(BadRows bad, int rows) {
        List<String> out = new ArrayList<>();
        int next = 0;
        for (int row = 0; row < rows; row++) {
            if (next < bad.count() && bad.row(next) == row) {
                out.add(bad.defect(next).name());
                next++;
            } else {
                out.add("ok");
            }
        }
        return String.join(",", out);
    }

    @ParameterizedTest
    @EnumSource(StringType.class)
    void everyStringTypeIsScreenedPerRow(StringType type, BufferAllocator allocator) {
        byte[] latin = "sensor-ünï".getBytes(StandardCharsets.UTF_8);
        byte[] longAscii = "a-device-name-longer-than-twelve".getBytes(StandardCharsets.UTF_8);
        List<byte[]> values = Arrays.asList(
                "sensor-1".getBytes(StandardCharsets.UTF_8),  // ok
                "a\0b".getBytes(StandardCharsets.UTF_8),      // U+0000 inline
                bytes(0xC3, 0x28),                           // invalid continuation
                null,                                         // null: not screened
                new byte[0],                                  // empty: fine
                latin,                                        // fine, not ASCII
                concat(longAscii, bytes(0xED, 0xA0, 0x80)),   // a surrogate, out of line in a view
                concat(longAscii, bytes(0)),                  // U+0000 at byte 32
                concat(bytes(0), bytes(0xFF)),                // both: not UTF-8 wins
                bytes(0xF4, 0x90, 0x80, 0x80));               // above U+10FFFF
        try (FieldVector device = strings(allocator, type, values);
             VectorSchemaRoot root = new VectorSchemaRoot(List.of(device))) {
            BadRows bad = RowScreen.screen(root);
            assertEquals("ok,NUL_IN_STRING,INVALID_UTF8,ok,ok,ok,INVALID_UTF8,NUL_IN_STRING,INVALID_UTF8,INVALID_UTF8",
                    verdicts(bad, values.size()), bad.toString());
            assertEquals("device", bad.column(0));
            assertTrue(bad.describe(3).contains("U+0000 at byte 32"), bad.describe(3));
            assertTrue(bad.describe(2).contains("not well-formed UTF-8 at byte 32"), bad.describe(2));
            assertTrue(bad.isBad(1) && bad.isBad(9) && !bad.isBad(0) && !bad.isBad(3) && !bad.isBad(10_000));
        }
    }

    @ParameterizedTest
    @EnumSource(StringType.class)
    void aCleanColumnIsNotFlaggedWhateverItsBytes(StringType type, BufferAllocator allocator) {
        // ASCII, multi-byte, and garbage behind a null slot (nobody's value) in the same column.
        List<byte[]> values = Arrays.asList("sensor-1".getBytes(StandardCharsets.UTF_8), null,
                "é€😀 and a longer tail".getBytes(StandardCharsets.UTF_8));
        try (FieldVector device = strings(allocator, type, values);
             VectorSchemaRoot root = new VectorSchemaRoot(List.of(device))) {
            if (device instanceof VarCharVector utf8) {
                utf8.getOffsetBuffer().setInt(8, 10); // the null slot covers two bytes, set to garbage
                utf8.getDataBuffer().setByte(8, 0);
                utf8.getDataBuffer().setByte(9, 0xFF);
                utf8.getOffsetBuffer().setInt(12, 10 + values.get(2).length);
                utf8.getDataBuffer().setBytes(10, values.get(2));
            }
            assertSame(BadRows.NONE, RowScreen.screen(root));
        }
    }

    private static boolean strictUtf8(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    /** UTF-8 well-formedness as the JDK's strict decoder judges it, on values built near the encoding's boundaries. */
    @ParameterizedTest
    @EnumSource(StringType.class)
    void randomValuesAreJudgedLikeTheJdksStrictDecoder(StringType type, BufferAllocator allocator) {
        SplittableRandom random = new SplittableRandom(11);
        int[] interesting = {0x00, 0x41, 0x7F, 0x80, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF, 0x9F, 0xA0, 0x8F, 0x90};
        List<byte[]> values = new ArrayList<>();
        String[] pieces = {"x", "sensor", "\0", "é", "€", "😀"};
        for (int round = 0; round < 3000; round++) {
            byte[] value;
            if (random.nextBoolean()) {
                // Bytes around the UTF-8 boundaries: leads, continuations, overlong and surrogate forms.
                value = new byte[random.nextInt(1, 20)];
                for (int i = 0; i < value.length; i++) {
                    value[i] = random.nextInt(3) == 0 ? (byte) 'x' : (byte) interesting[random.nextInt(interesting.length)];
                }
            } else {
                // Well-formed text, sometimes with U+0000, sometimes with one byte broken.
                StringBuilder text = new StringBuilder();
                for (int i = random.nextInt(1, 8); i > 0; i--) {
                    text.append(pieces[random.nextInt(pieces.length)]);
                }
                value = text.toString().getBytes(StandardCharsets.UTF_8);
                if (random.nextInt(5) == 0) {
                    value[random.nextInt(value.length)] = (byte) interesting[random.nextInt(interesting.length)];
                }
            }
            values.add(value);
        }
        int invalid = 0;
        int nul = 0;
        try (FieldVector device = strings(allocator, type, values);
             VectorSchemaRoot root = new VectorSchemaRoot(List.of(device))) {
            BadRows bad = RowScreen.screen(root);
            for (int row = 0; row < values.size(); row++) {
                byte[] value = values.get(row);
                RowDefect expected = !strictUtf8(value) ? RowDefect.INVALID_UTF8
                        : new String(value, StandardCharsets.UTF_8).indexOf('\0') >= 0 ? RowDefect.NUL_IN_STRING : null;
                invalid += expected == RowDefect.INVALID_UTF8 ? 1 : 0;
                nul += expected == RowDefect.NUL_IN_STRING ? 1 : 0;
                int at = Arrays.binarySearch(rowsOf(bad), row);
                RowDefect got = at >= 0 ? bad.defect(at) : null;
                int r = row;
                assertEquals(expected, got, () -> "row " + r + " " + HexFormat.of().formatHex(value));
            }
        }
        assertTrue(invalid > 1000 && nul > 200 && values.size() - invalid - nul > 500, "the values must include both defects: " + invalid + " invalid, " + nul + " NUL");
    }

    private static int[] rowsOf(BadRows bad) {
        int[] rows = new int[bad.count()];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = bad.row(i);
        }
        return rows;
    }

    static Stream<Arguments> unitsAndZones() {
        return Stream.of(TimeUnit.values()).flatMap(unit -> Stream.of(null, "UTC", "America/New_York")
                .map(zone -> Arguments.of(unit, zone)));
    }

    @ParameterizedTest
    @MethodSource("unitsAndZones")
    void timestampsOutsideDateTimesRangeAreBadInEveryUnitAndZone(TimeUnit unit, String zone, BufferAllocator allocator) {
        long per = switch (unit) {
            case SECOND -> 1L;
            case MILLISECOND -> 1_000L;
            case MICROSECOND -> 1_000_000L;
            case NANOSECOND -> 1_000_000_000L;
        };
        long year9999 = 253_402_300_799L; // 9999-12-31T23:59:59Z
        long[] values = {
                0,                                      // 1970-01-01T00:00:00Z: the first second DateTime holds
                -1,                                     // one unit before
                1_700_000_000L * per,                   // 2023
                4_294_967_295L * per,                   // 2106-02-07T06:28:15Z: the last second
                4_294_967_296L * per - 1,               // its last unit still floors into it
                4_294_967_296L * per,                   // one unit after
                unit == TimeUnit.NANOSECOND ? Long.MAX_VALUE : year9999 * per, // year 9999 (ns: as far as Int64 goes)
                Long.MIN_VALUE,
                -1,                                     // null below: its value is nobody's
        };
        Field field = new Field("ts", FieldType.nullable(new ArrowType.Timestamp(unit, zone)), null);
        try (TimeStampVector ts = (TimeStampVector) field.createVector(allocator);
             VectorSchemaRoot root = new VectorSchemaRoot(List.<FieldVector>of(ts))) {
            ts.allocateNew(values.length);
            for (int i = 0; i < values.length; i++) {
                ts.getDataBuffer().setLong((long) i * 8, values[i]);
                ts.setIndexDefined(i);
            }
            ts.setNull(values.length - 1);
            root.setRowCount(values.length);
            BadRows bad = RowScreen.screen(root);
            assertEquals(List.of(1, 5, 6, 7), List.of(bad.row(0), bad.row(1), bad.row(2), bad.row(3)), bad.toString());
            assertEquals(4, bad.count(), bad.toString());
            for (int i = 0; i < bad.count(); i++) {
                assertEquals(RowDefect.TIMESTAMP_OUT_OF_RANGE, bad.defect(i));
                assertEquals("ts", bad.column(i));
            }
            assertTrue(bad.describe(0).contains("is outside 1970-01-01T00:00:00Z..2106-02-07T06:28:15Z"), bad.describe(0));
        }
    }

    @Test
    void eachBadRowIsReportedOnceWithTheFirstDefectInColumnOrder(BufferAllocator allocator) {
        Field field = new Field("ts", FieldType.nullable(new ArrowType.Timestamp(TimeUnit.MICROSECOND, null)), null);
        try (TimeStampVector ts = (TimeStampVector) field.createVector(allocator);
             FieldVector device = strings(allocator, StringType.UTF8, List.of("a".getBytes(), bytes(0xFF), bytes(0),
                     "d".getBytes(), "e".getBytes()));
             VectorSchemaRoot root = new VectorSchemaRoot(List.of(ts, device))) {
            ts.allocateNew(5);
            long good = SeedRows.BASE_TS_MICROS;
            long[] values = {good, -5, good, -7, good};
            for (int i = 0; i < values.length; i++) {
                ts.setSafe(i, values[i]);
            }
            ts.setValueCount(5);
            root.setRowCount(5);
            BadRows bad = RowScreen.screen(root);
            assertEquals("ok,TIMESTAMP_OUT_OF_RANGE,NUL_IN_STRING,TIMESTAMP_OUT_OF_RANGE,ok", verdicts(bad, 5), bad.toString());
            assertEquals("ts", bad.column(0));
            assertEquals("device", bad.column(1));
        }
    }

    /**
     * Through the decoder: a message whose dictionary holds bad strings and whose timestamps leave the
     * range decodes (today's refusals of a whole message for one value are gone) and the screen finds
     * exactly the rows that use the bad dictionary entries.
     */
    @ParameterizedTest
    @EnumSource(IpcFraming.class)
    void dictionaryStringsAreScreenedAsTheDecoderDeliversThem(IpcFraming framing, BufferAllocator allocator) {
        DictionaryEncoding encoding = new DictionaryEncoding(1, false, new ArrowType.Int(32, true));
        List<byte[]> names = List.of("sensor-1".getBytes(), bytes(0x73, 0xC0, 0x80), "nul\0name".getBytes());
        int[] indexes = {0, 1, 0, 2, 0, 0};
        byte[] message;
        DictionaryProvider.MapDictionaryProvider provider = new DictionaryProvider.MapDictionaryProvider();
        try (VarCharVector dictionary = (VarCharVector) strings(allocator, StringType.UTF8, names);
             IntVector device = new IntVector(new Field("device", new FieldType(true, new ArrowType.Int(32, true), encoding), null), allocator);
             TimeStampVector ts = (TimeStampVector) new Field("ts", FieldType.nullable(new ArrowType.Timestamp(TimeUnit.MILLISECOND, "UTC")), null)
                     .createVector(allocator);
             VectorSchemaRoot root = new VectorSchemaRoot(List.<FieldVector>of(device, ts))) {
            provider.put(new Dictionary(dictionary, encoding));
            device.allocateNew(indexes.length);
            ts.allocateNew(indexes.length);
            for (int i = 0; i < indexes.length; i++) {
                device.set(i, indexes[i]);
                ts.setSafe(i, i == 5 ? 253_402_300_800_000L : SeedRows.BASE_TS_MICROS / 1000);
            }
            device.setValueCount(indexes.length);
            ts.setValueCount(indexes.length);
            root.setRowCount(indexes.length);
            message = new ArrowIpcEncoder(framing, IpcCompression.ZSTD, 1).encode(root, provider);
        }
        List<String> seen = new ArrayList<>();
        new ArrowIpcDecoder(DecodeLimits.DEFAULT).decode(message, (batch, index) -> {
            assertTrue(batch.getVector("device") instanceof VarCharVector, "dictionary arrives decoded");
            seen.add(verdicts(RowScreen.screen(batch), batch.getRowCount()));
        });
        assertEquals(List.of("ok,INVALID_UTF8,ok,NUL_IN_STRING,ok,TIMESTAMP_OUT_OF_RANGE"), seen);
    }

    /** The sink's hot path: screening a clean batch allocates nothing and returns the shared NONE. */
    @Test
    void aCleanBatchCostsNoAllocation(BufferAllocator allocator) {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (SeedBatchBuilder builder = new SeedBatchBuilder(allocator, 8192)) {
            SeedRows.fill(builder, 0, 8192);
            VectorSchemaRoot batch = builder.view();
            for (int i = 0; i < 2000; i++) {
                assertSame(BadRows.NONE, RowScreen.screen(batch));
            }
            long before = threads.getThreadAllocatedBytes(Thread.currentThread().getId());
            int calls = 1000;
            for (int i = 0; i < calls; i++) {
                RowScreen.screen(batch);
            }
            long perCall = (threads.getThreadAllocatedBytes(Thread.currentThread().getId()) - before) / calls;
            // The root's list view of its vectors may be allocated per call (a few dozen bytes); nothing per row.
            assertTrue(perCall < 64, "screening 8192 clean rows allocated " + perCall + " bytes per call");
        }
    }

    @Test
    void noneIsEmpty() {
        assertTrue(BadRows.NONE.isEmpty());
        assertEquals(0, BadRows.NONE.count());
        assertFalse(BadRows.NONE.isBad(0));
    }
}
