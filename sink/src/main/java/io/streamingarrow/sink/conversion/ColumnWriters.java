package io.streamingarrow.sink.conversion;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;

import io.streamingarrow.shared.columns.StringColumn;
import io.streamingarrow.sink.clickhouse.NativeWriter;

/**
 * The Native encodings of Arrow columns. Fixed-width columns of the same physical type are copied
 * buffer to buffer (Arrow and Native are both little-endian); everything else is converted per row.
 * Null slots of Nullable columns get the type's default value, as the server's own writer does.
 */
public final class ColumnWriters {

    private ColumnWriters() {
    }

    /** {@code Nullable(T)}: a UInt8 null map (1 = null), then T's data for every row. */
    public static ColumnWriter nullable(ColumnWriter values) {
        return (source, rows, origin, out) -> {
            for (int row = 0; row < rows; row++) {
                out.int8(source != null && source.isNull(row) ? 1 : 0);
            }
            values.write(source, rows, origin, out);
        };
    }

    /** Same-width copy of an Arrow fixed-width data buffer. */
    public static ColumnWriter copy(int width) {
        return (source, rows, origin, out) -> out.bytes(((BaseFixedWidthVector) source).getDataBuffer(), 0, rows * width);
    }

    /** An Arrow integer (or bool) column widened into an integer of {@code width} bytes. */
    public static ColumnWriter integer(ArrowType.Int arrowType, int width) {
        int bytes = arrowType.getBitWidth() / 8;
        boolean signed = arrowType.getIsSigned();
        if (bytes == width) {
            return copy(width);
        }
        return (source, rows, origin, out) -> {
            ArrowBuf data = ((BaseFixedWidthVector) source).getDataBuffer();
            for (int row = 0; row < rows; row++) {
                out.fixed(readInt(data, row, bytes, signed), width);
            }
        };
    }

    public static ColumnWriter bool(int width) {
        return (source, rows, origin, out) -> {
            BitVector bits = (BitVector) source;
            for (int row = 0; row < rows; row++) {
                out.fixed(bits.isNull(row) ? 0 : bits.get(row), width);
            }
        };
    }

    /** An Arrow integer column into Float64 (exact for up to 32-bit integers). */
    public static ColumnWriter integerToFloat64(ArrowType.Int arrowType) {
        int bytes = arrowType.getBitWidth() / 8;
        boolean signed = arrowType.getIsSigned();
        return (source, rows, origin, out) -> {
            ArrowBuf data = ((BaseFixedWidthVector) source).getDataBuffer();
            for (int row = 0; row < rows; row++) {
                out.float64(readInt(data, row, bytes, signed));
            }
        };
    }

    public static ColumnWriter float32ToFloat64() {
        return (source, rows, origin, out) -> {
            Float4Vector floats = (Float4Vector) source;
            ArrowBuf data = floats.getDataBuffer();
            for (int row = 0; row < rows; row++) {
                out.float64(data.getFloat((long) row * 4));
            }
        };
    }

    static long readInt(ArrowBuf data, int row, int bytes, boolean signed) {
        long index = (long) row * bytes;
        return switch (bytes) {
            case 1 -> signed ? data.getByte(index) : data.getByte(index) & 0xFFL;
            case 2 -> signed ? data.getShort(index) : data.getShort(index) & 0xFFFFL;
            case 4 -> signed ? data.getInt(index) : data.getInt(index) & 0xFFFFFFFFL;
            case 8 -> data.getLong(index);
            default -> throw new IllegalArgumentException("integer width " + bytes);
        };
    }

    /** String: varint length and bytes per row; null rows are empty strings. */
    public static ColumnWriter string() {
        return (source, rows, origin, out) -> {
            if (source instanceof VarCharVector utf8) {
                ArrowBuf offsets = utf8.getOffsetBuffer();
                ArrowBuf data = utf8.getDataBuffer();
                for (int row = 0; row < rows; row++) {
                    if (utf8.isNull(row)) {
                        out.varUInt(0);
                        continue;
                    }
                    int start = offsets.getInt((long) row * 4);
                    int end = offsets.getInt((long) (row + 1) * 4);
                    out.string(data, start, end - start);
                }
                return;
            }
            StringColumn strings = StringColumn.of(source);
            for (int row = 0; row < rows; row++) {
                byte[] value = strings.utf8(row);
                out.string(value == null ? new byte[0] : value);
            }
        };
    }

