package io.streamingarrow.sink.conversion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.TimeStampNanoTZVector;
import org.apache.arrow.vector.UInt1Vector;
import org.apache.arrow.vector.UInt4Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ViewVarCharVector;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.streamingarrow.shared.testing.ArrowMemoryExtension;
import io.streamingarrow.sink.clickhouse.Identifiers;
import io.streamingarrow.sink.clickhouse.LocalClickHouse;
import io.streamingarrow.sink.clickhouse.NativeWriter;
import io.streamingarrow.sink.clickhouse.TableSchema;

/**
 * Every mapping against the real ClickHouse of the local stack: encode with our Native encoder, insert,
 * read back as TabSeparated and compare.
 */
@ExtendWith(ArrowMemoryExtension.class)
class NativeRoundTripTest {

    private static LocalClickHouse clickHouse;

    @BeforeAll
    static void connect() {
        clickHouse = new LocalClickHouse();
    }

    @AfterAll
    static void disconnect() {
        clickHouse.close();
    }

    private String createTable(String columns) {
        String table = LocalClickHouse.uniqueTable("rt");
        clickHouse.query("CREATE TABLE " + Identifiers.table(LocalClickHouse.DATABASE, table) + " (" + columns + ") ENGINE = Memory");
        return table;
    }

    /** Encodes {@code root} {@code blocks} times into one body (several Native blocks per INSERT) and inserts it. */
    private void insert(String table, VectorSchemaRoot root, int blocks) {
        TableSchema schema = new io.streamingarrow.sink.clickhouse.TableManager(clickHouse.http(), LocalClickHouse.DATABASE,
                table, false, java.time.Duration.ofSeconds(30)).describe();
        ConversionPlan plan = new ConversionPlanner(false).plan(root.getSchema(), schema);
        NativeWriter out = new NativeWriter(1024);
        for (int b = 0; b < blocks; b++) {
            plan.encode(root, new RowOrigin(3, 4242, 10), out);
        }
        clickHouse.insert(plan.insertSql(), out.toByteArray());
    }

    private String roundTrip(String columns, VectorSchemaRoot root, String select) {
        String table = createTable(columns);
        try {
            insert(table, root, 1);
            return clickHouse.query("SELECT " + select + " FROM " + Identifiers.table(LocalClickHouse.DATABASE, table) + " FORMAT TabSeparated");
        } finally {
            clickHouse.query("DROP TABLE IF EXISTS " + Identifiers.table(LocalClickHouse.DATABASE, table));
        }
    }

    private static <V extends FieldVector> V vector(BufferAllocator allocator, String name, ArrowType type, Class<V> cls) {
        return cls.cast(new Field(name, FieldType.nullable(type), null).createVector(allocator));
    }

    @Test
    void stringsOfEveryArrowKindIntoStringNullableAndLowCardinality(BufferAllocator allocator) {
        VarCharVector a = vector(allocator, "a", ArrowType.Utf8.INSTANCE, VarCharVector.class);
        LargeVarCharVector b = vector(allocator, "b", ArrowType.LargeUtf8.INSTANCE, LargeVarCharVector.class);
        ViewVarCharVector c = vector(allocator, "c", ArrowType.Utf8View.INSTANCE, ViewVarCharVector.class);
        String[] values = {"x", "", "a longer value with ünïcödé that does not fit a view inline", "x"};
        a.allocateNew();
        b.allocateNew();
        c.allocateNew();
        for (int i = 0; i < values.length; i++) {
            byte[] v = values[i].getBytes(StandardCharsets.UTF_8);
            a.setSafe(i, v);
            if (i == 1) {
                b.setNull(i);
            } else {
                b.setSafe(i, v);
            }
            c.setSafe(i, v);
        }
        try (VectorSchemaRoot root = new VectorSchemaRoot(List.of(a, b, c))) {
            root.setRowCount(values.length);
            String got = roundTrip("a String, b Nullable(String), c String, kafka_partition UInt32, kafka_offset Int64, kafka_row UInt32",
                    root, "a, b, c, kafka_partition, kafka_offset, kafka_row");
            assertEquals("x\tx\tx\t3\t4242\t10\n"
                    + "\t\\N\t\t3\t4242\t11\n"
                    + values[2] + "\t" + values[2] + "\t" + values[2] + "\t3\t4242\t12\n"
                    + "x\tx\tx\t3\t4242\t13\n", got);
        }
    }

