package io.streamingarrow.sink.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import io.streamingarrow.sink.clickhouse.ClickHouseType.Kind;

class ClickHouseTypeTest {

    @Test
    void plainTypes() {
        assertEquals(Kind.INT8, ClickHouseType.parse("Int8").kind());
        assertEquals(Kind.UINT64, ClickHouseType.parse("UInt64").kind());
        assertEquals(Kind.FLOAT32, ClickHouseType.parse("Float32").kind());
        assertEquals(Kind.STRING, ClickHouseType.parse("String").kind());
        assertEquals(Kind.OTHER, ClickHouseType.parse("Decimal(10, 2)").kind());
        assertEquals(Kind.OTHER, ClickHouseType.parse("Array(String)").kind());
        assertFalse(ClickHouseType.parse("String").nullable());
    }

    @Test
    void wrappersKeepTheServersSpelling() {
        ClickHouseType t = ClickHouseType.parse("Nullable(String)");
        assertEquals(Kind.STRING, t.kind());
        assertTrue(t.nullable());
        assertEquals("Nullable(String)", t.name());
        ClickHouseType lc = ClickHouseType.parse("LowCardinality(Nullable(String))");
        assertTrue(lc.lowCardinality());
        assertTrue(lc.nullable());
        assertEquals(Kind.STRING, lc.kind());
    }

    @Test
    void dateTimes() {
        ClickHouseType dt = ClickHouseType.parse("DateTime('Europe/Paris')");
        assertEquals(Kind.DATE_TIME, dt.kind());
        assertEquals("Europe/Paris", dt.timezone());
        assertEquals(Kind.DATE_TIME, ClickHouseType.parse("DateTime").kind());
        ClickHouseType dt64 = ClickHouseType.parse("DateTime64(6, 'UTC')");
        assertEquals(Kind.DATE_TIME64, dt64.kind());
        assertEquals(6, dt64.precision());
        assertEquals("UTC", dt64.timezone());
        ClickHouseType n = ClickHouseType.parse("Nullable(DateTime64(3))");
        assertEquals(3, n.precision());
        assertTrue(n.nullable());
    }

    @Test
    void describeOutputOf1816AndNewer() {
        TableSchema s = TableSchema.parseDescribe("db", "t",
                "a\tString\t\t\t\nb\tNullable(Int32)\tDEFAULT\t7\t\nc\\tx\tUInt8\tMATERIALIZED\tb + 1\t\t\t\n");
        assertEquals(3, s.columns().size());
        assertEquals("c\tx", s.columns().get(2).name());
        assertFalse(s.columns().get(2).insertable());
        assertTrue(s.columns().get(1).type().nullable());
    }

    @Test
    void identifiersAreQuoted() {
        assertEquals("`a``b`".replace("``", "\\`"), Identifiers.quote("a`b"));
        assertEquals("`db`.`t`", Identifiers.table("db", "t"));
        assertEquals("'it\\'s'", Identifiers.literal("it's"));
    }

    @Test
    void versions() {
        assertFalse(ServerVersion.parse("18.16.1").hasDateTime64());
        assertFalse(ServerVersion.parse("18.16.1").hasLowCardinality());
        assertTrue(ServerVersion.parse("24.8.4.13").hasDateTime64());
        assertTrue(ServerVersion.parse("19.9.2").hasLowCardinality());
    }
}
