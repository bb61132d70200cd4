package io.streamingarrow.shared.columns;

import java.util.Objects;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.util.MemoryUtil;
import org.apache.arrow.vector.BaseFixedWidthVector;

/**
 * Reads of a fixed-width vector's values and validity bits straight from its memory, for the per-row loops
 * of the consumers.
 *
 * <p>Why: each {@code Float4Vector.get} or {@code isNull} goes through Arrow's checks (the buffer's reference
 * count, a volatile read, then its bounds, then the validity bit again inside {@code get}): about a tenth of
 * the analyzer's CPU while it drained a topic (deploy/bench, async-profiler). Here the buffers' sizes are
 * checked once, against the vector's value count, and each read checks only its row against that count.
 *
 * <p>The addresses are those of the vector's buffers when this was made: use it only while the batch it
 * reads is open and unchanged (within the decode callback that handed the batch over).
 */
final class FixedWidthReads {

    private final long values;
    private final long validity; // 0 when the column holds no null
    private final int count;
    private final int width;

    FixedWidthReads(BaseFixedWidthVector vector) {
        this.count = vector.getValueCount();
        this.width = vector.getTypeWidth();
        this.values = address(vector, vector.getDataBuffer(), (long) count * width);
        this.validity = count == 0 || vector.getNullCount() == 0 ? 0
                : address(vector, vector.getValidityBuffer(), (count + 7L) / 8);
    }

    private static long address(BaseFixedWidthVector vector, ArrowBuf buffer, long needed) {
        if (needed == 0) {
            return 0;
        }
        if (buffer == null || buffer.capacity() < needed) {
            throw new IllegalArgumentException("column '" + vector.getName() + "': a buffer of "
                    + (buffer == null ? 0 : buffer.capacity()) + " bytes cannot hold " + needed);
        }
        return buffer.memoryAddress();
    }

    boolean isNull(int row) {
        Objects.checkIndex(row, count);
        return validity != 0 && (MemoryUtil.getByte(validity + (row >>> 3)) & (1 << (row & 7))) == 0;
    }

    /** The 4-byte value of a row (a float's bits for a Float32 column). */
    int int32(int row) {
        Objects.checkIndex(row, count);
        return MemoryUtil.getInt(values + (long) row * width);
    }

    /** The 8-byte value of a row (a double's bits for a Float64 column). */
    long int64(int row) {
        Objects.checkIndex(row, count);
        return MemoryUtil.getLong(values + (long) row * width);
    }
}
