package io.streamingarrow.shared.columns;

import java.nio.charset.StandardCharsets;

import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.ViewVarCharVector;
import org.apache.arrow.vector.util.ReusableByteArray;

/**
 * Read access to a string column whatever physical type the writer chose: Utf8, LargeUtf8 or Utf8View
 * (dictionary columns arrive decoded from {@link io.streamingarrow.shared.ipc.ArrowIpcDecoder}).
 */
public sealed interface StringColumn {

    boolean isNull(int row);

    /** The value's UTF-8 bytes (a fresh array); null for a null value. */
    byte[] utf8(int row);

    /**
     * Copies the value's UTF-8 bytes into {@code into} (its first {@code getLength()} bytes), reusing its
     * array: the allocation-free read for hot loops. The row must not be null.
     */
    void read(int row, ReusableByteArray into);

    default String get(int row) {
        byte[] bytes = utf8(row);
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }

    /** Whether {@code vector} is one of the string types this interface reads. */
    static boolean supports(FieldVector vector) {
        return vector instanceof VarCharVector || vector instanceof LargeVarCharVector || vector instanceof ViewVarCharVector;
    }

    static StringColumn of(FieldVector vector) {
        if (vector instanceof VarCharVector v) {
            return new Utf8(v);
        }
        if (vector instanceof LargeVarCharVector v) {
            return new LargeUtf8(v);
        }
        if (vector instanceof ViewVarCharVector v) {
            return new Utf8View(v);
        }
        throw new IllegalArgumentException("column '" + vector.getName() + "' of type "
                + vector.getField().getType() + " is not a string column");
    }

    record Utf8(VarCharVector vector) implements StringColumn {
        public boolean isNull(int row) {
            return vector.isNull(row);
        }

        public byte[] utf8(int row) {
            return vector.get(row);
        }

        public void read(int row, ReusableByteArray into) {
            vector.read(row, into);
        }
    }

    record LargeUtf8(LargeVarCharVector vector) implements StringColumn {
        public boolean isNull(int row) {
            return vector.isNull(row);
        }

        public byte[] utf8(int row) {
            return vector.get(row);
        }

        public void read(int row, ReusableByteArray into) {
            vector.read(row, into);
        }
    }

    record Utf8View(ViewVarCharVector vector) implements StringColumn {
        public boolean isNull(int row) {
            return vector.isNull(row);
        }

        public byte[] utf8(int row) {
            return vector.get(row);
        }

        public void read(int row, ReusableByteArray into) {
            vector.read(row, into);
        }
    }
}
