package io.streamingarrow.sink.conversion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.streamingarrow.shared.testing.ArrowMemoryExtension;
import io.streamingarrow.sink.clickhouse.ClickHouseType;
import io.streamingarrow.sink.clickhouse.NativeWriter;
import io.streamingarrow.sink.clickhouse.TableColumn;
import io.streamingarrow.sink.clickhouse.TableSchema;

/** Golden Native bytes per type (layouts as ClickHouse 18.16 itself writes them) and the planner's refusals. */
@ExtendWith(ArrowMemoryExtension.class)
class NativeEncodingTest {

    private static TableSchema table(String... nameThenType) {
        List<TableColumn> columns = new java.util.ArrayList<>();
        for (int i = 0; i < nameThenType.length; i += 2) {
            columns.add(new TableColumn(nameThenType[i], ClickHouseType.parse(nameThenType[i + 1]), ""));
        }
        return new TableSchema("db", "t", columns);
    }

    private static String hex(VectorSchemaRoot root, TableSchema table) {
        ConversionPlan plan = new ConversionPlanner(false).plan(root.getSchema(), table);
        NativeWriter out = new NativeWriter(16);
        plan.encode(root, new RowOrigin(1, 2, 0), out);
        return HexFormat.of().formatHex(out.toByteArray());
    }

    private static String header(int columns, int rows) {
        return String.format("%02x%02x", columns, rows);
    }

