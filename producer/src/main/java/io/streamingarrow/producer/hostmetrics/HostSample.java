package io.streamingarrow.producer.hostmetrics;

/** One row of host metrics in the seed's columns. */
public record HostSample(long tsMicros, float cpuUsed, float cpuFree, float memoryUsed, float memoryFree, int runElapsedMs) {
}
