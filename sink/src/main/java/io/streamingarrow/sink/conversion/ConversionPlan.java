package io.streamingarrow.sink.conversion;

import java.util.List;
import java.util.stream.Collectors;

import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

import io.streamingarrow.sink.clickhouse.Identifiers;
import io.streamingarrow.sink.clickhouse.NativeWriter;
import io.streamingarrow.sink.clickhouse.TableSchema;

/**
 * The validated mapping of one Arrow schema onto one table: which table columns are written and how.
 * Table columns without a binding are left out of the INSERT's column list, so the server fills their
 * DEFAULT. Built once per (schema fingerprint, table) by {@link ConversionPlanner} and reused.
 *
 * @param extraColumns Arrow columns the table has no column for (not written)
 */
public record ConversionPlan(TableSchema table, List<ColumnBinding> bindings, List<String> extraColumns,
                             List<String> defaultedColumns) {

    public ConversionPlan {
        bindings = List.copyOf(bindings);
        extraColumns = List.copyOf(extraColumns);
        defaultedColumns = List.copyOf(defaultedColumns);
    }

    /** {@code INSERT INTO `db`.`t` (`c1`, ...) FORMAT Native}; names come from the server, quoted. */
    public String insertSql() {
        return "INSERT INTO " + Identifiers.table(table.database(), table.table())
                + " (" + bindings.stream().map(b -> Identifiers.quote(b.column().name())).collect(Collectors.joining(", "))
                + ") FORMAT Native";
    }

    /**
     * Appends {@code batch} as one Native block: column count, row count, then per column its name,
     * type and data. Refuses the batch (nothing appended) when a non-Nullable column holds a null.
     */
    public void encode(VectorSchemaRoot batch, RowOrigin origin, NativeWriter out) {
        int rows = batch.getRowCount();
        List<FieldVector> vectors = batch.getFieldVectors();
        for (ColumnBinding binding : bindings) {
            if (binding.rejectNulls() && binding.sourceIndex() >= 0 && vectors.get(binding.sourceIndex()).getNullCount() > 0) {
                throw new ConversionRefusedException(ConversionRefusedException.Reason.NULL_IN_NON_NULLABLE,
                        "column '" + binding.column().name() + "' is " + binding.column().type().name()
                                + " (not Nullable) but the Arrow column holds " + vectors.get(binding.sourceIndex()).getNullCount() + " null(s)");
            }
        }
        int mark = out.size();
        try {
            out.varUInt(bindings.size());
            out.varUInt(rows);
            for (ColumnBinding binding : bindings) {
                out.string(binding.column().name());
                out.string(binding.column().type().name());
                FieldVector source = binding.sourceIndex() >= 0 ? vectors.get(binding.sourceIndex()) : null;
                binding.writer().write(source, rows, origin, out);
            }
        } catch (RuntimeException e) {
            out.truncate(mark);
            throw e;
        }
    }
}
