package io.streamingarrow.analyzer.consuming;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.LongSupplier;

import org.jboss.logging.Logger;

import io.streamingarrow.analyzer.alerting.AlertEngine;
import io.streamingarrow.analyzer.alerting.AlertTransition;
import io.streamingarrow.analyzer.persistence.AnalyzerStore;
import io.streamingarrow.analyzer.persistence.PartitionProgress;
import io.streamingarrow.analyzer.windowing.ClosedWindow;
import io.streamingarrow.analyzer.windowing.LateRows;
import io.streamingarrow.analyzer.windowing.WindowAggregator;
import io.streamingarrow.analyzer.windowing.Watermarks;
import io.streamingarrow.shared.ipc.ArrowDecodeException;
import io.streamingarrow.shared.ipc.ArrowIpcDecoder;

/**
 * The analyzer's data path for one consumer: decode → windows → (watermark passes) → PostgreSQL, Kafka.
 *
 * <p>Offsets: a message is acknowledged only once every window its rows went into is closed and persisted
 * (the Kafka connector's throttled strategy then commits the contiguous acknowledged prefix). After a crash
 * the uncommitted messages are read again and rebuild exactly the windows that were open; windows already
 * persisted are recorded per partition in {@code analyzer_progress}, with the last offset read when they
 * were, so re-read rows for them are skipped instead of overwriting a complete window with a partial one,
 * and rows read for the first time are late, as they would have been without the restart.
 *
 * <p>Late rows, when corrections are on, are merged into their stored windows in the same transaction that
 * records the progress, so a correction is applied once even across a crash, and published as the
 * window's next revision. Alert rules judge windows as they close; corrections do not re-open alerts.
 */
public final class AnalyzerPipeline {

    private static final Logger LOG = Logger.getLogger(AnalyzerPipeline.class);

    /** A message read but not yet acknowledged. */
    private record Pending(long maxWindowEnd, Runnable acknowledge) {
    }

    private final ArrowIpcDecoder decoder;
    private final WindowAggregator aggregator;
    private final Watermarks watermarks;
    private final AlertEngine alerts;
    private final AnalyzerStore store;
    private final Outputs outputs;
    private final LongSupplier nanoClock;
    private final String topic;
    private final Map<Integer, PartitionProgress> restored = new HashMap<>();
    private final Map<Integer, Long> readThrough = new HashMap<>();
    private final TreeSet<Integer> partitions = new TreeSet<>();
    private final Deque<Pending> pending = new ArrayDeque<>();
    private final Duration persistTimeout;

    private long lateRows;
    private long replayedRows;
    private long correctedWindows;
    private long closedWindows;
    private long alertsOpened;
    private long alertsResolved;
    private long deadLetters;
    private volatile long watermark = Long.MIN_VALUE;

    public AnalyzerPipeline(ArrowIpcDecoder decoder, WindowAggregator aggregator, Watermarks watermarks, AlertEngine alerts,
                            AnalyzerStore store, Outputs outputs, LongSupplier nanoClock, String topic, Duration persistTimeout) {
        this.decoder = decoder;
        this.aggregator = aggregator;
        this.watermarks = watermarks;
        this.alerts = alerts;
        this.store = store;
        this.outputs = outputs;
        this.nanoClock = nanoClock;
        this.topic = topic;
        this.persistTimeout = persistTimeout;
    }

    /** Loads what earlier runs made final, the alerts they left open and the streaks toward new ones. */
    public synchronized void restore() {
        long size = aggregator.spec().sizeMillis();
        long slide = aggregator.spec().slideMicros() / 1000;
        restored.putAll(store.progress(topic, size, slide).await().atMost(persistTimeout));
        for (String[] open : store.openAlerts().await().atMost(persistTimeout)) {
            alerts.restoreOpen(open[0], open[1]);
        }
        if (alerts.streakDepth() > 0) {
            alerts.restoreStreaks(store.latestWindows(size, alerts.streakDepth(), aggregator.measures())
                    .await().atMost(persistTimeout));
        }
        if (!restored.isEmpty()) {
            LOG.infof("restored progress of %d partition(s) of %s", restored.size(), topic);
        }
    }

