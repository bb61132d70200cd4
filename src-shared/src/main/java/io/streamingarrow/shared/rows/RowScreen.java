package io.streamingarrow.shared.rows;

import java.util.List;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.BaseVariableWidthViewVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ViewVarCharVector;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;

import io.streamingarrow.shared.contract.StoreLimits;

/**
 * Finds the rows of a decoded batch that the stores cannot hold, and why, so that a consumer can route
 * those rows to the dead-letter topic and keep their neighbours. Shared by the sink and the analyzer so
 * that both refuse exactly the same rows (see {@link RowDefect} for the rules).
 *
 * <p>Screened: every timestamp column (any unit, with or without a zone; the stored number, as the
 * decoder delivers it) and every Utf8, LargeUtf8 and Utf8View column, which includes dictionary-encoded
 * strings because {@link io.streamingarrow.shared.ipc.ArrowIpcDecoder} hands them over decoded. Null
 * values are never bad here (whether a column may be null is the store's schema's business). Nested
 * columns are not looked into.
 *
 * <p>Cost: no allocation at all for a batch without bad rows. Timestamps are one compare per row; string
 * columns are first checked as a whole, eight bytes at a time, and a column of ASCII without U+0000 (the
 * usual case) is done after that pass; otherwise each value is checked. Allocation starts with the first
 * bad row and is about 16 bytes per bad row.
 *
 * <p>Call it on a batch the decoder delivered: offsets and views are known to be sound by then (a batch
 * whose buffers are corrupt never reaches a handler, it refuses the whole message).
 */
public final class RowScreen {

    /**
     * The first second both stores hold, 1970-01-01T00:00:00Z: {@link StoreLimits}' range (the one the
     * producer refuses at ingest), in whole seconds so that it applies to every unit.
     */
    public static final long MIN_EPOCH_SECOND = Math.floorDiv(StoreLimits.MIN_TS_MICROS, 1_000_000L);
    /** The last second both stores hold, 2106-02-07T06:28:15Z (any fraction of it included). */
    public static final long MAX_EPOCH_SECOND = Math.floorDiv(StoreLimits.MAX_TS_MICROS, 1_000_000L);

    private static final long HIGH_BITS = 0x8080_8080_8080_8080L;
    private static final long LOW_BITS = 0x0101_0101_0101_0101L;

    private RowScreen() {
    }

    /**
     * The rows of {@code batch} that neither store may receive; {@link BadRows#NONE} (no allocation) when
     * every row is fine. The result stays valid after the batch is released.
     */
    public static BadRows screen(VectorSchemaRoot batch) {
        List<FieldVector> vectors = batch.getFieldVectors();
        int rows = batch.getRowCount();
        BadRows.Builder found = null;
        for (int column = 0; column < vectors.size(); column++) {
            FieldVector vector = vectors.get(column);
            if (vector instanceof TimeStampVector timestamps) {
                found = screenTimestamps(timestamps, rows, vectors, column, found);
            } else if (vector instanceof VarCharVector strings) {
                found = screenOffsetStrings(strings, strings.getOffsetBuffer(), Integer.BYTES, strings.getDataBuffer(),
                        rows, vectors, column, found);
            } else if (vector instanceof LargeVarCharVector strings) {
                found = screenOffsetStrings(strings, strings.getOffsetBuffer(), Long.BYTES, strings.getDataBuffer(),
                        rows, vectors, column, found);
            } else if (vector instanceof ViewVarCharVector strings) {
                found = screenViews(strings, rows, vectors, column, found);
            }
        }
        return found == null ? BadRows.NONE : found.build();
    }

    private static BadRows.Builder screenTimestamps(TimeStampVector vector, int rows, List<FieldVector> vectors, int column,
                                                    BadRows.Builder found) {
        long perSecond = unitsPerSecond(((ArrowType.Timestamp) vector.getField().getType()).getUnit());
        long lowest = MIN_EPOCH_SECOND * perSecond;
        long highest = (MAX_EPOCH_SECOND + 1) * perSecond - 1; // any fraction of the last second floors into it
        ArrowBuf data = vector.getDataBuffer();
        for (int row = 0; row < rows; row++) {
            long value = data.getLong((long) row * TimeStampVector.TYPE_WIDTH);
            // A null slot's value is whatever the writer left there: look at validity only when needed.
            if ((value < lowest || value > highest) && !vector.isNull(row)) {
                found = found(found, vectors, rows);
                found.add(row, RowDefect.TIMESTAMP_OUT_OF_RANGE, column, value);
            }
        }
        return found;
    }

    private static BadRows.Builder screenOffsetStrings(FieldVector vector, ArrowBuf offsets, int width, ArrowBuf data, int rows,
                                                       List<FieldVector> vectors, int column, BadRows.Builder found) {
        if (rows == 0) {
            return found;
        }
        if (isPlainAscii(data, offset(offsets, width, 0), offset(offsets, width, rows))) {
            return found;
        }
        for (int row = 0; row < rows; row++) {
            if (vector.isNull(row)) {
                continue;
            }
            long start = offset(offsets, width, row);
            found = check(data, start, offset(offsets, width, row + 1), row, vectors, column, rows, found);
        }
        return found;
    }

