package io.streamingarrow.analyzer.windowing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The watermark and the idleness rule, with a fake broker answering (or not) for the end offsets. */
class WatermarksTest {

    private static final long SECOND = 1_000_000_000L;

    /** A broker that answers what the test says, when the test says. */
    private static final class FakeBroker implements EndOffsets {
        final Map<Integer, Long> ends = new HashMap<>();
        Answer latest;
        long answeringSince = Long.MIN_VALUE;

        void answers(long atNanos) {
            latest = new Answer(Map.copyOf(ends), atNanos, answeringSince);
        }

        /** Answers again after an outage: a new stretch of answers begins. */
        void answersAfterOutage(long atNanos) {
            answeringSince = atNanos;
            answers(atNanos);
        }

        /** Answers the way KafkaEndOffsets does: the stretch goes on unless asked more than 3 s after the last. */
        void answersInTurn(long atNanos) {
            latest = Answer.following(latest, false, 3 * SECOND, Map.copyOf(ends), atNanos);
        }

        @Override
        public Answer latest() {
            return latest;
        }
    }

    private final FakeBroker broker = new FakeBroker();

    private Watermarks watermarks() {
        return new Watermarks(500_000, 10 * SECOND, 1_000_000, broker, 3 * SECOND);
    }

    @Test
    void theSlowestActivePartitionHoldsTheWatermarkUntilItGoesIdle() {
        Watermarks watermarks = watermarks();
        assertEquals(Long.MIN_VALUE, watermarks.current(0), "no data yet");
        watermarks.observe(0, 0, 10_000_000, 0);
        watermarks.observe(1, 0, 4_000_000, 0);
        broker.ends.put(0, 1L);
        broker.ends.put(1, 1L);
        assertEquals(3_500_000, watermarks.current(SECOND), "min over partitions, minus lateness");
        watermarks.observe(0, 1, 20_000_000, 9 * SECOND);
        broker.ends.put(0, 2L);
        broker.answers(10 * SECOND);
        assertEquals(3_500_000, watermarks.current(9 * SECOND));
        assertEquals(3_500_000, watermarks.current(11 * SECOND),
                "silent for the idle timeout, but the broker's answer was asked before that silence was long enough");
        broker.answers(10 * SECOND + SECOND / 2);
        assertEquals(19_500_000, watermarks.current(11 * SECOND), "partition 1 read to its end and silent: idle");
        broker.answers(29 * SECOND);
        assertEquals(21_000_000, watermarks.current(30 * SECOND), "all idle: the last windows close");
        watermarks.forget(0);
        assertEquals(5_000_000, watermarks.current(30 * SECOND));
    }

    @Test
    void anAnswerFromBeforeTheSilenceCannotMakeAPartitionIdle() {
        // The link to the broker is cut right after a "read to the end" answer: the rows written meanwhile are
        // on their way, so the silence that follows is an outage, not a pause, until the broker answers again.
        Watermarks watermarks = watermarks();
        watermarks.observe(0, 0, 10_000_000, 0);
        broker.ends.put(0, 1L);
        broker.answers(9 * SECOND);
        assertEquals(9_500_000, watermarks.current(11 * SECOND),
                "11 s of silence and a fresh answer, but asked after only 9 s of it: not idle");
        broker.answers(10 * SECOND + SECOND / 2);
        assertEquals(11_000_000, watermarks.current(11 * SECOND), "asked after 10 s of silence: read to its end, idle");
    }

    @Test
    void aSilentPartitionWithUnreadMessagesOnTheBrokerIsNotIdle() {
        Watermarks watermarks = watermarks();
        watermarks.observe(0, 0, 10_000_000, 0);
        watermarks.observe(1, 0, 4_000_000, 0);
        watermarks.observe(0, 1, 20_000_000, 15 * SECOND);
        broker.ends.put(0, 2L);
        broker.ends.put(1, 7L); // the producer wrote on; this consumer's link to the broker is what is down
        broker.answers(15 * SECOND);
        assertEquals(3_500_000, watermarks.current(16 * SECOND), "partition 1 lags: it holds the watermark");
        assertEquals(0, watermarks.idlePartitions(16 * SECOND));
        assertEquals(6, watermarks.lag());
    }

