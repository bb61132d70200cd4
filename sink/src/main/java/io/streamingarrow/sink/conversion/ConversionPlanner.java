package io.streamingarrow.sink.conversion;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

import io.streamingarrow.sink.clickhouse.ClickHouseType;
import io.streamingarrow.sink.clickhouse.ClickHouseType.Kind;
import io.streamingarrow.sink.clickhouse.TableColumn;
import io.streamingarrow.sink.clickhouse.TableSchema;

/**
 * Matches an Arrow schema against a table's columns by name and chooses each column's Native
 * encoding. The result never sends a type other than the table's own: ClickHouse does no conversion
 * on Native input. Rules:
 * <ul>
 *   <li>Arrow column → table column of the same name: strings into String / Nullable(String) /
 *       LowCardinality(String); integers into the same or a wider integer (unsigned into a wider signed)
 *       or Float64 (up to 32 bits); bool into any integer; Float32 into Float32/Float64; Float64 into
 *       Float64; timestamps (any unit, any zone) into DateTime (seconds), DateTime64(p), or Int64/UInt64
 *       (epoch microseconds).</li>
 *   <li>Table column {@code X_s}, {@code X_ms}, {@code X_us}, {@code X_ns} of a 64-bit integer type with
 *       no Arrow column of its own, while Arrow has timestamp {@code X}: the epoch count in that unit
 *       (this is how 18.16 tables keep microseconds next to a DateTime).</li>
 *   <li>{@value #PARTITION_COLUMN}, {@value #OFFSET_COLUMN}, {@value #ROW_COLUMN}: the Kafka partition,
 *       offset and row index within the message (the de-duplication key).</li>
 *   <li>Other table columns are left out of the INSERT: the server fills their DEFAULT.</li>
 *   <li>Arrow columns the table lacks are reported as extra; refused when {@code failOnExtraColumns}.</li>
 * </ul>
 */
public final class ConversionPlanner {

    public static final String PARTITION_COLUMN = "kafka_partition";
    public static final String OFFSET_COLUMN = "kafka_offset";
    public static final String ROW_COLUMN = "kafka_row";

    private static final Map<String, Long> EPOCH_SUFFIXES = Map.of(
            "_s", 1L, "_ms", 1_000L, "_us", 1_000_000L, "_ns", 1_000_000_000L);

    private final boolean failOnExtraColumns;

    public ConversionPlanner(boolean failOnExtraColumns) {
        this.failOnExtraColumns = failOnExtraColumns;
    }

    public ConversionPlan plan(Schema schema, TableSchema table) {
        List<Field> fields = schema.getFields();
        List<ColumnBinding> bindings = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        List<String> defaulted = new ArrayList<>();
        Set<String> used = new HashSet<>();
        for (TableColumn column : table.columns()) {
            if (!column.insertable()) {
                continue;
            }
            int index = indexOf(fields, column.name());
            if (index >= 0) {
                Field field = fields.get(index);
                used.add(field.getName());
                ColumnWriter base = valueWriter(field.getType(), column.type());
                if (base == null) {
                    problems.add("Arrow column '" + field.getName() + "' of type " + field.getType()
                            + " cannot be written to " + column.type().name());
                } else if (column.type().lowCardinality()) {
                    bindings.add(new ColumnBinding(column, index, !column.type().nullable(), base));
                } else if (column.type().nullable()) {
                    bindings.add(new ColumnBinding(column, index, false, ColumnWriters.nullable(base)));
                } else {
                    bindings.add(new ColumnBinding(column, index, true, base));
                }
                continue;
            }
            ColumnBinding derived = derived(column, fields);
            if (derived != null) {
                bindings.add(derived);
            } else if (isOriginColumn(column.name())) {
                problems.add("column '" + column.name() + "' of type " + column.type().name()
                        + " cannot hold the Kafka " + column.name().substring("kafka_".length()));
            } else {
                defaulted.add(column.name());
            }
        }
        List<String> extra = fields.stream().map(Field::getName).filter(n -> !used.contains(n)).toList();
        if (bindings.stream().noneMatch(b -> b.sourceIndex() >= 0) && problems.isEmpty()) {
            problems.add("no Arrow column matches a column of the table");
        }
        if (!problems.isEmpty()) {
            throw new ConversionRefusedException(ConversionRefusedException.Reason.SCHEMA_MISMATCH,
                    table.database() + "." + table.table() + ": " + String.join("; ", problems));
        }
        if (failOnExtraColumns && !extra.isEmpty()) {
            throw new ConversionRefusedException(ConversionRefusedException.Reason.EXTRA_COLUMNS,
                    "Arrow columns " + extra + " have no column in " + table.database() + "." + table.table());
        }
        return new ConversionPlan(table, bindings, extra, defaulted);
    }

