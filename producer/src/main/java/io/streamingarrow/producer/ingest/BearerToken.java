package io.streamingarrow.producer.ingest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/**
 * The {@code POST /ingest} bearer token check ({@code producer.ingest.token}).
 *
 * <p>Both sides are hashed (SHA-256) and compared with {@link MessageDigest#isEqual}: the comparison then
 * takes the same time whatever the presented value and wherever it differs, so a client cannot find the
 * token, or its length, a byte at a time from response times. The token is never part of a log line,
 * metric or answer; {@link #toString()} says only whether one is configured.
 */
public final class BearerToken {

    private static final String PREFIX = "Bearer ";

    private final byte[] expectedDigest;

    private BearerToken(byte[] expectedDigest) {
        this.expectedDigest = expectedDigest;
    }

    /** No token configured (or an empty one): every request is let through, as before the setting. */
    public static BearerToken of(Optional<String> token) {
        return new BearerToken(token.filter(t -> !t.isEmpty()).map(t -> sha256(PREFIX + t)).orElse(null));
    }

    public boolean required() {
        return expectedDigest != null;
    }

    /** Whether the request's {@code Authorization} header (null when absent) lets it through. */
    public boolean admits(String authorization) {
        if (expectedDigest == null) {
            return true;
        }
        // A missing header is hashed too (as an empty string), so that it costs the same as a wrong one.
        byte[] presented = sha256(authorization == null ? "" : authorization);
        return MessageDigest.isEqual(presented, expectedDigest) && authorization != null;
    }

    private static byte[] sha256(String value) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return required() ? "BearerToken[configured]" : "BearerToken[none]";
    }
}
