package io.streamingarrow.shared.contract;

/**
 * What both stores can hold, so that every service refuses the same rows: a row outside these limits
 * cannot land in ClickHouse {@code sensor_readings} or in PostgreSQL, and accepting it would only move
 * the failure downstream, where it costs a whole message.
 *
 * <ul>
 *   <li>{@code ts}: ClickHouse {@code DateTime} is UInt32 seconds, 1970-01-01T00:00:00Z ..
 *       2106-02-07T06:28:15Z (the sink floors microseconds to seconds); PostgreSQL's {@code timestamptz}
 *       (4713 BC .. 294276 AD) holds all of it, so the intersection is ClickHouse's range.</li>
 *   <li>text: PostgreSQL {@code text} cannot hold U+0000, and a UTF-8 database refuses invalid UTF-8.</li>
 * </ul>
 */
public final class StoreLimits {

    /** 1970-01-01T00:00:00Z, the first instant ClickHouse DateTime holds. */
    public static final long MIN_TS_MICROS = 0L;

    /** 2106-02-07T06:28:15.999999Z: the last microsecond whose second (floored) fits DateTime's UInt32. */
    public static final long MAX_TS_MICROS = 0xFFFF_FFFFL * 1_000_000L + 999_999L;

    /** The one character PostgreSQL text cannot hold. */
    public static final char FORBIDDEN_TEXT_CHAR = '\u0000';

    private StoreLimits() {
    }

    public static boolean tsInRange(long tsMicros) {
        return tsMicros >= MIN_TS_MICROS && tsMicros <= MAX_TS_MICROS;
    }

    public static boolean textStorable(CharSequence text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == FORBIDDEN_TEXT_CHAR) {
                return false;
            }
        }
        return true;
    }
}
