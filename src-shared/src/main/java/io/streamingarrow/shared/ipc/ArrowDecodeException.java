package io.streamingarrow.shared.ipc;

/**
 * A message that is not valid Arrow IPC, or exceeds a {@link DecodeLimits} ceiling. Permanent for that
 * message: retrying the same bytes gives the same answer, so callers dead-letter it.
 */
public final class ArrowDecodeException extends RuntimeException {

    /** Why the message was refused; its name is suitable for a {@code dlq-reason} header prefix. */
    public enum Reason {
        /** A null Kafka value (a tombstone): there are no bytes to decode, not even an empty array. */
        TOMBSTONE,
        EMPTY,
        TRUNCATED,
        CORRUPT,
        TOO_LARGE,
        UNSUPPORTED
    }

    private final Reason reason;

    public ArrowDecodeException(Reason reason, String message) {
        this(reason, message, null);
    }

    public ArrowDecodeException(Reason reason, String message, Throwable cause) {
        super(reason + ": " + message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
