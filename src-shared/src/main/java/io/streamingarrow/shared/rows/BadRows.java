package io.streamingarrow.shared.rows;

import java.time.Instant;
import java.util.Arrays;

/**
 * The rows of one batch that {@link RowScreen} refused, in ascending row order, each with the first
 * defect found (columns are screened left to right) and the column holding it. Immutable; allocated only
 * for a batch that has bad rows ({@link #NONE} otherwise): about 16 bytes per bad row.
 */
public final class BadRows {

    /** A batch without bad rows. */
    public static final BadRows NONE = new BadRows(new String[0], new String[0], new int[0], new int[0], new long[0], new long[0]);

    private static final RowDefect[] DEFECTS = RowDefect.values();

    /** The batch's column names and type texts, by column index. */
    private final String[] columnNames;
    private final String[] columnTypes;
    private final int[] rows;
    /** Per bad row: defect ordinal << 24 | column index. */
    private final int[] kinds;
    /** Per bad row: the timestamp's raw value, or the index of the offending byte within the string value. */
    private final long[] values;
    private final long[] bits;

    private BadRows(String[] columnNames, String[] columnTypes, int[] rows, int[] kinds, long[] values, long[] bits) {
        this.columnNames = columnNames;
        this.columnTypes = columnTypes;
        this.rows = rows;
        this.kinds = kinds;
        this.values = values;
        this.bits = bits;
    }

    public boolean isEmpty() {
        return rows.length == 0;
    }

    /** How many rows of the batch are bad. */
    public int count() {
        return rows.length;
    }

    /** The row index within the batch of the {@code i}-th bad row ({@code 0 <= i < count()}); ascending in i. */
    public int row(int i) {
        return rows[i];
    }

    public RowDefect defect(int i) {
        return DEFECTS[kinds[i] >>> 24];
    }

    /** The name of the column where the {@code i}-th bad row's defect was found. */
    public String column(int i) {
        return columnNames[kinds[i] & 0xFFFFFF];
    }

    /** Whether row {@code row} of the batch is bad: constant time, no allocation. */
    public boolean isBad(int row) {
        int word = row >>> 6;
        return word < bits.length && (bits[word] & (1L << row)) != 0;
    }

    /**
     * The {@code i}-th bad row's defect for people, without the row number (the caller knows which
     * numbering it reports), e.g. {@code column 'ts' (timestamp[us]): 253402300800000000
     * (+10000-01-01T00:00:00Z) is outside 1970-01-01T00:00:00Z..2106-02-07T06:28:15Z}.
     */
    public String describe(int i) {
        int column = kinds[i] & 0xFFFFFF;
        String where = "column '" + columnNames[column] + "' (" + columnTypes[column] + "): ";
        return switch (defect(i)) {
            case TIMESTAMP_OUT_OF_RANGE -> where + values[i] + instant(values[i], columnTypes[column]) + " is outside "
                    + Instant.ofEpochSecond(RowScreen.MIN_EPOCH_SECOND) + ".." + Instant.ofEpochSecond(RowScreen.MAX_EPOCH_SECOND);
            case NUL_IN_STRING -> where + "U+0000 at byte " + values[i] + " of the value";
            case INVALID_UTF8 -> where + "not well-formed UTF-8 at byte " + values[i] + " of the value";
        };
    }

    private static String instant(long raw, String type) {
        long perSecond = RowScreen.unitsPerSecond(type);
        if (perSecond <= 0) {
            return "";
        }
        try {
            return " (" + Instant.ofEpochSecond(Math.floorDiv(raw, perSecond),
                    Math.floorMod(raw, perSecond) * (1_000_000_000L / perSecond)) + ")";
        } catch (RuntimeException e) {
            return ""; // beyond what Instant can show
        }
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder("BadRows[");
        for (int i = 0; i < Math.min(rows.length, 10); i++) {
            text.append(i == 0 ? "" : "; ").append("row ").append(rows[i]).append(' ').append(defect(i).code()).append(": ")
                    .append(describe(i));
        }
        return text.append(rows.length > 10 ? "; … " + rows.length + " in all]" : "]").toString();
    }

    /** Collects findings while screening: at most one per row (the first), sorted by row at the end. */
    static final class Builder {
        private final String[] columnNames;
        private final String[] columnTypes;
        private final long[] bits;
        /** row << 32 | finding index, so that sorting orders by row. */
        private long[] keys = new long[16];
        private int[] kinds = new int[16];
        private long[] values = new long[16];
        private int size;

        Builder(String[] columnNames, String[] columnTypes, int batchRows) {
            this.columnNames = columnNames;
            this.columnTypes = columnTypes;
            this.bits = new long[(batchRows + 63) >>> 6];
        }

        void add(int row, RowDefect defect, int column, long value) {
            long bit = 1L << row;
            if ((bits[row >>> 6] & bit) != 0) {
                return; // an earlier column already refused this row
            }
            bits[row >>> 6] |= bit;
            if (size == keys.length) {
                int grown = size * 2;
                keys = Arrays.copyOf(keys, grown);
                kinds = Arrays.copyOf(kinds, grown);
                values = Arrays.copyOf(values, grown);
            }
            keys[size] = ((long) row << 32) | size;
            kinds[size] = defect.ordinal() << 24 | column;
            values[size] = value;
            size++;
        }

        BadRows build() {
            long[] sorted = Arrays.copyOf(keys, size);
            Arrays.sort(sorted);
            int[] rows = new int[size];
            int[] k = new int[size];
            long[] v = new long[size];
            for (int i = 0; i < size; i++) {
                int at = (int) sorted[i];
                rows[i] = (int) (sorted[i] >>> 32);
                k[i] = kinds[at];
                v[i] = values[at];
            }
            return new BadRows(columnNames, columnTypes, rows, k, v, bits);
        }
    }
}
