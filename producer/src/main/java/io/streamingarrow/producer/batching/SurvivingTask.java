package io.streamingarrow.producer.batching;

import java.util.function.LongSupplier;

import org.jboss.logging.Logger;

/**
 * A periodic task that keeps running whatever one run throws. A {@code ScheduledExecutorService} cancels a task
 * for good the first time it throws, and keeps the cause until someone asks for it: the linger tick ended that
 * way on an {@code UnsatisfiedLinkError} (zstd-jni missing in an early native executable) and the producer
 * published nothing more, saying nothing until shutdown. Here a failure is logged (then at most every
 * {@link #LOG_INTERVAL_NANOS}), counted, and reported by {@link #failing()} until a run succeeds.
 */
final class SurvivingTask implements Runnable {

    private static final Logger LOG = Logger.getLogger(SurvivingTask.class);
    static final long LOG_INTERVAL_NANOS = 10_000_000_000L;

    private final String name;
    private final Runnable task;
    private final LongSupplier nanoClock;
    private long failures;
    private long failingInARow;
    private long lastLogNanos;
    private volatile String failing;

    SurvivingTask(String name, Runnable task, LongSupplier nanoClock) {
        this.name = name;
        this.task = task;
        this.nanoClock = nanoClock;
    }

    @Override
    public void run() {
        try {
            task.run();
            if (failing != null) {
                LOG.infof("%s works again after %d failed run(s)", name, failingInARow);
            }
            failingInARow = 0;
            failing = null;
        } catch (Throwable e) { // an Error too: nothing else would ever run this task again
            failures++;
            failingInARow++;
            failing = name + " failed " + failingInARow + " time(s) in a row: " + e;
            long now = nanoClock.getAsLong();
            if (failingInARow == 1 || now - lastLogNanos >= LOG_INTERVAL_NANOS) {
                LOG.errorf(e, "%s failed (%d time(s) in a row); it runs again at its next tick", name, failingInARow);
                lastLogNanos = now;
            }
        }
    }

    /** Why the task is failing (the latest error), or null while its latest run succeeded. */
    String failing() {
        return failing;
    }

    long failures() {
        return failures;
    }
}
