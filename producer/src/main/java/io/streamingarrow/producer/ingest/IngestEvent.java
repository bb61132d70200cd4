package io.streamingarrow.producer.ingest;

/** One valid event from an ingest body, with the line it started on. Measures may be null. */
public record IngestEvent(int line, String device, long tsMicros, Float cpuUsed, Float cpuFree, Float memoryUsed,
                          Float memoryFree, Integer runElapsedMs) {
}
