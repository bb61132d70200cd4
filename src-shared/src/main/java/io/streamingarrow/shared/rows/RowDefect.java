package io.streamingarrow.shared.rows;

/**
 * Why a row cannot be stored. Both consumers refuse the same rows, so that ClickHouse and PostgreSQL
 * never disagree about which rows exist: a value one store takes and the other cannot is refused by both.
 */
public enum RowDefect {

    /**
     * A timestamp before 1970-01-01T00:00:00Z or after 2106-02-07T06:28:15Z (whole seconds, any unit;
     * the stored number, as the decoder reads it): ClickHouse's {@code DateTime} (UInt32 seconds) cannot
     * hold it, and a row without its instant cannot be windowed either.
     */
    TIMESTAMP_OUT_OF_RANGE("row-timestamp-out-of-range"),

    /**
     * A string holding U+0000: PostgreSQL's {@code text} cannot hold it. ClickHouse could, but a row kept
     * in one store and refused by the other would make the stores disagree, so it is refused everywhere.
     */
    NUL_IN_STRING("row-nul-in-string"),

    /** A string value that is not well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, ≤ U+10FFFF). */
    INVALID_UTF8("row-invalid-utf8");

    private final String code;

    RowDefect(String code) {
        this.code = code;
    }

    /** The {@code dlq-reason} header value of a dead letter holding rows with this defect. */
    public String code() {
        return code;
    }
}
