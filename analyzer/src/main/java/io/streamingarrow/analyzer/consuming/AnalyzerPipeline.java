package io.streamingarrow.analyzer.consuming;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
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
 * <p>Offsets: a message is acknowledged only once every window its rows went into is closed, stored and
 * published (the Kafka connector's throttled strategy then commits the contiguous acknowledged prefix).
 * After a crash the uncommitted messages are read again and rebuild exactly the windows that were open;
 * windows already persisted are recorded per partition in {@code analyzer_progress}, with the last offset
 * read when they were, so re-read rows for them are skipped instead of overwriting a complete window with
 * a partial one, and rows read for the first time are late, as they would have been without the restart.
 *
 * <p>Outages: what the watermark closes becomes a {@link Batch}; batches are stored in PostgreSQL and then
 * published, strictly in order, each retried with backoff until it succeeds, and nothing is acknowledged
 * before its batch is through. While a batch cannot be stored or published (or too many wait), the
 * pipeline takes no new message: {@link #offer} parks it and the stage it returns completes only when the
 * outage is over, so the Kafka connector stops polling (its queue is bounded) instead of the analyzer
 * holding ever more data. {@link #blockedReason()} says why, for readiness.
 *
 * <p>Late rows, when corrections are on, are merged into their stored windows in the same transaction that
 * records the progress, so a correction is applied once even across a crash, and published as the
 * window's next revision. Alert rules judge windows as they close; corrections do not re-open alerts.
 */
public final class AnalyzerPipeline {

    private static final Logger LOG = Logger.getLogger(AnalyzerPipeline.class);

    /** Batches closed but not yet stored and published, beyond which no message is taken. */
    static final int MAX_UNSETTLED_BATCHES = 16;
    private static final long FIRST_BACKOFF_NANOS = Duration.ofMillis(200).toNanos();
    private static final long LATE_REPORT_INTERVAL_NANOS = Duration.ofSeconds(10).toNanos();
    /** A batch whose publication is not acknowledged after this long makes the pipeline report itself blocked. */
    private static final long PUBLISH_WARN_NANOS = Duration.ofSeconds(10).toNanos();
    private static final long FAILURE_LOG_INTERVAL_NANOS = Duration.ofSeconds(30).toNanos();

    /**
     * A message read but not yet acknowledged: it is through once a batch made after it was read, that moved
     * the watermark, is durable up to {@code maxWindowEnd} (the windows it fed may be below what was already
     * closed when it came from a partition taken over from another consumer), and, if it holds rows for
     * corrections, once any batch made after it is durable.
     */
    private record Pending(int partition, long maxWindowEnd, long closingBatchesBefore, long batchesBefore,
                           Runnable acknowledge) {
    }

    /** A message that arrived while the pipeline was not taking any. */
    private record Parked(int partition, long offset, byte[] key, byte[] value, Runnable acknowledge,
                          CompletableFuture<Void> taken) {
    }

    /** One Kafka output message of a batch: sent again only if it failed. */
    private static final class Publication {
        final List<ClosedWindow> windows; // one device's, or null for an alert
        final AlertTransition alert;
        CompletableFuture<Void> sent;

        Publication(List<ClosedWindow> windows, AlertTransition alert) {
            this.windows = windows;
            this.alert = alert;
        }
    }

    /** What one move of the watermark closed: stored, then published, then the messages behind it acknowledged. */
    private static final class Batch {
        final List<ClosedWindow> closed;
        final List<AlertTransition> transitions;
        final List<LateRows> late;
        final Map<Integer, PartitionProgress> progress;
        final long closedUpTo;
        final long sequence; // batches made up to this one
        final long closingSequence; // batches that moved the watermark, up to this one
        boolean stored;
        List<Publication> publications;
        long publishStartedNanos;
        /** When the watermark passed these windows' end (the batch was cut): the start of their close latency. */
        long cutNanos;

        Batch(List<ClosedWindow> closed, List<AlertTransition> transitions, List<LateRows> late,
              Map<Integer, PartitionProgress> progress, long closedUpTo, long sequence, long closingSequence) {
            this.closed = closed;
            this.transitions = transitions;
            this.late = late;
            this.progress = progress;
            this.closedUpTo = closedUpTo;
            this.sequence = sequence;
            this.closingSequence = closingSequence;
        }
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
    private final Map<Integer, Long> maxEndFed = new HashMap<>(); // per partition: latest window end its rows went into
    private final Map<Integer, Long> fedClosing = new HashMap<>(); // per partition: closing batches made before its last rows
    private final TreeSet<Integer> partitions = new TreeSet<>(); // whose progress each batch records
    /** Per partition: its windows ending at or before this are final (stored, or their rows late). */
    private final Map<Integer, Long> partitionFinal = new HashMap<>();
    /** Partitions Kafka gave this consumer (once it has said so: tests may drive messages without it). */
    private final TreeSet<Integer> owned = new TreeSet<>();
    private boolean assignmentsKnown;
    /** Revoked, and not yet known whether they come back (between the two halves of a rebalance). */
    private final TreeSet<Integer> revokedPending = new TreeSet<>();
    /** Newly given partitions whose progress (what their earlier owner made final) is still to be read. */
    private final TreeSet<Integer> progressUnknown = new TreeSet<>();
    private boolean prepared; // schema migrated and earlier progress restored
    private long batchesMade;
    private long closingBatchesMade;
    private long batchesDurable;
    private long closingBatchesDurable;
    private long partitionsTaken;
    private long partitionsGivenAway;
    private final Deque<Pending> pending = new ArrayDeque<>();
    private final Deque<Batch> unsettled = new ArrayDeque<>();
    private final Duration persistTimeout;
    private Duration startTimeout; // the start-up migration and restore: connecting included, so longer on TLS
    private final Duration maxBackoff;
    private final LateRowReport lateReport;
    private final LongSupplier wallMicros;
    private final long maxFutureSkewMicros;
    private final RefusedRowLetters refusedLetters = new RefusedRowLetters();
    private final Map<String, long[]> refusedSinceReport = new TreeMap<>(); // reason -> rows
    private long lastRefusedReportNanos = Long.MIN_VALUE;
    private Parked parked;

    private long lateRows;
    private long replayedRows;
    private long correctedWindows;
    private long closedWindows;
    private long rowsRead;
    /** Closed batches settled, and the sum and largest of their close latencies (watermark passed -> stored and published). */
    private long closeLatencyCount;
    private long closeLatencySumNanos;
    private long closeLatencyMaxNanos;
    private long alertsOpened;
    private long alertsResolved;
    private long deadLetters;
    private long emptyMessages;
    private long refusedRows;
    private long redelivered;
    private long republished;
    private long storeFailures;
    private long publishFailures;
    private long durableUpTo = Long.MIN_VALUE;

    private String failure; // why the head batch could not be stored or published; null when it can
    private long failingSinceNanos;
    private long lastFailureLogNanos;
    private long backoffNanos;
    private long nextAttemptNanos;
    private volatile String blockedReason;
    private boolean rebalancing; // between revoked() and assigned()
    private long foreignMessages;
    private volatile long watermark = Long.MIN_VALUE;

    public AnalyzerPipeline(ArrowIpcDecoder decoder, WindowAggregator aggregator, Watermarks watermarks, AlertEngine alerts,
                            AnalyzerStore store, Outputs outputs, LongSupplier nanoClock, String topic, Duration persistTimeout) {
        this(decoder, aggregator, watermarks, alerts, store, outputs, nanoClock, topic, persistTimeout, Duration.ofSeconds(10));
    }

    public AnalyzerPipeline(ArrowIpcDecoder decoder, WindowAggregator aggregator, Watermarks watermarks, AlertEngine alerts,
                            AnalyzerStore store, Outputs outputs, LongSupplier nanoClock, String topic, Duration persistTimeout,
                            Duration maxBackoff) {
        this(decoder, aggregator, watermarks, alerts, store, outputs, nanoClock, topic, persistTimeout, maxBackoff,
                () -> System.currentTimeMillis() * 1000, Duration.ofMinutes(1));
    }

    /**
     * {@code wallMicros}: the wall clock; a row whose time is more than {@code maxFutureSkew} ahead of it is
     * refused (dead-lettered), so that no single row moves the watermark past what is plausible.
     */
    public AnalyzerPipeline(ArrowIpcDecoder decoder, WindowAggregator aggregator, Watermarks watermarks, AlertEngine alerts,
                            AnalyzerStore store, Outputs outputs, LongSupplier nanoClock, String topic, Duration persistTimeout,
                            Duration maxBackoff, LongSupplier wallMicros, Duration maxFutureSkew) {
        this.wallMicros = wallMicros;
        this.maxFutureSkewMicros = maxFutureSkew.toNanos() / 1000;
        this.decoder = decoder;
        this.aggregator = aggregator;
        this.watermarks = watermarks;
        this.alerts = alerts;
        this.store = store;
        this.outputs = outputs;
        this.nanoClock = nanoClock;
        this.topic = topic;
        this.persistTimeout = persistTimeout;
        this.startTimeout = persistTimeout;
        this.maxBackoff = maxBackoff;
        this.lateReport = new LateRowReport(LATE_REPORT_INTERVAL_NANOS, aggregator.spec().sizeMicros());
    }

    /**
     * Migrates the schema, then {@link #restore}s; what start-up does. It may fail (PostgreSQL down): then
     * nothing is taken, readiness says why, and {@link #tick} tries again with backoff until it works.
     */
    /** How long one start attempt (schema migration, connecting included) may take before it is retried. */
    public synchronized void startTimeout(Duration timeout) {
        this.startTimeout = timeout;
    }

    public synchronized boolean start() {
        long now = nanoClock.getAsLong();
        boolean started = prepared || prepare(now);
        blockedReason = blocked(now); // readiness knows at once, before the first tick
        return started;
    }

    private boolean prepare(long now) {
        try {
            store.migrate().await().atMost(startTimeout);
            restore();
        } catch (RuntimeException e) {
            storeFailures++;
            failed("PostgreSQL: cannot start (schema, progress, open alerts): " + describe(e), now, e);
            return false;
        }
        recovered(now);
        return true;
    }

    /** Loads what earlier runs made final, the alerts they left open and the streaks toward new ones. */
    public synchronized void restore() {
        long size = aggregator.spec().sizeMillis();
        long slide = aggregator.spec().slideMicros() / 1000;
        // Progress an earlier version let a single far-future row push (year 10000, say) would make every
        // later row late: it goes back to the latest plausible window stored.
        long plausible = wallMicros.getAsLong() + maxFutureSkewMicros + aggregator.spec().sizeMicros();
        int repaired = store.repairImplausibleProgress(topic, size, slide, plausible).await().atMost(persistTimeout);
        if (repaired > 0) {
            LOG.warnf("%d partition(s) of %s had progress beyond %s (a far-future row of an earlier version): set back"
                    + " to the latest plausible window stored", repaired, topic, instant(plausible));
        }
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
        republishUnpublished();
        prepared = true;
    }

    /**
     * Windows and alert transitions an earlier run stored but Kafka never acknowledged (it stopped in between):
     * their rows are skipped as replays when read again, so they are published from PostgreSQL, first, before
     * anything this run closes. The earlier run may have had them acknowledged without recording it: then they
     * are published twice, with the same revision (a reader keeps the highest revision of a window).
     */
    private void republishUnpublished() {
        AnalyzerStore.Unpublished left = store.unpublished(aggregator.spec().sizeMillis(), aggregator.measures())
                .await().atMost(persistTimeout);
        if (left.windows().isEmpty() && left.transitions().isEmpty()) {
            return;
        }
        LOG.infof("publishing again %d window(s) and %d alert transition(s) stored by an earlier run whose publication"
                + " Kafka had not acknowledged", left.windows().size(), left.transitions().size());
        Batch again = new Batch(left.windows(), left.transitions(), List.of(), Map.of(), Long.MIN_VALUE, batchesDurable,
                closingBatchesDurable);
        again.stored = true;
        republished += left.windows().size() + left.transitions().size();
        startPublishing(again, left.windows(), nanoClock.getAsLong());
        unsettled.addFirst(again);
    }

    /**
     * Reads what is final for the partitions just given to this consumer: their earlier owner (another
     * analyzer, perhaps killed) stored windows up to some end and read some offset when it did; this consumer
     * reads them again from their last commit, and judges replayed and late rows by that, not by how far its
     * own windows have closed (the scale-out fault lost a partition's windows that way: its rows re-read from
     * the commit counted late).
     */
    private void loadProgress() {
        if (progressUnknown.isEmpty()) {
            return;
        }
        Map<Integer, PartitionProgress> stored = store.progress(topic, aggregator.spec().sizeMillis(),
                aggregator.spec().slideMicros() / 1000).await().atMost(persistTimeout);
        for (int partition : progressUnknown) {
            PartitionProgress progress = stored.get(partition);
            if (progress != null) {
                restored.put(partition, progress);
            } else {
                restored.remove(partition);
            }
            partitionFinal.put(partition, progress == null ? Long.MIN_VALUE : progress.finalUpTo());
            readThrough.remove(partition);
            maxEndFed.remove(partition);
            fedClosing.remove(partition);
        }
        LOG.infof("took partition(s) %s of %s: windows final up to %s", progressUnknown, topic,
                progressUnknown.stream().map(p -> partitionFinal.get(p) == Long.MIN_VALUE ? "none" : instant(partitionFinal.get(p))).toList());
        partitionsTaken += progressUnknown.size();
        progressUnknown.clear();
    }

    /** Whether messages may be taken as far as PostgreSQL is concerned: started, and the progress of new partitions read. */
    private boolean readyToTake(long now) {
        if (prepared && progressUnknown.isEmpty()) {
            return true;
        }
        if (failure != null && now < nextAttemptNanos) {
            return false;
        }
        if (!prepared && !prepare(now)) {
            return false;
        }
        try {
            loadProgress();
        } catch (RuntimeException e) {
            storeFailures++;
            failed("PostgreSQL: cannot read the progress of partitions " + progressUnknown + ": " + describe(e), now, e);
            return false;
        }
        recovered(now);
        return true;
    }

    /**
     * Takes one Kafka message; {@code acknowledge} is called once its windows are safely stored and
     * published. The stage completes when the message has been taken: at once, or, while results cannot
     * be stored or published, once they can again (the caller sends nothing more meanwhile).
     */
    public synchronized CompletionStage<Void> offer(int partition, long offset, byte[] key, byte[] value, Runnable acknowledge) {
        if (parked == null && accepting() && readyToTake(nanoClock.getAsLong())) {
            onMessage(partition, offset, key, value, acknowledge);
            return CompletableFuture.completedFuture(null);
        }
        if (parked != null) {
            throw new IllegalStateException("a message is offered while another waits; the caller must wait for the stage");
        }
        parked = new Parked(partition, offset, key, value, acknowledge, new CompletableFuture<>());
        return parked.taken();
    }

    /** Handles one Kafka message now, whatever the state of the outputs (tests drive it directly). */
    public synchronized void onMessage(int partition, long offset, byte[] key, byte[] value, Runnable acknowledge) {
        if (assignmentsKnown && !owned.contains(partition)) {
            // Kafka gave the partition to another consumer before this message was handled: that one reads it
            // again from the last commit. Not acknowledged (its commit would not be this consumer's to make).
            foreignMessages++;
            return;
        }
        if (progressUnknown.contains(partition)) {
            loadProgress(); // offer() does it first, with retries; a caller driving messages directly gets the error
        }
        partitions.add(partition);
        long now = nanoClock.getAsLong();
        Long readBefore = readThrough.get(partition);
        if (readBefore != null && offset <= readBefore) {
            // Read again in this run (Kafka re-delivers from the last commit after it took the partition away
            // and gave it back, as on a lost connection): its rows are in this run's windows already.
            redelivered++;
            watermarks.observe(partition, offset, Long.MIN_VALUE, now);
            // Through when everything the partition fed so far is.
            pending.addLast(new Pending(partition, maxEndFed.getOrDefault(partition, Long.MIN_VALUE),
                    fedClosing.getOrDefault(partition, 0L), -1, acknowledge));
            advance();
            return;
        }
        readThrough.put(partition, offset);
        if (value == null || value.length == 0) {
            emptyMessages++;
            deadLetter(partition, offset, key, value, value == null ? "null (tombstone) message" : "empty message (0 bytes)", acknowledge);
            watermarks.observe(partition, offset, Long.MIN_VALUE, now);
            advance();
            return;
        }
        PartitionProgress before = restored.get(partition);
        // A partition first met here (not given through assigned()) is final where this consumer's windows are.
        long finalUpTo = partitionFinal.computeIfAbsent(partition,
                p -> Math.max(aggregator.closedUpTo(), before == null ? Long.MIN_VALUE : before.finalUpTo()));
        // Read before the restart: its rows are in the windows stored then. Read after: late for them.
        long replayedUpTo = before != null && offset <= before.readThroughOffset() ? finalUpTo : Long.MIN_VALUE;
        long[] maxEnd = {Long.MIN_VALUE};
        long[] maxTs = {Long.MIN_VALUE};
        long[] late = {0};
        long[] replayed = {0};
        long[] rowsBefore = {0};
        long latestPlausible = wallMicros.getAsLong() + maxFutureSkewMicros;
        List<RefusedRowLetters.Letter> letters = new ArrayList<>(0);
        try {
            decoder.decode(value, (batch, index) -> {
                WindowAggregator.BatchResult result = aggregator.add(batch, partition, replayedUpTo, finalUpTo, latestPlausible);
                if (result.refusedRows() > 0) {
                    letters.addAll(refusedLetters.letters(batch, aggregator, result.refusedRows(), rowsBefore[0]));
                }
                rowsBefore[0] += batch.getRowCount();
                rowsRead += batch.getRowCount();
                maxEnd[0] = Math.max(maxEnd[0], result.maxWindowEnd());
                maxTs[0] = Math.max(maxTs[0], result.maxEventTs());
                late[0] += result.lateRows();
                replayed[0] += result.replayedRows();
            });
        } catch (ArrowDecodeException | IllegalArgumentException e) {
            deadLetter(partition, offset, key, value, e.getMessage(), acknowledge);
            watermarks.observe(partition, offset, Long.MIN_VALUE, now);
            advance();
            return;
        }
        lateRows += late[0];
        replayedRows += replayed[0];
        maxEndFed.merge(partition, maxEnd[0], Math::max);
        if (maxEnd[0] != Long.MIN_VALUE) {
            fedClosing.put(partition, closingBatchesMade);
        }
        watermarks.observe(partition, offset, maxTs[0], now);
        Runnable windowsDone = acknowledge;
        if (!letters.isEmpty()) {
            // Committed only when its windows are through and every one of its dead letters is on the DLQ.
            Runnable[] parts = shares(acknowledge, letters.size() + 1);
            windowsDone = parts[0];
            for (int i = 0; i < letters.size(); i++) {
                RefusedRowLetters.Letter letter = letters.get(i);
                refusedRows += letter.count();
                refusedSinceReport.computeIfAbsent(letter.why().code(), r -> new long[1])[0] += letter.count();
                outputs.deadLetterRows(key, letter.value() != null ? letter.value() : value, letter.why().code(),
                        letter.rows(), letter.count(), topic, partition, offset, parts[i + 1]);
            }
        }
        boolean correcting = late[0] > 0 && aggregator.lateCorrections();
        pending.addLast(new Pending(partition, maxEnd[0], closingBatchesMade, correcting ? batchesMade : -1, windowsDone));
        advance();
    }

    /** {@code n} runnables; {@code whole} runs once all of them have run (on whichever thread runs the last). */
    private static Runnable[] shares(Runnable whole, int n) {
        java.util.concurrent.atomic.AtomicInteger left = new java.util.concurrent.atomic.AtomicInteger(n);
        Runnable[] parts = new Runnable[n];
        for (int i = 0; i < n; i++) {
            java.util.concurrent.atomic.AtomicBoolean ran = new java.util.concurrent.atomic.AtomicBoolean();
            parts[i] = () -> {
                if (ran.compareAndSet(false, true) && left.decrementAndGet() == 0) {
                    whole.run();
                }
            };
        }
        return parts;
    }

    private void deadLetter(int partition, long offset, byte[] key, byte[] value, String reason, Runnable acknowledge) {
        deadLetters++;
        LOG.warnf("message %s-%d@%d refused: %s", topic, partition, offset, reason);
        outputs.deadLetter(key, value, reason, topic, partition, offset, acknowledge);
    }

    /**
     * Kafka gave this consumer these partitions, each to be read from the given offset (-1 if unknown); the
     * second half of a rebalance. A partition revoked in the first half and not given back went to another
     * consumer: its open windows and unacknowledged messages are left to it. A partition new to this
     * consumer is read from its last commit and judged by the progress its earlier owner stored.
     */
    public synchronized void assigned(Map<Integer, Long> nextOffsets) {
        long now = nanoClock.getAsLong();
        assignmentsKnown = true;
        for (int partition : List.copyOf(revokedPending)) {
            if (!nextOffsets.containsKey(partition)) {
                giveAway(partition);
            }
        }
        revokedPending.clear();
        rebalancing = false;
        nextOffsets.forEach((partition, next) -> {
            if (owned.add(partition)) {
                progressUnknown.add(partition);
                readThrough.remove(partition);
                maxEndFed.remove(partition);
                fedClosing.remove(partition);
            }
            watermarks.assign(partition, next, now);
        });
    }

    /** Kafka gave this consumer these partitions; where it reads them from is not known. */
    public synchronized void assigned(Iterable<Integer> assigned) {
        Map<Integer, Long> unknown = new LinkedHashMap<>();
        for (int partition : assigned) {
            unknown.put(partition, Watermarks.UNKNOWN);
        }
        assigned(unknown);
    }

    /**
     * Kafka takes these partitions away (the first half of a rebalance); whether they come back is known at
     * {@link #assigned}. Meanwhile they keep holding the watermark and nothing closes: closing on without
     * them could store their devices' windows before all their rows are read.
     */
    public synchronized void revoked(Iterable<Integer> revoked) {
        assignmentsKnown = true;
        for (int partition : revoked) {
            if (owned.contains(partition)) {
                revokedPending.add(partition);
            }
        }
        rebalancing = true;
    }

    private void giveAway(int partition) {
        owned.remove(partition);
        revokedPending.remove(partition);
        progressUnknown.remove(partition);
        watermarks.forget(partition);
        partitions.remove(partition); // its progress is the new owner's to record now
        restored.remove(partition);
        partitionFinal.remove(partition);
        readThrough.remove(partition);
        maxEndFed.remove(partition);
        fedClosing.remove(partition);
        int windows = aggregator.dropPartition(partition);
        int before = pending.size();
        pending.removeIf(message -> message.partition() == partition); // never acknowledged here: read again there
        if (parked != null && parked.partition() == partition) {
            Parked dropped = parked;
            parked = null;
            foreignMessages++;
            dropped.taken().complete(null);
        }
        partitionsGivenAway++;
        LOG.infof("partition %d of %s went to another consumer: %d open window(s) and %d unacknowledged message(s)"
                + " are left to it (it reads them again from the last commit)", partition, topic, windows, before - pending.size());
    }

    /** The partitions this consumer reads, for the end-offset queries. */
    public synchronized List<Integer> assignedPartitions() {
        List<Integer> assigned = new ArrayList<>();
        watermarks.partitions().forEach(assigned::add);
        return assigned;
    }

    /** Retries what failed, moves the watermark on with wall time (idle partitions); called periodically. */
    public synchronized void tick() {
        advance();
        long at = nanoClock.getAsLong();
        if (!prepared && unsettled.isEmpty()) {
            readyToTake(at); // retried with backoff; readiness says why meanwhile
        }
        if (parked != null && (failure == null ? unsettled.size() < MAX_UNSETTLED_BATCHES : unsettled.isEmpty())
                && readyToTake(at) && accepting()) {
            Parked taken = parked;
            parked = null;
            onMessage(taken.partition(), taken.offset(), taken.key(), taken.value(), taken.acknowledge());
            taken.taken().complete(null);
        }
        long now = nanoClock.getAsLong();
        String report = lateReport.take(now, aggregator.lateCorrections());
        if (report != null) {
            LOG.warn(report);
        }
        if (!refusedSinceReport.isEmpty()
                && (lastRefusedReportNanos == Long.MIN_VALUE || now - lastRefusedReportNanos >= LATE_REPORT_INTERVAL_NANOS)) {
            StringBuilder line = new StringBuilder("rows refused and dead-lettered (the rest of their messages windowed):");
            refusedSinceReport.forEach((reason, rows) -> line.append(' ').append(reason).append('=').append(rows[0]));
            LOG.warn(line);
            refusedSinceReport.clear();
            lastRefusedReportNanos = now;
        }
    }

    public synchronized int pendingMessages() {
        return pending.size();
    }

    private boolean accepting() {
        return failure == null && unsettled.size() < MAX_UNSETTLED_BATCHES;
    }

    private void advance() {
        long now = nanoClock.getAsLong();
        settle(now);
        Map<Long, long[]> lateTally = aggregator.drainLateTally();
        if (!lateTally.isEmpty()) {
            lateReport.add(lateTally);
        }
        if (failure == null && !rebalancing) {
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
                long finalUpTo = aggregator.closedUpTo();
                if (watermarkMoved) {
                    // The watermark held back by every partition this consumer owns: all of theirs are final now.
                    partitionFinal.replaceAll((partition, end) -> Math.max(end, finalUpTo));
                    closingBatchesMade++;
                }
                batchesMade++;
                Map<Integer, PartitionProgress> progress = new HashMap<>();
                for (int partition : partitions) {
                    progress.put(partition, new PartitionProgress(partitionFinal.getOrDefault(partition, finalUpTo),
                            readThrough.getOrDefault(partition, -1L)));
                }
                Batch cut = new Batch(closed, transitions, late, progress, finalUpTo, batchesMade, closingBatchesMade);
                cut.cutNanos = now;
                unsettled.addLast(cut);
                settle(now);
            }
        }
        String why = blocked(now);
        if (why != null && blockedReason == null) {
            LOG.warnf("not taking new messages: %s", why);
        } else if (why == null && blockedReason != null) {
            LOG.infof("taking messages again (was: %s)", blockedReason);
        }
        blockedReason = why;
    }

    /** Stores, then publishes, batches in order; acknowledges the messages whose windows are all through. */
    private void settle(long now) {
        while (!unsettled.isEmpty()) {
            Batch head = unsettled.peekFirst();
            if (failure != null && now < nextAttemptNanos) {
                return;
            }
            if (!head.stored && !store(head, now)) {
                return;
            }
            if (!published(head, now)) {
                return;
            }
            unsettled.pollFirst();
            recordPublished(head);
            durableUpTo = Math.max(durableUpTo, head.closedUpTo);
            batchesDurable = head.sequence;
            closingBatchesDurable = head.closingSequence;
            if (!head.closed.isEmpty()) {
                // The clock again, not 'now': storing (synchronous) and publishing may have happened in this very call.
                long latency = nanoClock.getAsLong() - head.cutNanos;
                closeLatencyCount++;
                closeLatencySumNanos += latency;
                closeLatencyMaxNanos = Math.max(closeLatencyMaxNanos, latency);
            }
        }
        // In arrival order: stop at the first message that still feeds a window not yet through.
        while (!pending.isEmpty() && through(pending.peekFirst())) {
            pending.pollFirst().acknowledge().run();
        }
    }

    private boolean through(Pending message) {
        boolean windows = message.maxWindowEnd() == Long.MIN_VALUE
                || (message.maxWindowEnd() <= durableUpTo && closingBatchesDurable > message.closingBatchesBefore());
        return windows && (message.batchesBefore() < 0 || batchesDurable > message.batchesBefore());
    }

    private boolean store(Batch batch, long now) {
        List<ClosedWindow> corrected;
        try {
            // Stored before anything is published or acknowledged: a failure here leaves the messages uncommitted.
            corrected = store.persist(batch.closed, batch.transitions, batch.late, topic, batch.progress,
                    aggregator.spec().sizeMillis(), aggregator.spec().slideMicros() / 1000).await().atMost(persistTimeout);
        } catch (RuntimeException e) {
            storeFailures++;
            failed("PostgreSQL: " + describe(e), now, e);
            return false;
        }
        recovered(now);
        batch.stored = true;
        closedWindows += batch.closed.size();
        correctedWindows += corrected.size();
        for (AlertTransition t : batch.transitions) {
            if (t.state() == AlertTransition.State.OPEN) {
                alertsOpened++;
            } else {
                alertsResolved++;
            }
        }
        List<ClosedWindow> published = new ArrayList<>(batch.closed);
        published.addAll(corrected);
        startPublishing(batch, published, now);
        return true;
    }

    /** Sends a stored batch's alert transitions and windows (one message per device). */
    private void startPublishing(Batch batch, List<ClosedWindow> windows, long now) {
        List<Publication> publications = new ArrayList<>();
        for (AlertTransition t : batch.transitions) {
            publications.add(new Publication(null, t));
        }
        Map<String, List<ClosedWindow>> byDevice = new LinkedHashMap<>();
        for (ClosedWindow window : windows) {
            byDevice.computeIfAbsent(window.device(), d -> new ArrayList<>()).add(window);
        }
        byDevice.values().forEach(deviceWindows -> publications.add(new Publication(deviceWindows, null)));
        batch.publications = publications;
        batch.publishStartedNanos = now;
        send(publications);
    }

    /** Records in PostgreSQL that Kafka took the batch; not waited for (if lost, a restart publishes it again). */
    private void recordPublished(Batch batch) {
        List<ClosedWindow> windows = new ArrayList<>();
        for (Publication p : batch.publications) {
            if (p.windows != null) {
                windows.addAll(p.windows);
            }
        }
        if (windows.isEmpty() && batch.transitions.isEmpty()) {
            return;
        }
        store.markPublished(windows, batch.transitions).subscribe().with(done -> { },
                error -> LOG.debugf("could not record a published batch (a restart would publish it again): %s", describe(error)));
    }

    private void send(List<Publication> publications) {
        for (Publication p : publications) {
            if (p.sent != null && !p.sent.isCompletedExceptionally()) {
                continue; // acknowledged or still in flight: never sent twice
            }
            try {
                p.sent = (p.alert != null ? outputs.alert(p.alert) : outputs.windows(p.windows)).toCompletableFuture();
            } catch (RuntimeException e) {
                p.sent = CompletableFuture.failedFuture(e);
            }
        }
    }

    /**
     * Whether every message of the batch is acknowledged by the broker. Called while failing only when the
     * backoff has passed: the failed messages are sent again first (never the acknowledged or in-flight ones).
     */
    private boolean published(Batch batch, long now) {
        if (failure != null) {
            send(batch.publications);
        }
        boolean inFlight = false;
        Throwable error = null;
        for (Publication p : batch.publications) {
            if (p.sent.isCompletedExceptionally()) {
                try {
                    p.sent.join();
                } catch (RuntimeException e) {
                    error = e.getCause() != null ? e.getCause() : e;
                }
            } else if (!p.sent.isDone()) {
                inFlight = true;
            }
        }
        if (error != null) {
            publishFailures++;
            failed("Kafka outputs: " + describe(error), now, error);
            return false;
        }
        if (inFlight) {
            return false;
        }
        recovered(now);
        return true;
    }

    private void failed(String reason, long now, Throwable error) {
        if (failure == null) {
            failingSinceNanos = now;
            backoffNanos = FIRST_BACKOFF_NANOS;
            LOG.errorf(error, "%s; retrying with backoff, new messages wait", reason);
            lastFailureLogNanos = now;
        } else {
            backoffNanos = Math.min(backoffNanos * 2, maxBackoff.toNanos());
            if (!reason.equals(failure) || now - lastFailureLogNanos >= FAILURE_LOG_INTERVAL_NANOS) {
                LOG.warnf("still failing after %d s: %s", Duration.ofNanos(now - failingSinceNanos).toSeconds(), reason);
                lastFailureLogNanos = now;
            }
        }
        failure = reason;
        nextAttemptNanos = now + backoffNanos;
    }

    private void recovered(long now) {
        if (failure != null) {
            LOG.infof("recovered after %d ms: %s", Duration.ofNanos(now - failingSinceNanos).toMillis(), failure);
            failure = null;
        }
    }

    private String blocked(long now) {
        if (!prepared && failure == null) {
            return "PostgreSQL: not started yet (schema and progress not loaded)";
        }
        if (failure != null) {
            return failure + " (failing for " + Duration.ofNanos(now - failingSinceNanos).toSeconds() + " s, next attempt in "
                    + Math.max(0, Duration.ofNanos(nextAttemptNanos - now).toMillis()) + " ms)";
        }
        Batch head = unsettled.peekFirst();
        if (head != null && head.publications != null && now - head.publishStartedNanos > PUBLISH_WARN_NANOS) {
            return "Kafka outputs: results closed " + Duration.ofNanos(now - head.publishStartedNanos).toSeconds()
                    + " s ago are not acknowledged yet";
        }
        if (unsettled.size() >= MAX_UNSETTLED_BATCHES) {
            return unsettled.size() + " batches of closed windows wait to be stored and published";
        }
        return null;
    }

    private static String describe(Throwable e) {
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    /** Why new messages are not being taken (stores or outputs failing), or null while they are. */
    public String blockedReason() {
        return blockedReason;
    }

    /** Rows decoded from messages read for the first time (windowed, late, replayed or refused). */
    public synchronized long rowsRead() {
        return rowsRead;
    }

    /** {count, sum of nanos, max nanos} of the close latencies of the batches of windows settled so far. */
    public synchronized long[] closeLatency() {
        return new long[] {closeLatencyCount, closeLatencySumNanos, closeLatencyMaxNanos};
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

    public synchronized long emptyMessages() {
        return emptyMessages;
    }

    public synchronized long refusedRows() {
        return refusedRows;
    }

    /** Windows and alert transitions published again at start, stored by an earlier run but never acknowledged. */
    public synchronized long republishedResults() {
        return republished;
    }

    public synchronized long redeliveredMessages() {
        return redelivered;
    }

    /** Messages handed over after their partition had gone to another consumer, left to it. */
    public synchronized long foreignMessages() {
        return foreignMessages;
    }

    /** Partitions this consumer took over from others (their progress read from PostgreSQL). */
    public synchronized long partitionsTaken() {
        return partitionsTaken;
    }

    /** Partitions this consumer gave to others, with their open windows. */
    public synchronized long partitionsGivenAway() {
        return partitionsGivenAway;
    }

    public synchronized long storeFailures() {
        return storeFailures;
    }

    public synchronized long publishFailures() {
        return publishFailures;
    }

    public synchronized int unsettledBatches() {
        return unsettled.size();
    }

    public synchronized long openAlerts() {
        return alerts.openAlerts();
    }

    public synchronized int openWindows() {
        return aggregator.openWindows();
    }

    public synchronized int idlePartitions() {
        return watermarks.idlePartitions(nanoClock.getAsLong());
    }

    public synchronized long kafkaLag() {
        return watermarks.lag();
    }

    /** The current watermark in µs (Long.MIN_VALUE before any data). */
    public long watermark() {
        return watermark;
    }

    static String instant(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000L).toString();
    }
}
