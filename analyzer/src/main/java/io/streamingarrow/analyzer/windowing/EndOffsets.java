package io.streamingarrow.analyzer.windowing;

import java.util.Map;

/**
 * What the broker last said about the end of each partition this consumer reads. Idleness is decided from
 * it, never from silence alone: a partition is idle only if the consumer has read up to its end offset as
 * the broker reported it, and that report is recent.
 */
public interface EndOffsets {

    /** The broker's latest answer, or null if it has never answered. */
    Answer latest();

    /**
     * End offsets (the next offset the broker will write) per partition, as of {@code askedAtNanos}: when
     * the question was sent, so the answer is never taken as fresher than it is.
     */
    record Answer(Map<Integer, Long> endOffsets, long askedAtNanos) {
    }
}
