package io.streamingarrow.sink.clickhouse;

import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A request ClickHouse answered with an error, or could not be reached. */
public final class ClickHouseException extends RuntimeException {

    /** Server error codes that go away by themselves: overload, timeouts, network, read-only replicas. */
    private static final Set<Integer> TRANSIENT_CODES = Set.of(
            3,   // UNEXPECTED_END_OF_FILE: the body was cut, e.g. a connection reset
            159, // TIMEOUT_EXCEEDED
            202, // TOO_MANY_SIMULTANEOUS_QUERIES
            209, // SOCKET_TIMEOUT
            210, // NETWORK_ERROR
            241, // MEMORY_LIMIT_EXCEEDED
            242, // TABLE_IS_READ_ONLY
            252, // TOO_MANY_PARTS
            425, // SYSTEM_ERROR
            999  // KEEPER_EXCEPTION
    );
    private static final Pattern CODE = Pattern.compile("Code: (\\d+)");

    private final int httpStatus;
    private final int code;
    private final boolean transientFailure;

    private ClickHouseException(String message, int httpStatus, int code, boolean transientFailure, Throwable cause) {
        super(message, cause);
        this.httpStatus = httpStatus;
        this.code = code;
        this.transientFailure = transientFailure;
    }

    /** An error answer; {@code codeHeader} is {@code X-ClickHouse-Exception-Code} where the server sends it. */
    public static ClickHouseException fromResponse(int httpStatus, String codeHeader, String body) {
        int code = -1;
        if (codeHeader != null && !codeHeader.isBlank()) {
            code = Integer.parseInt(codeHeader.trim());
        } else {
            Matcher m = CODE.matcher(body);
            if (m.find()) {
                code = Integer.parseInt(m.group(1));
            }
        }
        boolean transientFailure = httpStatus == 502 || httpStatus == 503 || httpStatus == 504 || httpStatus == 429
                || TRANSIENT_CODES.contains(code);
        String text = body.length() > 2000 ? body.substring(0, 2000) + "…" : body.strip();
        return new ClickHouseException("ClickHouse answered HTTP " + httpStatus + ": " + text, httpStatus, code,
                transientFailure, null);
    }

    /** The server could not be reached or did not answer in time. */
    public static ClickHouseException unreachable(Throwable cause) {
        return new ClickHouseException("ClickHouse unreachable: " + withCauses(cause), -1, -1, true, cause);
    }

    /**
     * The failure and what caused it, as far as the causes add something: clients wrap the reason (the
     * Java client's "SSL Problem" holds the certificate path error, "PKIX path building failed"), and the
     * log line and the readiness answer must say it.
     */
    static String withCauses(Throwable failure) {
        StringBuilder text = new StringBuilder(String.valueOf(failure));
        Throwable cause = failure.getCause();
        for (int depth = 0; cause != null && cause != failure && depth < 4; depth++, failure = cause, cause = cause.getCause()) {
            String message = String.valueOf(cause.getMessage());
            if (!text.toString().contains(message)) {
                text.append("; caused by ").append(cause);
            }
        }
        return text.toString();
    }

    public int httpStatus() {
        return httpStatus;
    }

    /** The server's error code, -1 when unknown. */
    public int code() {
        return code;
    }

    /** Whether retrying the same request later may succeed. */
    public boolean isTransient() {
        return transientFailure;
    }

    public static boolean isTransient(Throwable failure) {
        Throwable t = failure;
        while (t != null) {
            if (t instanceof ClickHouseException e) {
                return e.isTransient();
            }
            t = t.getCause();
        }
        return true;
    }
}
