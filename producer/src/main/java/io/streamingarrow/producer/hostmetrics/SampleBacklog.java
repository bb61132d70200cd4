package io.streamingarrow.producer.hostmetrics;

import java.util.ArrayDeque;
import java.util.function.Predicate;

/**
 * Host samples waiting while Kafka pushes back. Bounded: when full, the oldest sample is dropped (fresh
 * readings matter more than old ones) and counted.
 */
public final class SampleBacklog {

    private final int capacity;
    private final ArrayDeque<HostSample> samples;
    private long dropped;

    public SampleBacklog(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("backlog capacity must be positive, was " + capacity);
        }
        this.capacity = capacity;
        this.samples = new ArrayDeque<>(capacity);
    }

    public synchronized void add(HostSample sample) {
        if (samples.size() == capacity) {
            samples.pollFirst();
            dropped++;
        }
        samples.addLast(sample);
    }

    /** Hands samples, oldest first, to {@code sink} until it refuses one; returns how many it took. */
    public synchronized int drainTo(Predicate<HostSample> sink) {
        int taken = 0;
        while (!samples.isEmpty() && sink.test(samples.peekFirst())) {
            samples.pollFirst();
            taken++;
        }
        return taken;
    }

    public synchronized int size() {
        return samples.size();
    }

    public synchronized long dropped() {
        return dropped;
    }
}
