package io.streamingarrow.producer.ingest;

/** Why the event starting on {@code line} (1-based) was not accepted. */
public record Rejection(int line, String reason) {
}
