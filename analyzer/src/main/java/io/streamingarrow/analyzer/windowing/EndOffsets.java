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
     * the question was sent, so the answer is never taken as fresher than it is. {@code answeringSinceNanos}:
     * when the broker began answering without a break up to this answer (after an outage, the question asked
     * first once it was back), or {@link Long#MIN_VALUE} where that is not known (no outage assumed).
     */
    record Answer(Map<Integer, Long> endOffsets, long askedAtNanos, long answeringSinceNanos) {

        public Answer(Map<Integer, Long> endOffsets, long askedAtNanos) {
            this(endOffsets, askedAtNanos, Long.MIN_VALUE);
        }

        /**
         * The answer after {@code previous} (null for the first): the broker answered without a break unless a
         * question failed in between or the two were asked more than {@code maxGapNanos} apart.
         */
        public static Answer following(Answer previous, boolean failedBetween, long maxGapNanos,
                                       Map<Integer, Long> endOffsets, long askedAtNanos) {
            boolean unbroken = previous != null && !failedBetween && askedAtNanos - previous.askedAtNanos() <= maxGapNanos;
            return new Answer(endOffsets, askedAtNanos, unbroken ? previous.answeringSinceNanos() : askedAtNanos);
        }
    }
}
