package io.streamingarrow.analyzer.windowing;

/**
 * Why the analyzer refuses a single row (and dead-letters it) while windowing the rest of its message: a
 * row it cannot store, or whose time is implausible, must not cost more than itself. In particular no
 * single row may move the watermark, and with it what is final, past what is plausible.
 *
 * <p>The range rule is the stores' (ClickHouse {@code DateTime}, UInt32 seconds). src-shared is getting a
 * shared row screen with the same limits (branch bad-rows, not on main when this was written): these
 * constants are the analyzer's local copy of that rule and its {@code dlq-reason} codes.
 */
public enum RowRefusal {

    /** {@code ts} before 1970-01-01T00:00:00Z or after 2106-02-07T06:28:15Z. */
    TIMESTAMP_OUT_OF_RANGE("row-timestamp-out-of-range"),

    /** {@code ts} further ahead of the analyzer's wall clock than {@code analyzer.window.max-future-skew}. */
    TIMESTAMP_IN_FUTURE("row-timestamp-in-future"),

    /** The device name holds U+0000, which PostgreSQL's {@code text} cannot store. */
    NUL_IN_DEVICE("row-nul-in-string");

    /** The first instant the stores hold, in µs since the epoch. */
    public static final long MIN_TS_MICROS = 0L;
    /** The last instant the stores hold (2106-02-07T06:28:15.999999Z), in µs since the epoch. */
    public static final long MAX_TS_MICROS = (0xFFFF_FFFFL + 1) * 1_000_000L - 1;

    private final String code;

    RowRefusal(String code) {
        this.code = code;
    }

    /** The {@code dlq-reason} of a dead letter holding rows refused for this. */
    public String code() {
        return code;
    }
}