    /** Handles one Kafka message; {@code acknowledge} is called once its windows are safely stored. */
    public synchronized void onMessage(int partition, long offset, byte[] key, byte[] value, Runnable acknowledge) {
        partitions.add(partition);
        PartitionProgress before = restored.get(partition);
        long finalUpTo = before == null ? Long.MIN_VALUE : before.finalUpTo();
        // Read before the restart: its rows are in the windows stored then. Read after: late for them.
        long replayedUpTo = before != null && offset <= before.readThroughOffset() ? finalUpTo : Long.MIN_VALUE;
        long[] maxEnd = {Long.MIN_VALUE};
        long[] maxTs = {Long.MIN_VALUE};
        long[] late = {0};
        long[] replayed = {0};
        try {
            decoder.decode(value, (batch, index) -> {
                WindowAggregator.BatchResult result = aggregator.add(batch, replayedUpTo, finalUpTo);
                maxEnd[0] = Math.max(maxEnd[0], result.maxWindowEnd());
                maxTs[0] = Math.max(maxTs[0], result.maxEventTs());
                late[0] += result.lateRows();
                replayed[0] += result.replayedRows();
            });
        } catch (ArrowDecodeException | IllegalArgumentException e) {
            deadLetters++;
            LOG.warnf("message %s-%d@%d refused: %s", topic, partition, offset, e.getMessage());
            outputs.deadLetter(key, value, e.getMessage(), topic, partition, offset, acknowledge);
            return;
        }
        lateRows += late[0];
        replayedRows += replayed[0];
        readThrough.merge(partition, offset, Math::max);
        if (maxTs[0] != Long.MIN_VALUE) {
            watermarks.observe(partition, maxTs[0], nanoClock.getAsLong());
        }
        pending.addLast(new Pending(maxEnd[0], acknowledge));
        advance();
    }

    /** Kafka gave this consumer these partitions. */
    public synchronized void assigned(Iterable<Integer> assigned) {
        long now = nanoClock.getAsLong();
        for (int partition : assigned) {
            watermarks.assign(partition, now);
        }
    }

    /** Kafka took these partitions away: they no longer hold the watermark. */
    public synchronized void revoked(Iterable<Integer> revoked) {
        for (int partition : revoked) {
            watermarks.forget(partition);
            partitions.remove(partition); // its progress is the new owner's to record now
        }
    }

    /** Moves the watermark on with wall time (idle partitions); called periodically. */
    public synchronized void tick() {
        advance();
    }

    public synchronized int pendingMessages() {
        return pending.size();
    }

    private void advance() {
        long now = nanoClock.getAsLong();
        long next = watermarks.current(now);
        watermark = next;
        boolean watermarkMoved = next != Long.MIN_VALUE && next > aggregator.closedUpTo();
        List<ClosedWindow> closed = watermarkMoved ? aggregator.closeUpTo(next) : List.of();
        List<LateRows> late = aggregator.drainLateRows();
        if (watermarkMoved || !late.isEmpty()) {
            List<AlertTransition> transitions = new ArrayList<>();
            for (ClosedWindow window : closed) {
                transitions.addAll(alerts.evaluate(window));
            }
            Map<Integer, PartitionProgress> progress = new HashMap<>();
            long finalUpTo = aggregator.closedUpTo();
            for (int partition : partitions) {
                progress.put(partition, new PartitionProgress(finalUpTo, readThrough.getOrDefault(partition, -1L)));
            }
            // Stored before anything is acknowledged: a failure here leaves the messages uncommitted.
            List<ClosedWindow> corrected = store.persist(closed, transitions, late, topic, progress,
                    aggregator.spec().sizeMillis(), aggregator.spec().slideMicros() / 1000).await().atMost(persistTimeout);
            closedWindows += closed.size();
            correctedWindows += corrected.size();
            for (AlertTransition t : transitions) {
                if (t.state() == AlertTransition.State.OPEN) {
                    alertsOpened++;
                } else {
                    alertsResolved++;
                }
                outputs.alert(t);
            }
            if (!closed.isEmpty() || !corrected.isEmpty()) {
                List<ClosedWindow> published = new ArrayList<>(closed);
                published.addAll(corrected);
                outputs.windows(published);
            }
        }
        long finalUpTo = aggregator.closedUpTo();
        // In arrival order: stop at the first message that still feeds an open window.
        while (!pending.isEmpty() && pending.peekFirst().maxWindowEnd() <= finalUpTo) {
            pending.pollFirst().acknowledge().run();
        }
    }

    public synchronized long replayedRows() {
        return replayedRows;
    }

    public synchronized long correctedWindows() {
        return correctedWindows;
    }

    public synchronized int openDevices() {
        return aggregator.openDevices();
    }

    public synchronized long lateRows() {
        return lateRows;
    }

    public synchronized long closedWindows() {
        return closedWindows;
    }

    public synchronized long alertsOpened() {
        return alertsOpened;
    }

    public synchronized long alertsResolved() {
        return alertsResolved;
    }

    public synchronized long deadLetters() {
        return deadLetters;
    }

    public synchronized long openAlerts() {
        return alerts.openAlerts();
    }

    public synchronized int openWindows() {
        return aggregator.openWindows();
    }

    /** The current watermark in µs (Long.MIN_VALUE before any data). */
    public long watermark() {
        return watermark;
    }
}