    private static BadRows.Builder screenViews(ViewVarCharVector vector, int rows, List<FieldVector> vectors, int column,
                                              BadRows.Builder found) {
        ArrowBuf views = vector.getDataBuffer();
        List<ArrowBuf> data = vector.getDataBuffers();
        for (int row = 0; row < rows; row++) {
            if (vector.isNull(row)) {
                continue;
            }
            long view = (long) row * BaseVariableWidthViewVector.ELEMENT_SIZE;
            int length = views.getInt(view);
            if (length <= BaseVariableWidthViewVector.INLINE_SIZE) {
                long start = view + BaseVariableWidthViewVector.LENGTH_WIDTH;
                found = check(views, start, start + length, row, vectors, column, rows, found);
            } else {
                long at = view + BaseVariableWidthViewVector.LENGTH_WIDTH + BaseVariableWidthViewVector.PREFIX_WIDTH;
                ArrowBuf buffer = data.get(views.getInt(at));
                long start = views.getInt(at + BaseVariableWidthViewVector.BUF_INDEX_WIDTH);
                found = check(buffer, start, start + length, row, vectors, column, rows, found);
            }
        }
        return found;
    }

    private static BadRows.Builder check(ArrowBuf data, long from, long to, int row, List<FieldVector> vectors, int column,
                                         int rows, BadRows.Builder found) {
        long verdict = firstDefect(data, from, to);
        if (verdict == NO_DEFECT) {
            return found;
        }
        BadRows.Builder result = found(found, vectors, rows);
        boolean nul = (verdict & NUL_FLAG) != 0;
        result.add(row, nul ? RowDefect.NUL_IN_STRING : RowDefect.INVALID_UTF8, column, verdict & ~NUL_FLAG);
        return result;
    }

    private static BadRows.Builder found(BadRows.Builder found, List<FieldVector> vectors, int rows) {
        if (found != null) {
            return found;
        }
        String[] names = new String[vectors.size()];
        String[] types = new String[vectors.size()];
        for (int i = 0; i < names.length; i++) {
            names[i] = vectors.get(i).getName();
            types[i] = typeText(vectors.get(i).getField().getType());
        }
        return new BadRows.Builder(names, types, rows);
    }

    static final long NO_DEFECT = -1;
    private static final long NUL_FLAG = 1L << 62;

    /**
     * The first defect of the value in {@code data[from, to)}: {@link #NO_DEFECT}; the byte index (from
     * {@code from}) where it stops being well-formed UTF-8; or the byte index of the first U+0000 with
     * {@link #NUL_FLAG} set, when the value is well-formed but holds U+0000. Malformed UTF-8 wins over
     * U+0000: it is the more basic fault.
     */
    static long firstDefect(ArrowBuf data, long from, long to) {
        long nulAt = NO_DEFECT;
        long at = from;
        while (at < to) {
            // Plain ASCII without U+0000, eight bytes at a time.
            if (at + Long.BYTES <= to) {
                long word = data.getLong(at);
                if (((word | ((word - LOW_BITS) & ~word)) & HIGH_BITS) == 0) {
                    at += Long.BYTES;
                    continue;
                }
            }
            int lead = data.getByte(at) & 0xFF;
            if (lead < 0x80) {
                if (lead == 0 && nulAt == NO_DEFECT) {
                    nulAt = at - from;
                }
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
                return at - from;
            }
            if (at + length > to) {
                return at - from;
            }
            int second = data.getByte(at + 1) & 0xFF;
            if (second < min || second > max) {
                return at - from;
            }
            for (int k = 2; k < length; k++) {
                int next = data.getByte(at + k) & 0xFF;
                if (next < 0x80 || next > 0xBF) {
                    return at - from;
                }
            }
            at += length;
        }
        return nulAt == NO_DEFECT ? NO_DEFECT : nulAt | NUL_FLAG;
    }

    /** Whether {@code data[from, to)} is all ASCII and free of zero bytes: then every value in it is fine. */
    private static boolean isPlainAscii(ArrowBuf data, long from, long to) {
        long at = from;
        long seen = 0;
        for (; at + Long.BYTES <= to; at += Long.BYTES) {
            long word = data.getLong(at);
            // High bit set: not ASCII; (word - 0x01..) & ~word has a high bit where a byte is zero.
            seen |= word | ((word - LOW_BITS) & ~word);
        }
        for (; at < to; at++) {
            byte b = data.getByte(at);
            if (b <= 0) {
                return false;
            }
        }
        return (seen & HIGH_BITS) == 0;
    }

    private static long offset(ArrowBuf offsets, int width, int i) {
        return width == Integer.BYTES ? offsets.getInt((long) i * width) : offsets.getLong((long) i * width);
    }

    static long unitsPerSecond(TimeUnit unit) {
        return switch (unit) {
            case SECOND -> 1L;
            case MILLISECOND -> 1_000L;
            case MICROSECOND -> 1_000_000L;
            case NANOSECOND -> 1_000_000_000L;
        };
    }

    /** Units per second of a {@link #typeText} of a timestamp; 0 for other types. */
    static long unitsPerSecond(String typeText) {
        if (!typeText.startsWith("timestamp[")) {
            return 0;
        }
        for (TimeUnit unit : TimeUnit.values()) {
            if (typeText.startsWith("timestamp[" + unitText(unit))
                    && (typeText.charAt(10 + unitText(unit).length()) == ']' || typeText.charAt(10 + unitText(unit).length()) == ',')) {
                return unitsPerSecond(unit);
            }
        }
        return 0;
    }

    private static String unitText(TimeUnit unit) {
        return switch (unit) {
            case SECOND -> "s";
            case MILLISECOND -> "ms";
            case MICROSECOND -> "us";
            case NANOSECOND -> "ns";
        };
    }

    private static String typeText(ArrowType type) {
        if (type instanceof ArrowType.Timestamp ts) {
            return "timestamp[" + unitText(ts.getUnit()) + (ts.getTimezone() == null ? "" : ", tz=" + ts.getTimezone()) + "]";
        }
        if (type instanceof ArrowType.Utf8) {
            return "utf8";
        }
        if (type instanceof ArrowType.LargeUtf8) {
            return "large_utf8";
        }
        if (type instanceof ArrowType.Utf8View) {
            return "utf8_view";
        }
        return type.toString();
    }
}
