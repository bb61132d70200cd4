package io.streamingarrow.sink.conversion;

import org.apache.arrow.vector.FieldVector;

import io.streamingarrow.sink.clickhouse.NativeWriter;

/**
 * Writes one column's data section of a Native block. {@code source} is the Arrow column feeding it,
 * or null for columns filled from the row's origin.
 */
@FunctionalInterface
public interface ColumnWriter {

    void write(FieldVector source, int rows, RowOrigin origin, NativeWriter out);
}
