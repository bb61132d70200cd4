package io.streamingarrow.analyzer.windowing;

import java.util.HashMap;
import java.util.Map;

/**
 * The event-time watermark: per partition, the latest event time seen minus the allowed lateness; overall,
 * the minimum over the partitions. A partition that has sent nothing for {@code idleNanos} of wall time
 * stops holding the watermark back (otherwise one quiet partition would keep every window open forever);
 * a partition that never sent anything does not count at all. When every partition is idle the stream
 * has paused: the watermark moves to the newest event time plus {@code idleAdvanceMicros} (the window
 * size), so the last windows close instead of waiting for data that may not come; anything that arrives
 * for them later is late.
 */
public final class Watermarks {

    private final long latenessMicros;
    private final long idleNanos;
    private final long idleAdvanceMicros;
    private final Map<Integer, long[]> partitions = new HashMap<>(); // {max event time, last seen nanos}

    public Watermarks(long latenessMicros, long idleNanos, long idleAdvanceMicros) {
        this.latenessMicros = latenessMicros;
        this.idleNanos = idleNanos;
        this.idleAdvanceMicros = idleAdvanceMicros;
    }

    public void observe(int partition, long maxEventMicros, long nowNanos) {
        long[] state = partitions.computeIfAbsent(partition, p -> new long[] {Long.MIN_VALUE, nowNanos});
        state[0] = Math.max(state[0], maxEventMicros);
        state[1] = nowNanos;
    }

    /**
     * A partition this consumer was given: until it sends data or goes idle it holds the watermark back,
     * so its events are not late merely because another partition was read first.
     */
    public void assign(int partition, long nowNanos) {
        partitions.putIfAbsent(partition, new long[] {Long.MIN_VALUE, nowNanos});
    }

    /** Forgets a partition this consumer no longer owns. */
    public void forget(int partition) {
        partitions.remove(partition);
    }

    /** Long.MIN_VALUE while no active partition has data. */
    public long current(long nowNanos) {
        long watermark = Long.MAX_VALUE;
        boolean any = false;
        long freshest = Long.MIN_VALUE;
        for (long[] state : partitions.values()) {
            freshest = Math.max(freshest, state[0]);
            if (nowNanos - state[1] > idleNanos) {
                continue;
            }
            if (state[0] == Long.MIN_VALUE) {
                return Long.MIN_VALUE; // assigned, no data yet, not idle yet: wait for it
            }
            any = true;
            watermark = Math.min(watermark, state[0]);
        }
        if (!any) {
            return freshest == Long.MIN_VALUE ? Long.MIN_VALUE : freshest + idleAdvanceMicros;
        }
        return watermark - latenessMicros;
    }
}
