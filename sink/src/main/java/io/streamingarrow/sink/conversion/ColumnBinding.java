package io.streamingarrow.sink.conversion;

import io.streamingarrow.sink.clickhouse.TableColumn;

/**
 * How one table column is filled.
 *
 * @param column      the table column, with the server's exact type name
 * @param sourceIndex index of the Arrow field feeding it, or -1 when it comes from the row's origin
 * @param rejectNulls whether an Arrow null here refuses the message (the column is not Nullable)
 * @param writer      the column's Native encoding
 */
public record ColumnBinding(TableColumn column, int sourceIndex, boolean rejectNulls, ColumnWriter writer) {
}
