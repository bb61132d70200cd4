package io.streamingarrow.analyzer.windowing;

import java.util.HashMap;
import java.util.Map;

/**
 * The event-time watermark: per partition, the latest event time seen minus the allowed lateness; overall,
 * the minimum over the partitions.
 *
 * <p>A partition stops holding the watermark back only when it is idle, and silence alone never makes it
 * so: it must have sent nothing for {@code idleNanos} of wall time <em>and</em> the broker must have said,
 * within the last {@code answerMaxAgeNanos}, that this consumer has read up to the partition's end offset.
 * A partition that is silent because the broker, the producer's link to it or this consumer's link is
 * down therefore keeps holding the watermark: its rows still to come are not late. While the broker
 * cannot be reached nothing is idle.
 *
 * <p>When every partition is idle the stream has paused: the watermark moves to the newest event time
 * plus {@code idleAdvanceMicros} (the window size), so the last windows close instead of waiting for data
 * that may not come.
 */
public final class Watermarks {

    /** Read position unknown (assigned, position not known yet). */
    public static final long UNKNOWN = -1;

    private static final class Partition {
        long maxEvent = Long.MIN_VALUE;
        long lastSeenNanos;
        long nextOffset = UNKNOWN;
    }

    private final long latenessMicros;
    private final long idleNanos;
    private final long idleAdvanceMicros;
    private final EndOffsets endOffsets;
    private final long answerMaxAgeNanos;
    private final Map<Integer, Partition> partitions = new HashMap<>();

    public Watermarks(long latenessMicros, long idleNanos, long idleAdvanceMicros, EndOffsets endOffsets,
                      long answerMaxAgeNanos) {
        this.latenessMicros = latenessMicros;
        this.idleNanos = idleNanos;
        this.idleAdvanceMicros = idleAdvanceMicros;
        this.endOffsets = endOffsets;
        this.answerMaxAgeNanos = answerMaxAgeNanos;
    }

    /** A message at {@code offset} was read; {@code maxEventMicros} is its latest event time (MIN_VALUE if none). */
    public void observe(int partition, long offset, long maxEventMicros, long nowNanos) {
        Partition state = partitions.computeIfAbsent(partition, p -> new Partition());
        state.maxEvent = Math.max(state.maxEvent, maxEventMicros);
        state.lastSeenNanos = nowNanos;
        state.nextOffset = Math.max(state.nextOffset, offset + 1);
    }

    /**
     * A partition this consumer was given, to be read from {@code nextOffset} ({@link #UNKNOWN} if not
     * known): until it sends data or is idle it holds the watermark back, so its events are not late
     * merely because another partition was read first.
     */
    public void assign(int partition, long nextOffset, long nowNanos) {
        Partition state = partitions.computeIfAbsent(partition, p -> {
            Partition fresh = new Partition();
            fresh.lastSeenNanos = nowNanos;
            return fresh;
        });
        state.nextOffset = Math.max(state.nextOffset, nextOffset);
    }

    /** Forgets a partition this consumer no longer owns. */
    public void forget(int partition) {
        partitions.remove(partition);
    }

    public Iterable<Integer> partitions() {
        return partitions.keySet();
    }

    /** Whether the broker's latest answer is recent enough to judge idleness by. */
    public boolean brokerAnswered(long nowNanos) {
        EndOffsets.Answer answer = endOffsets.latest();
        return answer != null && nowNanos - answer.askedAtNanos() <= answerMaxAgeNanos;
    }

    /** Partitions idle now (see the class comment). */
    public int idlePartitions(long nowNanos) {
        EndOffsets.Answer answer = freshAnswer(nowNanos);
        int idle = 0;
        for (Map.Entry<Integer, Partition> e : partitions.entrySet()) {
            if (idle(e.getKey(), e.getValue(), answer, nowNanos)) {
                idle++;
            }
        }
        return idle;
    }

    /** Messages the broker holds beyond what this consumer has read, summed over its partitions (latest answer). */
    public long lag() {
        EndOffsets.Answer answer = endOffsets.latest();
        if (answer == null) {
            return 0;
        }
        long lag = 0;
        for (Map.Entry<Integer, Partition> e : partitions.entrySet()) {
            Long end = answer.endOffsets().get(e.getKey());
            if (end != null && e.getValue().nextOffset != UNKNOWN) {
                lag += Math.max(0, end - e.getValue().nextOffset);
            }
        }
        return lag;
    }

    /** Long.MIN_VALUE while no active partition has data. */
    public long current(long nowNanos) {
        EndOffsets.Answer answer = freshAnswer(nowNanos);
        long watermark = Long.MAX_VALUE;
        boolean any = false;
        long freshest = Long.MIN_VALUE;
        for (Map.Entry<Integer, Partition> e : partitions.entrySet()) {
            Partition state = e.getValue();
            freshest = Math.max(freshest, state.maxEvent);
            if (idle(e.getKey(), state, answer, nowNanos)) {
                continue;
            }
            if (state.maxEvent == Long.MIN_VALUE) {
                return Long.MIN_VALUE; // assigned, no data yet, not idle: wait for it
            }
            any = true;
            watermark = Math.min(watermark, state.maxEvent);
        }
        if (!any) {
            return freshest == Long.MIN_VALUE ? Long.MIN_VALUE : freshest + idleAdvanceMicros;
        }
        return watermark - latenessMicros;
    }

    private EndOffsets.Answer freshAnswer(long nowNanos) {
        EndOffsets.Answer answer = endOffsets.latest();
        return answer != null && nowNanos - answer.askedAtNanos() <= answerMaxAgeNanos ? answer : null;
    }

    private boolean idle(int partition, Partition state, EndOffsets.Answer answer, long nowNanos) {
        if (answer == null || nowNanos - state.lastSeenNanos <= idleNanos || state.nextOffset == UNKNOWN) {
            return false;
        }
        // Back after an outage: the producers' own retries are still on their way to the broker, so a partition
        // silent through the outage is not idle until it has been silent while the broker answers. The answers
        // say when that began, whether or not anything looked during the outage (nothing does while a rebalance is
        // under way, and a broker restart brings one: faults.sh kafka-outage closed a window over partitions silent
        // through the outage, and the rows the producer was still retrying came late).
        if (answer.answeringSinceNanos() != Long.MIN_VALUE && nowNanos - answer.answeringSinceNanos() <= idleNanos) {
            return false;
        }
        // The broker must have been asked after the partition had already been silent for the idle timeout:
        // an answer from before that (even a recent one) cannot tell a pause from a cut-off link, and a
        // Kafka outage that began just after it made the next rows late (KafkaOutageTest, 1 run in 3).
        if (answer.askedAtNanos() - state.lastSeenNanos <= idleNanos) {
            return false;
        }
        Long end = answer.endOffsets().get(partition);
        return end != null && state.nextOffset >= end;
    }
}
