package io.streamingarrow.shared.ipc;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.BaseLargeVariableWidthVector;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.util.ValueVectorUtility;

/**
 * Checks a decoded batch before anyone reads it: what {@code ValueVectorUtility.validateFull} checks,
 * with the string columns done here. Arrow Java's full validation of a string column boxes an Integer
 * and builds an error message for every value, which was a fifth of the sink's CPU; the checks below
 * are the same (buffers large enough, offsets start at or above zero and never decrease, every
 * non-null value is well-formed UTF-8) without a per-value allocation, and all-ASCII data, the usual
 * case, is checked eight bytes at a time. Every other vector goes through {@code validateFull}.
 */
final class BatchValidator {

    private static final long HIGH_BITS = 0x8080808080808080L;

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
            checkStrings(strings, strings.getOffsetBuffer(), BaseVariableWidthVector.OFFSET_WIDTH, strings.getDataBuffer());
        } else if (vector instanceof LargeVarCharVector strings) {
            checkStrings(strings, strings.getOffsetBuffer(), BaseLargeVariableWidthVector.OFFSET_WIDTH,
                    strings.getDataBuffer());
        } else {
            ValueVectorUtility.validateFull(vector);
        }
    }

    /** Offset {@code i} of a Utf8 (4-byte offsets) or LargeUtf8 (8-byte offsets) column. */
    private static long offset(ArrowBuf offsets, int width, int i) {
        return width == Integer.BYTES ? offsets.getInt((long) i * width) : offsets.getLong((long) i * width);
    }

    private static void checkStrings(ValueVector vector, ArrowBuf offsets, int width, ArrowBuf data) {
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
        long last = previous;
        if (last > data.capacity()) {
            throw invalid(vector, "its offsets point past its data (" + last + " > " + data.capacity() + ")");
        }
        if (isAscii(data, first, last)) {
            return;
        }
        for (int i = 0; i < count; i++) {
            if (!vector.isNull(i) && !isUtf8(data, offset(offsets, width, i), offset(offsets, width, i + 1))) {
                throw invalid(vector, "value " + i + " is not valid UTF-8");
            }
        }
    }

    private static boolean isAscii(ArrowBuf data, long from, long to) {
        long at = from;
        for (; at + Long.BYTES <= to; at += Long.BYTES) {
            if ((data.getLong(at) & HIGH_BITS) != 0) {
                return false;
            }
        }
        for (; at < to; at++) {
            if (data.getByte(at) < 0) {
                return false;
            }
        }
        return true;
    }

    /** Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF. */
    static boolean isUtf8(ArrowBuf data, long from, long to) {
        long at = from;
        while (at < to) {
            int lead = data.getByte(at) & 0xFF;
            if (lead < 0x80) {
                at++;
                continue;
            }
            int length;
            int min;
            int max;
            if (lead >= 0xC2 && lead <= 0xDF) {
                length = 2;
                min = 0x80;
                max = 0xBF;
            } else if (lead >= 0xE0 && lead <= 0xEF) {
                length = 3;
                min = lead == 0xE0 ? 0xA0 : 0x80; // overlong below U+0800
                max = lead == 0xED ? 0x9F : 0xBF; // surrogates U+D800..U+DFFF
            } else if (lead >= 0xF0 && lead <= 0xF4) {
                length = 4;
                min = lead == 0xF0 ? 0x90 : 0x80; // overlong below U+10000
                max = lead == 0xF4 ? 0x8F : 0xBF; // above U+10FFFF
            } else {
                return false;
            }
            if (at + length > to) {
                return false;
            }
            int second = data.getByte(at + 1) & 0xFF;
            if (second < min || second > max) {
                return false;
            }
            for (int k = 2; k < length; k++) {
                int next = data.getByte(at + k) & 0xFF;
                if (next < 0x80 || next > 0xBF) {
                    return false;
                }
            }
            at += length;
        }
        return true;
    }

    private static IllegalArgumentException invalid(ValueVector vector, String what) {
        return new IllegalArgumentException("column '" + vector.getField().getName() + "': " + what);
    }
}