    @Test
    void lowCardinalityString(BufferAllocator allocator) {
        VarCharVector a = vector(allocator, "a", ArrowType.Utf8.INSTANCE, VarCharVector.class);
        a.allocateNew();
        String[] values = {"x", "y", "x", "", "zz"};
        for (int i = 0; i < values.length; i++) {
            a.setSafe(i, values[i].getBytes(StandardCharsets.UTF_8));
        }
        VarCharVector n = vector(allocator, "n", ArrowType.Utf8.INSTANCE, VarCharVector.class);
        n.allocateNew();
        String[] nullable = {"x", null, "", "q", "x"};
        for (int i = 0; i < nullable.length; i++) {
            if (nullable[i] == null) {
                n.setNull(i);
            } else {
                n.setSafe(i, nullable[i].getBytes(StandardCharsets.UTF_8));
            }
        }
        String table = LocalClickHouse.uniqueTable("lc");
        String name = Identifiers.table(LocalClickHouse.DATABASE, table);
        // 18.16 creates LowCardinality columns only with the experimental switch; newer servers ignore it.
        LocalClickHouse.await(clickHouse.http().query("CREATE TABLE " + name + " (a LowCardinality(String), n LowCardinality(Nullable(String))) ENGINE = Memory",
                java.util.Map.of("allow_experimental_low_cardinality_type", "1")));
        try (VectorSchemaRoot root = new VectorSchemaRoot(List.of(a, n))) {
            root.setRowCount(values.length);
            insert(table, root, 2);
            String once = "x\tx\ny\t\\N\nx\t\n\tq\nzz\tx\n";
            assertEquals(once + once, clickHouse.query("SELECT a, n FROM " + name + " FORMAT TabSeparated"));
            assertEquals("LowCardinality(String)\n", clickHouse.query("SELECT toTypeName(a) FROM " + name + " LIMIT 1 FORMAT TabSeparated"));
        } finally {
            clickHouse.query("DROP TABLE IF EXISTS " + name);
        }
    }

    @Test
    void numbersWidenedAndCopied(BufferAllocator allocator) {
        Float4Vector f32 = vector(allocator, "f32", new ArrowType.FloatingPoint(org.apache.arrow.vector.types.FloatingPointPrecision.SINGLE), Float4Vector.class);
        Float4Vector f32w = vector(allocator, "f32w", new ArrowType.FloatingPoint(org.apache.arrow.vector.types.FloatingPointPrecision.SINGLE), Float4Vector.class);
        Float8Vector f64 = vector(allocator, "f64", new ArrowType.FloatingPoint(org.apache.arrow.vector.types.FloatingPointPrecision.DOUBLE), Float8Vector.class);
        IntVector i32 = vector(allocator, "i32", new ArrowType.Int(32, true), IntVector.class);
        SmallIntVector i16 = vector(allocator, "i16", new ArrowType.Int(16, true), SmallIntVector.class);
        UInt1Vector u8 = vector(allocator, "u8", new ArrowType.Int(8, false), UInt1Vector.class);
        UInt4Vector u32 = vector(allocator, "u32", new ArrowType.Int(32, false), UInt4Vector.class);
        BigIntVector i64 = vector(allocator, "i64", new ArrowType.Int(64, true), BigIntVector.class);
        BitVector flag = vector(allocator, "flag", ArrowType.Bool.INSTANCE, BitVector.class);
        for (FieldVector v : List.of(f32, f32w, f64, i32, i16, u8, u32, i64, flag)) {
            v.allocateNew();
        }
        f32.set(0, 0.1f); f32.set(1, -3.5f); f32.setNull(2);
        f32w.set(0, 0.1f); f32w.set(1, Float.MAX_VALUE); f32w.set(2, -0f);
        f64.set(0, 0.1); f64.set(1, 1e300); f64.set(2, -2.5);
        i32.set(0, Integer.MIN_VALUE); i32.set(1, 7); i32.setNull(2);
        i16.set(0, -2); i16.set(1, Short.MAX_VALUE); i16.set(2, 0);
        u8.set(0, (byte) 255); u8.set(1, 1); u8.set(2, 0);
        u32.set(0, -1); u32.set(1, 5); u32.set(2, 0);
        i64.set(0, Long.MAX_VALUE); i64.set(1, -1); i64.set(2, 0);
        flag.set(0, 1); flag.set(1, 0); flag.set(2, 1);
        try (VectorSchemaRoot root = new VectorSchemaRoot(List.of(f32, f32w, f64, i32, i16, u8, u32, i64, flag))) {
            root.setRowCount(3);
            String table = createTable("f32 Nullable(Float32), f32w Float64, f64 Float64, i32 Nullable(Int64), i16 Float64, "
                    + "u8 UInt16, u32 Int64, i64 Int64, flag UInt8");
            String name = Identifiers.table(LocalClickHouse.DATABASE, table);
            try {
                insert(table, root, 1);
                assertEquals(String.join("\n",
                                "0\t-2147483648\t-2\t255\t4294967295\t9223372036854775807\t1",
                                "0\t7\t32767\t1\t5\t-1\t0",
                                "1\t\\N\t0\t0\t0\t0\t1") + "\n",
                        clickHouse.query("SELECT isNull(f32), i32, i16, u8, u32, i64, flag FROM " + name + " FORMAT TabSeparated"));
                // floats bit for bit: RowBinary gives the stored bytes
                ByteBuffer bytes = ByteBuffer.wrap(LocalClickHouse.await(clickHouse.http().queryBytes(
                        "SELECT assumeNotNull(f32), f32w, f64 FROM " + name + " FORMAT RowBinary"))).order(ByteOrder.LITTLE_ENDIAN);
                float[] f32s = {0.1f, -3.5f, 0f};
                double[] f32ws = {0.1f, Float.MAX_VALUE, -0.0};
                double[] f64s = {0.1, 1e300, -2.5};
                for (int row = 0; row < 3; row++) {
                    assertEquals(Float.floatToRawIntBits(f32s[row]), bytes.getInt(), "f32 row " + row);
                    assertEquals(Double.doubleToRawLongBits(f32ws[row]), bytes.getLong(), "f32w row " + row);
                    assertEquals(Double.doubleToRawLongBits(f64s[row]), bytes.getLong(), "f64 row " + row);
                }
            } finally {
                clickHouse.query("DROP TABLE IF EXISTS " + name);
            }
        }
    }