    private static String str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return String.format("%02x", b.length) + HexFormat.of().formatHex(b);
    }

    private static VarCharVector strings(BufferAllocator allocator, String name, String... values) {
        VarCharVector v = new VarCharVector(name, allocator);
        v.allocateNew();
        for (int i = 0; i < values.length; i++) {
            if (values[i] == null) {
                v.setNull(i);
            } else {
                v.setSafe(i, values[i].getBytes(StandardCharsets.UTF_8));
            }
        }
        v.setValueCount(values.length);
        return v;
    }

    @Test
    void stringAndNullableString(BufferAllocator allocator) {
        try (VectorSchemaRoot root = new VectorSchemaRoot(List.<FieldVector>of(strings(allocator, "a", "x", "yz"), strings(allocator, "b", null, "q")))) {
            root.setRowCount(2);
            assertEquals(header(2, 2) + str("a") + str("String") + str("x") + str("yz")
                            + str("b") + str("Nullable(String)") + "0100" + "00" + str("q"),
                    hex(root, table("a", "String", "b", "Nullable(String)")));
        }
    }

    @Test
    void lowCardinalityMatchesTheServersOwnLayout(BufferAllocator allocator) {
        // SELECT a FROM (x, y, x) FORMAT Native on 18.16 gives exactly these bytes after the column header
        try (VectorSchemaRoot root = new VectorSchemaRoot(List.<FieldVector>of(strings(allocator, "a", "x", "y", "x")))) {
            root.setRowCount(3);
            assertEquals(header(1, 3) + str("a") + str("LowCardinality(String)")
                            + "0100000000000000" + "0006000000000000" + "0300000000000000" + "00" + str("x") + str("y")
                            + "0300000000000000" + "010201",
                    hex(root, table("a", "LowCardinality(String)")));
        }
    }

    @Test
    void lowCardinalityNullableMatchesTheServersOwnLayout(BufferAllocator allocator) {
        // 18.16 writes ('x'), (NULL), ('y'), (''), ('x') of LowCardinality(Nullable(String)) exactly so
        try (VectorSchemaRoot root = new VectorSchemaRoot(List.<FieldVector>of(strings(allocator, "a", "x", null, "y", "", "x")))) {
            root.setRowCount(5);
            assertEquals(header(1, 5) + str("a") + str("LowCardinality(Nullable(String))")
                            + "0100000000000000" + "0006000000000000" + "0400000000000000" + "00" + "00" + str("x") + str("y")
                            + "0500000000000000" + "0200030102",
                    hex(root, table("a", "LowCardinality(Nullable(String))")));
        }
    }

    @Test
    void fixedWidthTimestampsAndOrigin(BufferAllocator allocator) {
        Float4Vector f = new Float4Vector("f", allocator);
        f.allocateNew(1);
        f.set(0, 1.5f);
        f.setValueCount(1);
        TimeStampMicroVector ts = new TimeStampMicroVector(new Field("ts", FieldType.nullable(new ArrowType.Timestamp(TimeUnit.MICROSECOND, null)), null), allocator);
        ts.allocateNew(1);
        ts.set(0, 1_000_001L);
        ts.setValueCount(1);
        try (VectorSchemaRoot root = new VectorSchemaRoot(List.<FieldVector>of(f, ts))) {
            root.setRowCount(1);
            assertEquals(header(6, 1) + str("f") + str("Float32") + "0000c03f"
                            + str("ts") + str("DateTime") + "01000000"
                            + str("ts_us") + str("Int64") + "41420f0000000000"
                            + str("kafka_partition") + str("UInt32") + "01000000"
                            + str("kafka_offset") + str("Int64") + "0200000000000000"
                            + str("kafka_row") + str("UInt32") + "00000000",
                    hex(root, table("f", "Float32", "ts", "DateTime", "ts_us", "Int64",
                            "kafka_partition", "UInt32", "kafka_offset", "Int64", "kafka_row", "UInt32")));
            assertEquals(header(1, 1) + str("ts") + str("DateTime64(3)") + "e803000000000000",
                    hex(root, table("ts", "DateTime64(3)")));
        }
    }

    @Test
    void varintsAboveOneByte() {
        NativeWriter out = new NativeWriter(4);
        out.varUInt(300);
        out.varUInt(0);
        out.varUInt(127);
        assertArrayEquals(new byte[] {(byte) 0xac, 0x02, 0x00, 0x7f}, out.toByteArray());
    }

    @Test
    void plannerRefusesNarrowingUnknownTypesAndReportsExtras() {
        Schema schema = new Schema(List.of(
                Field.nullable("d", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
                Field.nullable("i", new ArrowType.Int(64, true)),
                Field.nullable("extra", ArrowType.Utf8.INSTANCE)));
        ConversionRefusedException e = assertThrows(ConversionRefusedException.class,
                () -> new ConversionPlanner(false).plan(schema, table("d", "Float32", "i", "Int32")));
        assertEquals(ConversionRefusedException.Reason.SCHEMA_MISMATCH, e.reason());
        assertTrue(e.getMessage().contains("'d'") && e.getMessage().contains("'i'"), e.getMessage());
        assertThrows(ConversionRefusedException.class, () -> new ConversionPlanner(false).plan(schema, table("d", "Decimal(9, 2)")));
        ConversionPlan plan = new ConversionPlanner(false).plan(schema, table("d", "Float64", "i", "Int64", "other", "UInt8"));
        assertEquals(List.of("extra"), plan.extraColumns());
        assertEquals(List.of("other"), plan.defaultedColumns());
        assertEquals("INSERT INTO `db`.`t` (`d`, `i`) FORMAT Native", plan.insertSql());
        ConversionRefusedException extra = assertThrows(ConversionRefusedException.class,
                () -> new ConversionPlanner(true).plan(schema, table("d", "Float64", "i", "Int64")));
        assertEquals(ConversionRefusedException.Reason.EXTRA_COLUMNS, extra.reason());
        // unsigned into a signed type of the same width would wrap: refused; into a wider one: fine
        Schema unsigned = new Schema(List.of(Field.nullable("u", new ArrowType.Int(32, false))));
        assertThrows(ConversionRefusedException.class, () -> new ConversionPlanner(false).plan(unsigned, table("u", "Int32")));
        new ConversionPlanner(false).plan(unsigned, table("u", "Int64"));
    }

    @Test
    void nullIntoNonNullableRefusesTheBatchAndWritesNothing(BufferAllocator allocator) {
        IntVector v = new IntVector("v", allocator);
        v.allocateNew(2);
        v.set(0, 1);
        v.setNull(1);
        v.setValueCount(2);
        try (VectorSchemaRoot root = new VectorSchemaRoot(List.<FieldVector>of(v))) {
            root.setRowCount(2);
            ConversionPlan plan = new ConversionPlanner(false).plan(root.getSchema(), table("v", "Int32"));
            NativeWriter out = new NativeWriter(16);
            ConversionRefusedException e = assertThrows(ConversionRefusedException.class,
                    () -> plan.encode(root, new RowOrigin(0, 0, 0), out));
            assertEquals(ConversionRefusedException.Reason.NULL_IN_NON_NULLABLE, e.reason());
            assertEquals(0, out.size());
        }
    }
}
