package io.streamingarrow.analyzer.persistence;

/**
 * What earlier runs made final in one partition: windows ending at or before {@code finalUpTo} (µs) are
 * stored, and every message up to offset {@code readThroughOffset} had been read when they were, so a
 * re-read message at or below it already contributed to those windows (a replay), while a later one
 * brings late rows.
 */
public record PartitionProgress(long finalUpTo, long readThroughOffset) {
}
