package io.streamingarrow.analyzer.windowing;

import io.streamingarrow.shared.contract.StoreLimits;
import io.streamingarrow.shared.rows.RowDefect;

/**
 * Why the analyzer refuses a single row (and dead-letters it) while windowing the rest of its message: a
 * row it cannot store, or whose time is implausible, must not cost more than itself. In particular no
 * single row may move the watermark, and with it what is final, past what is plausible.
 *
 * <p>The range rule is the stores' ({@link StoreLimits}, shared with the producer and the sink, so that
 * every service refuses the same rows); this enum only names the analyzer's {@code dlq-reason} codes.
 */
public enum RowRefusal {

    /** {@code ts} before 1970-01-01T00:00:00Z or after 2106-02-07T06:28:15Z. */
    TIMESTAMP_OUT_OF_RANGE("row-timestamp-out-of-range"),

    /** {@code ts} further ahead of the analyzer's wall clock than {@code analyzer.window.max-future-skew}. */
    TIMESTAMP_IN_FUTURE("row-timestamp-in-future"),

    /** A string holds U+0000, which PostgreSQL's {@code text} cannot store. */
    NUL_IN_DEVICE("row-nul-in-string"),

    /** A string is not UTF-8: read as it is, it would become U+FFFD and merge distinct devices. */
    INVALID_UTF8("row-invalid-utf8");

    /** The first instant the stores hold, in µs since the epoch ({@link StoreLimits#MIN_TS_MICROS}). */
    public static final long MIN_TS_MICROS = StoreLimits.MIN_TS_MICROS;
    /** The last instant the stores hold, in µs since the epoch ({@link StoreLimits#MAX_TS_MICROS}). */
    public static final long MAX_TS_MICROS = StoreLimits.MAX_TS_MICROS;

    private final String code;

    RowRefusal(String code) {
        this.code = code;
    }

    /** The {@code dlq-reason} of a dead letter holding rows refused for this. */
    public String code() {
        return code;
    }

    /** The analyzer's refusal for a defect the shared row screen found (the sink refuses the same rows). */
    public static RowRefusal of(RowDefect defect) {
        return switch (defect) {
            case TIMESTAMP_OUT_OF_RANGE -> TIMESTAMP_OUT_OF_RANGE;
            case NUL_IN_STRING -> NUL_IN_DEVICE;
            case INVALID_UTF8 -> INVALID_UTF8;
        };
    }
}