    @Test
    void timestampsIntoDateTimeAndEpochColumns(BufferAllocator allocator) {
        TimeStampMicroVector ts = vector(allocator, "ts", new ArrowType.Timestamp(TimeUnit.MICROSECOND, null), TimeStampMicroVector.class);
        TimeStampNanoTZVector tn = vector(allocator, "tn", new ArrowType.Timestamp(TimeUnit.NANOSECOND, "Europe/Paris"), TimeStampNanoTZVector.class);
        ts.allocateNew();
        tn.allocateNew();
        ts.set(0, 1_700_000_000_123_456L);
        ts.set(1, 1_700_000_001_000_001L);
        tn.set(0, 1_700_000_000_123_456_789L);
        tn.setNull(1);
        try (VectorSchemaRoot root = new VectorSchemaRoot(List.of(ts, tn))) {
            root.setRowCount(2);
            String got = roundTrip("ts DateTime('UTC'), ts_us Int64, ts_ms Int64, tn Nullable(DateTime('UTC')), tn_ns Nullable(Int64)",
                    root, "toUnixTimestamp(ts), ts_us, ts_ms, toUnixTimestamp(assumeNotNull(tn)), isNull(tn), tn_ns");
            assertEquals("1700000000\t1700000000123456\t1700000000123\t1700000000\t0\t1700000000123456789\n"
                    + "1700000001\t1700000001000001\t1700000001000\t0\t1\t\\N\n", got);
        }
    }

    @Test
    void nullIntoNonNullableIsRefusedBeforeAnythingIsSent(BufferAllocator allocator) {
        VarCharVector a = vector(allocator, "a", ArrowType.Utf8.INSTANCE, VarCharVector.class);
        a.allocateNew();
        a.setSafe(0, "x".getBytes(StandardCharsets.UTF_8));
        a.setNull(1);
        try (VectorSchemaRoot root = new VectorSchemaRoot(List.of(a))) {
            root.setRowCount(2);
            ConversionRefusedException e = assertThrows(ConversionRefusedException.class,
                    () -> roundTrip("a String", root, "a"));
            assertEquals(ConversionRefusedException.Reason.NULL_IN_NON_NULLABLE, e.reason());
        }
    }

    @Test
    void mismatchedTypesAreRefusedAndTheServerStaysUp(BufferAllocator allocator) {
        Float8Vector f64 = vector(allocator, "v", new ArrowType.FloatingPoint(org.apache.arrow.vector.types.FloatingPointPrecision.DOUBLE), Float8Vector.class);
        f64.allocateNew();
        f64.set(0, 1.5);
        try (VectorSchemaRoot root = new VectorSchemaRoot(List.of(f64))) {
            root.setRowCount(1);
            ConversionRefusedException e = assertThrows(ConversionRefusedException.class,
                    () -> roundTrip("v Float32", root, "v"));
            assertEquals(ConversionRefusedException.Reason.SCHEMA_MISMATCH, e.reason());
            assertEquals("Ok.\n", clickHouse.query("SELECT 'Ok.'"));
        }
    }
}