    private static boolean isOriginColumn(String name) {
        return name.equals(PARTITION_COLUMN) || name.equals(OFFSET_COLUMN) || name.equals(ROW_COLUMN);
    }

    private static int indexOf(List<Field> fields, String name) {
        for (int i = 0; i < fields.size(); i++) {
            if (fields.get(i).getName().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    /** Columns filled from the row's origin or from another column (epoch units). */
    private static ColumnBinding derived(TableColumn column, List<Field> fields) {
        ClickHouseType type = column.type();
        if (!type.kind().isInteger() || type.lowCardinality()) {
            return null;
        }
        int width = type.kind().width();
        if (!type.nullable()) {
            switch (column.name()) {
                case PARTITION_COLUMN:
                    return width >= 2 ? new ColumnBinding(column, -1, false, ColumnWriters.partition(width)) : null;
                case OFFSET_COLUMN:
                    return width == 8 ? new ColumnBinding(column, -1, false, ColumnWriters.offset(width)) : null;
                case ROW_COLUMN:
                    return width >= 4 ? new ColumnBinding(column, -1, false, ColumnWriters.rowIndex(width)) : null;
                default:
                    break;
            }
        }
        for (Map.Entry<String, Long> suffix : EPOCH_SUFFIXES.entrySet()) {
            String name = column.name();
            if (!name.endsWith(suffix.getKey()) || width != 8) {
                continue;
            }
            int index = indexOf(fields, name.substring(0, name.length() - suffix.getKey().length()));
            if (index >= 0 && fields.get(index).getType() instanceof ArrowType.Timestamp) {
                ColumnWriter epoch = ColumnWriters.epoch(suffix.getValue(), width);
                return type.nullable()
                        ? new ColumnBinding(column, index, false, ColumnWriters.nullable(epoch))
                        : new ColumnBinding(column, index, true, epoch);
            }
        }
        return null;
    }

    /** The writer of non-null values of {@code arrow} into {@code target}'s base type; null if unmappable. */
    static ColumnWriter valueWriter(ArrowType arrow, ClickHouseType target) {
        Kind kind = target.kind();
        if (target.lowCardinality()) {
            // nulls live in the dictionary (key 0), not in a null map: see ColumnWriters.lowCardinalityString
            return kind == Kind.STRING && isString(arrow) ? ColumnWriters.lowCardinalityString(target.nullable()) : null;
        }
        if (isString(arrow)) {
            return kind == Kind.STRING ? ColumnWriters.string() : null;
        }
        if (arrow instanceof ArrowType.Int ints) {
            int bytes = ints.getBitWidth() / 8;
            if (kind == Kind.FLOAT64 && bytes <= 4) {
                return ColumnWriters.integerToFloat64(ints);
            }
            if (!kind.isInteger()) {
                return null;
            }
            int width = kind.width();
            boolean fits = ints.getIsSigned()
                    ? kind.signed() && width >= bytes
                    : (kind.signed() ? width > bytes : width >= bytes);
            return fits ? ColumnWriters.integer(ints, width) : null;
        }
        if (arrow instanceof ArrowType.Bool) {
            return kind.isInteger() ? ColumnWriters.bool(kind.width()) : null;
        }
        if (arrow instanceof ArrowType.FloatingPoint fp) {
            if (fp.getPrecision() == FloatingPointPrecision.SINGLE) {
                return kind == Kind.FLOAT32 ? ColumnWriters.copy(4) : kind == Kind.FLOAT64 ? ColumnWriters.float32ToFloat64() : null;
            }
            if (fp.getPrecision() == FloatingPointPrecision.DOUBLE) {
                return kind == Kind.FLOAT64 ? ColumnWriters.copy(8) : null;
            }
            return null;
        }
        if (arrow instanceof ArrowType.Timestamp) {
            return switch (kind) {
                case DATE_TIME -> ColumnWriters.dateTime();
                case DATE_TIME64 -> ColumnWriters.epoch(pow10(target.precision()), 8);
                case INT64, UINT64 -> ColumnWriters.epoch(1_000_000L, 8);
                default -> null;
            };
        }
        return null;
    }

    static boolean isString(ArrowType type) {
        return type instanceof ArrowType.Utf8 || type instanceof ArrowType.LargeUtf8 || type instanceof ArrowType.Utf8View;
    }

    private static long pow10(int p) {
        long v = 1;
        for (int i = 0; i < p; i++) {
            v *= 10;
        }
        return v;
    }
}
