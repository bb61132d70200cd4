package io.streamingarrow.shared.ipc;

import java.util.List;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.BaseLargeVariableWidthVector;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.BaseVariableWidthViewVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ViewVarCharVector;
import org.apache.arrow.vector.util.ValueVectorUtility;

/**
 * Checks a decoded batch before anyone reads it: what {@code ValueVectorUtility.validateFull} checks,
 * with the string columns done here and without their values' UTF-8. Arrow Java's full validation of a
 * string column boxes an Integer and builds an error message for every value, which was a fifth of the
 * sink's CPU; the checks below are the structural ones (buffers large enough, offsets start at or above
 * zero and never decrease and stay inside the data; a Utf8View's views point inside its data buffers)
 * without a per-value allocation. Every other vector goes through {@code validateFull}.
 *
 * <p>Whether a value is well-formed UTF-8 is not checked here: a bad value costs its row, not the
 * message, and {@link io.streamingarrow.shared.rows.RowScreen} finds those rows once the batch is known
 * to be readable. What fails here makes the whole message unreadable.
 */
final class BatchValidator {

    private BatchValidator() {
    }

    static void validate(VectorSchemaRoot root) {
        // Structure first (every vector holds the root's row count, buffers large enough for it and, for
        // strings, for the last offset): cheap, and what the per-value checks below rely on.
        ValueVectorUtility.validate(root);
        for (FieldVector vector : root.getFieldVectors()) {
            validate(vector);
        }
    }

    private static void validate(ValueVector vector) {
        if (vector instanceof VarCharVector strings) {
            checkOffsets(strings, strings.getOffsetBuffer(), BaseVariableWidthVector.OFFSET_WIDTH, strings.getDataBuffer());
        } else if (vector instanceof LargeVarCharVector strings) {
            checkOffsets(strings, strings.getOffsetBuffer(), BaseLargeVariableWidthVector.OFFSET_WIDTH,
                    strings.getDataBuffer());
        } else if (vector instanceof ViewVarCharVector views) {
            checkViews(views);
        } else {
            ValueVectorUtility.validateFull(vector);
        }
    }

    /** Offset {@code i} of a Utf8 (4-byte offsets) or LargeUtf8 (8-byte offsets) column. */
    private static long offset(ArrowBuf offsets, int width, int i) {
        return width == Integer.BYTES ? offsets.getInt((long) i * width) : offsets.getLong((long) i * width);
    }

    private static void checkOffsets(ValueVector vector, ArrowBuf offsets, int width, ArrowBuf data) {
        int count = vector.getValueCount();
        if (count == 0) {
            return; // a column without values may have no offset buffer at all
        }
        long first = offset(offsets, width, 0);
        if (first < 0) {
            throw invalid(vector, "its first offset is negative (" + first + ")");
        }
        long previous = first;
        for (int i = 0; i < count; i++) {
            long next = offset(offsets, width, i + 1);
            if (next < previous) {
                throw invalid(vector, "its offsets decrease at value " + i);
            }
            previous = next;
        }
        if (previous > data.capacity()) {
            throw invalid(vector, "its offsets point past its data (" + previous + " > " + data.capacity() + ")");
        }
    }

    /**
     * Every non-null view of a Utf8View column: a length of zero or more, inline (at most 12 bytes) or
     * pointing inside one of the column's data buffers. Null slots are nobody's value and not read, as in
     * Arrow's own check.
     */
    private static void checkViews(ViewVarCharVector vector) {
        int count = vector.getValueCount();
        ArrowBuf views = vector.getDataBuffer();
        List<ArrowBuf> data = vector.getDataBuffers();
        for (int i = 0; i < count; i++) {
            if (vector.isNull(i)) {
                continue;
            }
            long view = (long) i * BaseVariableWidthViewVector.ELEMENT_SIZE;
            int length = views.getInt(view);
            if (length < 0) {
                throw invalid(vector, "value " + i + " has a negative length (" + length + ")");
            }
            if (length <= BaseVariableWidthViewVector.INLINE_SIZE) {
                continue;
            }
            int buffer = views.getInt(view + BaseVariableWidthViewVector.LENGTH_WIDTH + BaseVariableWidthViewVector.PREFIX_WIDTH);
            int start = views.getInt(view + BaseVariableWidthViewVector.LENGTH_WIDTH + BaseVariableWidthViewVector.PREFIX_WIDTH
                    + BaseVariableWidthViewVector.BUF_INDEX_WIDTH);
            if (buffer < 0 || buffer >= data.size()) {
                throw invalid(vector, "value " + i + " refers to data buffer " + buffer + " of " + data.size());
            }
            if (start < 0 || (long) start + length > data.get(buffer).capacity()) {
                throw invalid(vector, "value " + i + " points outside its data buffer (" + start + "+" + length
                        + " > " + data.get(buffer).capacity() + ")");
            }
        }
    }

    private static IllegalArgumentException invalid(ValueVector vector, String what) {
        return new IllegalArgumentException("column '" + vector.getField().getName() + "': " + what);
    }
}
