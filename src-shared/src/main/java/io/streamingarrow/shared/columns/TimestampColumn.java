package io.streamingarrow.shared.columns;

import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.types.pojo.ArrowType;

/**
 * Reads a timestamp column of any unit, with or without a time zone, as microseconds since the epoch
 * (UTC). Arrow timestamps with a zone are stored as UTC instants and those without as wall-clock
 * values; both are read as the stored number, which is what the seed's writer means. A reader is made per
 * batch and used while that batch is open ({@link FixedWidthReads}).
 */
public final class TimestampColumn {

    private final FixedWidthReads reads;
    private final long multiplier;
    private final long divisor;

    private TimestampColumn(TimeStampVector vector) {
        this.reads = new FixedWidthReads(vector);
        ArrowType.Timestamp type = (ArrowType.Timestamp) vector.getField().getType();
        switch (type.getUnit()) {
            case SECOND -> { multiplier = 1_000_000; divisor = 1; }
            case MILLISECOND -> { multiplier = 1_000; divisor = 1; }
            case MICROSECOND -> { multiplier = 1; divisor = 1; }
            case NANOSECOND -> { multiplier = 1; divisor = 1_000; }
            default -> throw new IllegalArgumentException("unknown time unit " + type.getUnit());
        }
    }

    public static boolean supports(FieldVector vector) {
        return vector instanceof TimeStampVector;
    }

    public static TimestampColumn of(FieldVector vector) {
        if (vector instanceof TimeStampVector timestamps) {
            return new TimestampColumn(timestamps);
        }
        throw new IllegalArgumentException("column '" + vector.getName() + "' of type "
                + vector.getField().getType() + " is not a timestamp column");
    }

    public boolean isNull(int row) {
        return reads.isNull(row);
    }

    /** Microseconds since the epoch; nanoseconds round toward negative infinity. */
    public long micros(int row) {
        long raw = reads.int64(row);
        return divisor == 1 ? Math.multiplyExact(raw, multiplier) : Math.floorDiv(raw, divisor);
    }

    /** The value in the column's own unit, untouched. */
    public long raw(int row) {
        return reads.int64(row);
    }
}
