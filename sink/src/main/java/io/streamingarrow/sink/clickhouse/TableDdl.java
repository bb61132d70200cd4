package io.streamingarrow.sink.clickhouse;

import java.util.ArrayList;
import java.util.List;

import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

import io.streamingarrow.sink.conversion.ConversionPlanner;

/**
 * The CREATE TABLE for a table made from an Arrow schema, with the best types the server has.
 *
 * <p>De-duplication: a ReplacingMergeTree whose sorting key ends in (kafka_partition, kafka_offset,
 * kafka_row), so a row redelivered by Kafka has the same key as its first copy and merges collapse
 * them; {@code SELECT ... FINAL} hides duplicates before the merge. The first string column and the
 * first timestamp column lead the key (for queries by device and time) and are therefore not Nullable
 * even when Arrow marks them nullable (pyarrow marks everything nullable): a null there is refused.
 */
public final class TableDdl {

    private TableDdl() {
    }

    public static String createTable(String database, String table, Schema schema, ServerVersion version) {
        List<String> columns = new ArrayList<>();
        List<String> key = new ArrayList<>();
        String keyString = null;
        String keyTimestamp = null;
        for (Field field : schema.getFields()) {
            if (keyString == null && isString(field.getType())) {
                keyString = field.getName();
            }
            if (keyTimestamp == null && field.getType() instanceof ArrowType.Timestamp) {
                keyTimestamp = field.getName();
            }
        }
        for (Field field : schema.getFields()) {
            String name = field.getName();
            boolean keyColumn = name.equals(keyString) || name.equals(keyTimestamp);
            ArrowType type = field.getType();
            String base;
            if (isString(type)) {
                base = keyColumn && version.hasLowCardinality() ? "LowCardinality(String)" : "String";
            } else if (type instanceof ArrowType.Timestamp ts) {
                String zone = Identifiers.literal(ts.getTimezone() == null ? "UTC" : ts.getTimezone());
                if (version.hasDateTime64()) {
                    base = "DateTime64(" + precision(ts) + ", " + zone + ")";
                } else {
                    base = "DateTime(" + zone + ")";
                }
            } else if (type instanceof ArrowType.Int ints) {
                base = (ints.getIsSigned() ? "Int" : "UInt") + ints.getBitWidth();
            } else if (type instanceof ArrowType.FloatingPoint fp && fp.getPrecision() != FloatingPointPrecision.HALF) {
                base = fp.getPrecision() == FloatingPointPrecision.SINGLE ? "Float32" : "Float64";
            } else if (type instanceof ArrowType.Bool) {
                base = "UInt8";
            } else {
                throw new IllegalArgumentException("cannot create a column for Arrow column '" + name + "' of type " + type);
            }
            boolean nullable = field.isNullable() && !keyColumn;
            columns.add(Identifiers.quote(name) + " " + (nullable ? "Nullable(" + base + ")" : base));
            if (type instanceof ArrowType.Timestamp ts && !version.hasDateTime64()) {
                // 18.16's DateTime holds seconds: keep the exact instant next to it (filled by the planner's _us rule).
                String exact = name + "_us";
                columns.add(Identifiers.quote(exact) + " " + (nullable ? "Nullable(Int64)" : "Int64"));
            }
        }
        if (keyString != null) {
            key.add(Identifiers.quote(keyString));
        }
        if (keyTimestamp != null) {
            key.add(Identifiers.quote(keyTimestamp));
        }
        columns.add(Identifiers.quote(ConversionPlanner.PARTITION_COLUMN) + " UInt32");
        columns.add(Identifiers.quote(ConversionPlanner.OFFSET_COLUMN) + " Int64");
        columns.add(Identifiers.quote(ConversionPlanner.ROW_COLUMN) + " UInt32");
        key.add(Identifiers.quote(ConversionPlanner.PARTITION_COLUMN));
        key.add(Identifiers.quote(ConversionPlanner.OFFSET_COLUMN));
        key.add(Identifiers.quote(ConversionPlanner.ROW_COLUMN));
        return "CREATE TABLE IF NOT EXISTS " + Identifiers.table(database, table) + " (\n  "
                + String.join(",\n  ", columns) + "\n) ENGINE = ReplacingMergeTree()"
                + (keyTimestamp != null ? "\nPARTITION BY toYYYYMM(" + Identifiers.quote(keyTimestamp) + ")" : "")
                + "\nORDER BY (" + String.join(", ", key) + ")";
    }

    private static int precision(ArrowType.Timestamp ts) {
        return switch (ts.getUnit()) {
            case SECOND -> 0;
            case MILLISECOND -> 3;
            case MICROSECOND -> 6;
            case NANOSECOND -> 9;
        };
    }

    private static boolean isString(ArrowType type) {
        return type instanceof ArrowType.Utf8 || type instanceof ArrowType.LargeUtf8 || type instanceof ArrowType.Utf8View;
    }
}
