package io.streamingarrow.shared.columns;

import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;

/** Reads any integer or floating-point column as double, for aggregation. */
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

    record Float32(Float4Vector vector) implements NumericColumn {
        public boolean isNull(int row) {
            return vector.isNull(row);
        }

        public double get(int row) {
            return vector.get(row);
        }
    }

    record Float64(Float8Vector vector) implements NumericColumn {
        public boolean isNull(int row) {
            return vector.isNull(row);
        }

        public double get(int row) {
            return vector.get(row);
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