    @Test
    void whileTheBrokerCannotBeReachedNothingIsIdle() {
        Watermarks watermarks = watermarks();
        watermarks.observe(0, 4, 10_000_000, 0);
        watermarks.observe(1, 9, 4_000_000, 0);
        broker.ends.put(0, 5L);
        broker.ends.put(1, 10L);
        assertEquals(3_500_000, watermarks.current(60 * SECOND), "the broker never answered: nothing idle");
        broker.answers(SECOND); // caught up as of 1 s, then the broker goes away
        assertEquals(3_500_000, watermarks.current(20 * SECOND), "its last answer is too old: nothing idle");
        assertEquals(0, watermarks.idlePartitions(20 * SECOND));
        broker.answersAfterOutage(60 * SECOND); // back, and everything was read
        assertEquals(3_500_000, watermarks.current(61 * SECOND), "silent through the outage is not idle");
        broker.answers(71 * SECOND);
        assertEquals(11_000_000, watermarks.current(71 * SECOND), "idle again: the last windows close");
        assertEquals(2, watermarks.idlePartitions(71 * SECOND));
    }

    @Test
    void anOutageShowsInTheAnswersEvenWhenNothingLookedDuringIt() {
        // A broker restart brings a rebalance, and the pipeline asks for no watermark while one is under way: the
        // outage must show in the answers themselves (faults.sh kafka-outage: a window closed over partitions silent
        // through the outage, and the rows the producer was still retrying came late).
        Watermarks watermarks = watermarks();
        watermarks.observe(0, 4, 10_000_000, 0);
        broker.ends.put(0, 5L);
        broker.answersInTurn(0);
        broker.answersInTurn(SECOND);
        assertEquals(9_500_000, watermarks.current(SECOND), "answering, the partition just sent data");
        broker.answersInTurn(2 * SECOND); // then no answer for 38 s, and nothing looks meanwhile
        broker.answersInTurn(40 * SECOND);
        assertEquals(40 * SECOND, broker.latest.answeringSinceNanos(), "a new stretch of answers");
        assertEquals(9_500_000, watermarks.current(41 * SECOND), "silent through the outage is not idle");
        assertEquals(0, watermarks.idlePartitions(41 * SECOND));
        for (long second = 41; second <= 51; second++) {
            broker.answersInTurn(second * SECOND);
        }
        assertEquals(40 * SECOND, broker.latest.answeringSinceNanos(), "answered every second since");
        assertEquals(11_000_000, watermarks.current(51 * SECOND), "silent 11 s while the broker answers: idle");
    }

    @Test
    void aFailedQuestionEndsAStretchOfAnswers() {
        EndOffsets.Answer first = EndOffsets.Answer.following(null, false, 3 * SECOND, Map.of(0, 1L), 0);
        EndOffsets.Answer next = EndOffsets.Answer.following(first, false, 3 * SECOND, Map.of(0, 1L), SECOND);
        EndOffsets.Answer afterFailure = EndOffsets.Answer.following(next, true, 3 * SECOND, Map.of(0, 1L), 2 * SECOND);
        EndOffsets.Answer afterGap = EndOffsets.Answer.following(afterFailure, false, 3 * SECOND, Map.of(0, 1L), 6 * SECOND);
        assertEquals(0, first.answeringSinceNanos());
        assertEquals(0, next.answeringSinceNanos());
        assertEquals(2 * SECOND, afterFailure.answeringSinceNanos());
        assertEquals(6 * SECOND, afterGap.answeringSinceNanos());
    }

    @Test
    void anAssignedPartitionWithoutDataHoldsTheWatermarkUntilTheBrokerSaysItIsEmpty() {
        Watermarks watermarks = watermarks();
        watermarks.assign(0, 0, 0);
        watermarks.assign(1, 3, 0);
        watermarks.observe(0, 0, 10_000_000, SECOND);
        broker.ends.put(0, 1L);
        broker.ends.put(1, 3L);
        broker.answers(2 * SECOND);
        assertEquals(Long.MIN_VALUE, watermarks.current(2 * SECOND), "partition 1 may still send older events");
        watermarks.observe(1, 3, 8_000_000, 3 * SECOND);
        assertEquals(7_500_000, watermarks.current(3 * SECOND));

        FakeBroker quietBroker = new FakeBroker();
        Watermarks quiet = new Watermarks(500_000, 10 * SECOND, 1_000_000, quietBroker, 3 * SECOND);
        quiet.assign(0, 0, 0);
        quiet.assign(1, 3, 0);
        quiet.assign(2, Watermarks.UNKNOWN, 0);
        quiet.observe(0, 0, 10_000_000, 5 * SECOND);
        quietBroker.ends.put(0, 1L);
        quietBroker.ends.put(1, 3L);
        quietBroker.ends.put(2, 0L);
        quietBroker.answers(11 * SECOND);
        assertEquals(Long.MIN_VALUE, quiet.current(11 * SECOND), "partition 2's position is unknown: it holds");
        quiet.forget(2);
        assertEquals(9_500_000, quiet.current(11 * SECOND), "partition 1 never spoke, and the broker has nothing for it");
    }
}
