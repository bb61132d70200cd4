package io.streamingarrow.shared.columns;

import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;

/**
 * Reads any integer or floating-point column as double, for aggregation. A reader is made per batch and used
 * while that batch is open.
 */
public sealed interface NumericColumn {

    boolean isNull(int row);

    double get(int row);

    static boolean supports(FieldVector vector) {
        return vector instanceof Float4Vector || vector instanceof Float8Vector || vector instanceof BaseIntVector;
    }

    static NumericColumn of(FieldVector vector) {
        if (vector instanceof Float4Vector v) {
            return new Float32(v);
        }
        if (vector instanceof Float8Vector v) {
            return new Float64(v);
        }
        if (vector instanceof BaseIntVector v) {
            return new Integer(v, vector);
        }
        throw new IllegalArgumentException("column '" + vector.getName() + "' of type "
                + vector.getField().getType() + " is not numeric");
    }

    /** Float32 values, read from the vector's memory ({@link FixedWidthReads}: only while the batch is open). */
    final class Float32 implements NumericColumn {
        private final FixedWidthReads reads;

        private Float32(Float4Vector vector) {
            this.reads = new FixedWidthReads(vector);
        }

        public boolean isNull(int row) {
            return reads.isNull(row);
        }

        public double get(int row) {
            return Float.intBitsToFloat(reads.int32(row));
        }
    }

    /** Float64 values, read from the vector's memory ({@link FixedWidthReads}: only while the batch is open). */
    final class Float64 implements NumericColumn {
        private final FixedWidthReads reads;

        private Float64(Float8Vector vector) {
            this.reads = new FixedWidthReads(vector);
        }

        public boolean isNull(int row) {
            return reads.isNull(row);
        }

        public double get(int row) {
            return Double.longBitsToDouble(reads.int64(row));
        }
    }

    record Integer(BaseIntVector ints, FieldVector vector) implements NumericColumn {
        public boolean isNull(int row) {
            return vector.isNull(row);
        }

        public double get(int row) {
            return ints.getValueAsLong(row);
        }
    }
}
