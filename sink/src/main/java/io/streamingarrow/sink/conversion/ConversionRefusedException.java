package io.streamingarrow.sink.conversion;

/**
 * A message (or its schema) that cannot be written to the table. Permanent for that message: the same
 * bytes against the same table give the same answer, so the message is dead-lettered.
 */
public final class ConversionRefusedException extends RuntimeException {

    /** Why; {@link #code()} is the {@code dlq-reason} header value. */
    public enum Reason {
        SCHEMA_MISMATCH("schema-mismatch"),
        NULL_IN_NON_NULLABLE("null-in-non-nullable"),
        VALUE_OUT_OF_RANGE("value-out-of-range"),
        EXTRA_COLUMNS("extra-columns");

        private final String code;

        Reason(String code) {
            this.code = code;
        }

        public String code() {
            return code;
        }
    }

    private final Reason reason;

    public ConversionRefusedException(Reason reason, String message) {
        super(reason.code() + ": " + message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