    /**
     * {@code LowCardinality(String)} / {@code LowCardinality(Nullable(String))} as the server writes them in
     * Native (checked byte for byte against 18.16): UInt64 key version 1 (shared dictionaries with
     * additional keys), UInt64 flags (index width | HasAdditionalKeys | NeedUpdateDictionary), UInt64 key
     * count, the keys as plain String, UInt64 row count, then the indexes. Key 0 is the default value "";
     * for the Nullable variant key 0 stands for NULL and key 1 is the default "".
     */
    public static ColumnWriter lowCardinalityString(boolean nullable) {
        return (source, rows, origin, out) -> {
            StringColumn strings = StringColumn.of(source);
            Map<ByteBuffer, Integer> ids = new HashMap<>();
            java.util.List<byte[]> keys = new java.util.ArrayList<>();
            if (nullable) {
                keys.add(new byte[0]); // NULL
            }
            ids.put(ByteBuffer.wrap(new byte[0]), keys.size());
            keys.add(new byte[0]);
            int[] indexes = new int[rows];
            for (int row = 0; row < rows; row++) {
                byte[] value = strings.utf8(row);
                if (value == null) {
                    indexes[row] = nullable ? 0 : ids.get(ByteBuffer.wrap(new byte[0]));
                    continue;
                }
                final byte[] key = value;
                indexes[row] = ids.computeIfAbsent(ByteBuffer.wrap(key), k -> {
                    keys.add(key);
                    return keys.size() - 1;
                });
            }
            int indexWidthCode;
            int indexWidth;
            if (keys.size() <= 0xFF + 1) {
                indexWidthCode = 0;
                indexWidth = 1;
            } else if (keys.size() <= 0xFFFF + 1) {
                indexWidthCode = 1;
                indexWidth = 2;
            } else {
                indexWidthCode = 2;
                indexWidth = 4;
            }
            out.int64(1); // KeysSerializationVersion::SharedDictionariesWithAdditionalKeys
            out.int64(indexWidthCode | (1L << 9) | (1L << 10)); // HasAdditionalKeysBit | NeedUpdateDictionary
            out.int64(keys.size());
            for (byte[] key : keys) {
                out.string(key);
            }
            out.int64(rows);
            for (int index : indexes) {
                out.fixed(index, indexWidth);
            }
        };
    }

    private static long unitsPerSecond(TimeStampVector vector) {
        TimeUnit unit = ((ArrowType.Timestamp) vector.getField().getType()).getUnit();
        return switch (unit) {
            case SECOND -> 1L;
            case MILLISECOND -> 1_000L;
            case MICROSECOND -> 1_000_000L;
            case NANOSECOND -> 1_000_000_000L;
        };
    }

    /** Converts {@code raw} in units of 1/{@code from} second into units of 1/{@code to} second, flooring. */
    static long rescale(long raw, long from, long to) {
        if (from == to) {
            return raw;
        }
        return to > from ? Math.multiplyExact(raw, to / from) : Math.floorDiv(raw, from / to);
    }

    /** DateTime: UInt32 seconds since the epoch; values outside 1970..2106 refuse the message. */
    public static ColumnWriter dateTime() {
        return (source, rows, origin, out) -> {
            TimeStampVector ts = (TimeStampVector) source;
            long per = unitsPerSecond(ts);
            for (int row = 0; row < rows; row++) {
                if (ts.isNull(row)) {
                    out.int32(0);
                    continue;
                }
                long seconds = Math.floorDiv(ts.get(row), per);
                if (seconds < 0 || seconds > 0xFFFFFFFFL) {
                    throw new ConversionRefusedException(ConversionRefusedException.Reason.VALUE_OUT_OF_RANGE,
                            "column '" + ts.getName() + "' row " + row + " is outside DateTime's range (1970..2106)");
                }
                out.int32((int) seconds);
            }
        };
    }

    /**
     * An epoch count in units of 1/{@code unitsPerSecond} second as a fixed integer of {@code width}
     * bytes: DateTime64(p) (Int64 scaled by 10^p) or a plain integer epoch column.
     */
    public static ColumnWriter epoch(long targetUnitsPerSecond, int width) {
        return (source, rows, origin, out) -> {
            TimeStampVector ts = (TimeStampVector) source;
            long per = unitsPerSecond(ts);
            for (int row = 0; row < rows; row++) {
                long value;
                try {
                    value = ts.isNull(row) ? 0 : rescale(ts.get(row), per, targetUnitsPerSecond);
                } catch (ArithmeticException e) {
                    throw new ConversionRefusedException(ConversionRefusedException.Reason.VALUE_OUT_OF_RANGE,
                            "column '" + ts.getName() + "' row " + row + " overflows at 1/" + targetUnitsPerSecond + " s");
                }
                if (width == 4 && (value < Integer.MIN_VALUE || value > 0xFFFFFFFFL)) {
                    throw new ConversionRefusedException(ConversionRefusedException.Reason.VALUE_OUT_OF_RANGE,
                            "column '" + ts.getName() + "' row " + row + " does not fit 32 bits");
                }
                out.fixed(value, width);
            }
        };
    }

    public static ColumnWriter partition(int width) {
        return (source, rows, origin, out) -> {
            for (int row = 0; row < rows; row++) {
                out.fixed(origin.partition(), width);
            }
        };
    }

    public static ColumnWriter offset(int width) {
        return (source, rows, origin, out) -> {
            for (int row = 0; row < rows; row++) {
                out.fixed(origin.offset(), width);
            }
        };
    }

    public static ColumnWriter rowIndex(int width) {
        return (source, rows, origin, out) -> {
            for (int row = 0; row < rows; row++) {
                out.fixed(origin.rowIndex(row), width);
            }
        };
    }

    /** Whether {@code vector} is fed by {@link #float32ToFloat64()} or a Float64 copy. */
    static boolean isFloat(FieldVector vector) {
        return vector instanceof Float4Vector || vector instanceof Float8Vector;
    }
}
