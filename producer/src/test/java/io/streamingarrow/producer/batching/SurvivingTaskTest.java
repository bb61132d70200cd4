package io.streamingarrow.producer.batching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

class SurvivingTaskTest {

    @Test
    void anErrorInOneRunDoesNotEndTheScheduledTask() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        Runnable flaky = () -> {
            if (runs.incrementAndGet() <= 3) {
                throw new UnsatisfiedLinkError("no zstd-jni in java.library.path");
            }
        };
        SurvivingTask task = new SurvivingTask("the linger flush", flaky, System::nanoTime);
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
        try {
            ticker.scheduleWithFixedDelay(task, 0, 5, TimeUnit.MILLISECONDS);
            for (int i = 0; i < 200 && runs.get() < 10; i++) {
                Thread.sleep(10);
            }
        } finally {
            ticker.shutdownNow();
        }
        assertTrue(runs.get() >= 10, "kept running after the errors: " + runs.get() + " runs");
        assertEquals(3, task.failures());
        assertNull(task.failing(), "working again");
    }

    @Test
    void saysWhyWhileFailing() {
        SurvivingTask task = new SurvivingTask("the linger flush", () -> {
            throw new IllegalStateException("allocator closed");
        }, () -> 0L);
        task.run();
        task.run();
        assertEquals("the linger flush failed 2 time(s) in a row: java.lang.IllegalStateException: allocator closed",
                task.failing());
    }
}
