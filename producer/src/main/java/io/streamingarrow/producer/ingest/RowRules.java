package io.streamingarrow.producer.ingest;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import io.streamingarrow.shared.contract.StoreLimits;

/**
 * What an ingested row must be for the stores to hold it as sent. A row that breaks a rule is rejected
 * with the reason, never rewritten: a bad row costs only itself, here, instead of a whole Kafka message
 * downstream. Malformed UTF-8 is caught earlier, on the raw bytes ({@link Utf8Check}).
 */
final class RowRules {

    /** The producer's own bound on a device name, well inside what both stores hold. */
    static final int MAX_DEVICE_BYTES = 256;

    private static final String TS_RANGE = Instant.EPOCH + " .. "
            + Instant.ofEpochSecond(0, StoreLimits.MAX_TS_MICROS * 1000);

    private RowRules() {
    }

    /** Why {@code device} cannot be stored as it is, or null. */
    static String deviceViolation(String device) {
        if (device.isBlank()) {
            return "'device' is required and must be a non-empty string";
        }
        if (!StoreLimits.textStorable(device)) {
            return "'device' contains U+0000, which PostgreSQL text cannot hold";
        }
        for (int i = 0; i < device.length(); i++) {
            char c = device.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < device.length() && Character.isLowSurrogate(device.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                // A lone \\uD800-style escape: it has no UTF-8 form, encoding would turn it into '?'.
                return "'device' contains an unpaired surrogate (\\u" + Integer.toHexString(c).toUpperCase()
                        + "), which is not Unicode text";
            }
        }
        if (device.getBytes(StandardCharsets.UTF_8).length > MAX_DEVICE_BYTES) {
            return "'device' is longer than " + MAX_DEVICE_BYTES + " bytes";
        }
        return null;
    }

    /** Why {@code tsMicros} (sent as {@code asSent}) cannot be stored, or null. */
    static String tsViolation(long tsMicros, String asSent) {
        if (StoreLimits.tsInRange(tsMicros)) {
            return null;
        }
        return "'ts' " + asSent + " is outside what the stores hold: " + TS_RANGE + " (ClickHouse DateTime)";
    }
}
