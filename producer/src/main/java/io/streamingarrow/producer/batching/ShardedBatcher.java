package io.streamingarrow.producer.batching;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import org.apache.arrow.memory.BufferAllocator;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.streamingarrow.shared.contract.DeviceShards;
import io.streamingarrow.shared.batch.SeedBatchBuilder;
import io.streamingarrow.shared.ipc.ArrowIpcEncoder;

/**
 * Turns rows from any number of threads into Arrow record batches, one builder per device shard, and
 * hands each full (or lingering) batch to a {@link BatchSink}.
 *
 * <p>Backpressure: at most {@code maxInFlight} batches are between here and the sink's acknowledgement.
 * A row that needs a flush when no slot is free is refused ({@link #tryAppend}) or waits for a slot
 * ({@link #appendWaiting}); nothing queues without bound. Memory is bounded by the shards' builders
 * (max-rows each) plus the in-flight encoded batches.
 *
 * <p>Acknowledgements: every batch has a {@link BatchTicket}; {@link #tryAppendForAck} returns the ticket
 * of the batch the row went into, and {@link #requestFlush} asks for those batches to leave without
 * waiting for linger. A requested lane flushes at once when none of its batches is in flight, otherwise
 * as soon as its in-flight batch is acknowledged (see {@link #onFlushWanted}): rows of concurrent
 * requests gather meanwhile, one round trip to Kafka at most, and go out as one batch.
 */
public final class ShardedBatcher implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ShardedBatcher.class);

    /** Limits of one batcher. */
    public record Limits(int maxRows, long maxBytes, Duration linger, int maxInFlight) {
        public Limits {
            if (maxRows <= 0 || maxBytes <= 0 || maxInFlight <= 0 || linger.isNegative()) {
                throw new IllegalArgumentException("batching limits must be positive: " + maxRows + " rows, "
                        + maxBytes + " bytes, " + maxInFlight + " in flight, linger " + linger);
            }
        }
    }

    private final DeviceShards shards;
    private final Limits limits;
    private final ArrowIpcEncoder encoder;
    private final BatchSink sink;
    private final LongSupplier nanoClock;
    private final Lane[] lanes;
    private final Semaphore inFlight;
    private final AtomicLong inFlightBytes = new AtomicLong();
    private final AtomicLong sequence = new AtomicLong();
    private volatile boolean closed;
    /** Lanes with a flush requested and not yet done; read without a lock to decide whether to wake anyone. */
    private final AtomicInteger lanesWantingFlush = new AtomicInteger();
    private volatile Runnable flushWanted = () -> { };

    private final Counter[] flushes = new Counter[FlushReason.values().length];
    private final Counter rowsPublished;
    private final Counter batchesPublished;
    private final Counter bytesPublished;
    private final Counter batchesFailed;
    private final Counter saturations;
    private final DistributionSummary batchRows;
    private final DistributionSummary compressionRatio;
    private final Timer publishLatency;

    public ShardedBatcher(BufferAllocator allocator, DeviceShards shards, Limits limits, ArrowIpcEncoder encoder,
                          BatchSink sink, MeterRegistry meters, LongSupplier nanoClock) {
        this.shards = shards;
        this.limits = limits;
        this.encoder = encoder;
        this.sink = sink;
        this.nanoClock = nanoClock;
        this.inFlight = new Semaphore(limits.maxInFlight());
        this.lanes = new Lane[shards.count()];
        try {
            for (int i = 0; i < lanes.length; i++) {
                lanes[i] = new Lane(i, shards.key(i), new SeedBatchBuilder(allocator, limits.maxRows()));
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        for (FlushReason reason : FlushReason.values()) {
            flushes[reason.ordinal()] = Counter.builder("producer.batches.flushed").tag("reason", reason.tag())
                    .description("Batches flushed, by the limit that flushed them").register(meters);
        }
        rowsPublished = Counter.builder("producer.rows.published").description("Rows acknowledged by Kafka").register(meters);
        batchesPublished = Counter.builder("producer.batches.published").description("Batches acknowledged by Kafka").register(meters);
        bytesPublished = Counter.builder("producer.bytes.published").baseUnit("bytes")
                .description("Arrow IPC bytes acknowledged by Kafka").register(meters);
        batchesFailed = Counter.builder("producer.batches.failed").description("Batches Kafka finally refused").register(meters);
        // Counted where a source is refused a row, not on every linger tick that finds no slot.
        saturations = Counter.builder("producer.backpressure.saturated")
                .description("Rows refused because every in-flight slot was taken").register(meters);
        batchRows = DistributionSummary.builder("producer.batch.rows").description("Rows per flushed batch")
                .publishPercentiles(0.5, 0.99).register(meters);
        compressionRatio = DistributionSummary.builder("producer.batch.compression.ratio")
                .description("Uncompressed column bytes / encoded message bytes").register(meters);
        publishLatency = Timer.builder("producer.publish.latency").description("Flush to Kafka acknowledgement")
                .publishPercentiles(0.5, 0.99).register(meters);
        Gauge.builder("producer.batches.inflight", inFlight, s -> limits.maxInFlight() - s.availablePermits())
                .description("Batches sent to Kafka and not yet acknowledged").register(meters);
        Gauge.builder("producer.batches.inflight.limit", limits, Limits::maxInFlight).register(meters);
        Gauge.builder("producer.inflight.bytes", inFlightBytes, AtomicLong::get).baseUnit("bytes").register(meters);
        Gauge.builder("producer.buffer.bytes", this, ShardedBatcher::bufferedBytes).baseUnit("bytes")
                .description("Arrow memory held by the shard builders").register(meters);
        Gauge.builder("producer.buffer.rows", this, ShardedBatcher::bufferedRows)
                .description("Rows waiting in the shard builders").register(meters);
    }

    /** Appends a row unless the batcher is saturated; never blocks on Kafka. */
    public boolean tryAppend(byte[] deviceUtf8, long tsMicros, float cpuUsed, float cpuFree, float memoryUsed,
                             float memoryFree, int runElapsedMs) {
        return append(deviceUtf8, tsMicros, cpuUsed, cpuFree, memoryUsed, memoryFree, runElapsedMs, 0);
    }

    /** Appends a row, waiting up to {@code timeout} for an in-flight slot when a flush is due. */
    public boolean appendWaiting(byte[] deviceUtf8, long tsMicros, float cpuUsed, float cpuFree, float memoryUsed,
                                 float memoryFree, int runElapsedMs, Duration timeout) {
        return append(deviceUtf8, tsMicros, cpuUsed, cpuFree, memoryUsed, memoryFree, runElapsedMs, timeout.toNanos());
    }

    private boolean append(byte[] device, long ts, float cpuUsed, float cpuFree, float memoryUsed, float memoryFree,
                           int runElapsedMs, long waitNanos) {
        Lane lane = lanes[shards.shardOf(device)];
        synchronized (lane) {
            if (closed) {
                return false;
            }
            if (makeRoom(lane)) {
                lane.builder.append(device, ts, cpuUsed, cpuFree, memoryUsed, memoryFree, runElapsedMs);
                afterAppend(lane);
                return true;
            }
        }
        // Wait for a slot without holding the lane: other sources of this shard (HTTP, host metrics) and the
        // linger tick must get their answer at once, not after this source's wait for Kafka.
        if (waitNanos <= 0 || !acquireSlot(waitNanos)) {
            saturations.increment();
            return false;
        }
        synchronized (lane) {
            if (closed) {
                inFlight.release();
                return false;
            }
            FlushReason due = due(lane);
            if (due != null) {
                handOver(lane, due);
            } else {
                inFlight.release(); // another thread flushed the lane meanwhile
            }
            lane.builder.append(device, ts, cpuUsed, cpuFree, memoryUsed, memoryFree, runElapsedMs);
            afterAppend(lane);
            return true;
        }
    }

    /** Appends a row whose measures may be null (HTTP ingest); never blocks on Kafka. */
    public boolean tryAppendNullable(String device, long tsMicros, Float cpuUsed, Float cpuFree, Float memoryUsed,
                                     Float memoryFree, Integer runElapsedMs) {
        return tryAppendForAck(device, tsMicros, cpuUsed, cpuFree, memoryUsed, memoryFree, runElapsedMs) != null;
    }

    /**
     * Appends a row whose measures may be null and returns the ticket of the batch it went into, or null
     * when the batcher is saturated (nothing was appended). Never blocks on Kafka.
     */
    public BatchTicket tryAppendForAck(String device, long tsMicros, Float cpuUsed, Float cpuFree, Float memoryUsed,
                                       Float memoryFree, Integer runElapsedMs) {
        Lane lane = lanes[shards.shardOf(device.getBytes(StandardCharsets.UTF_8))];
        synchronized (lane) {
            if (closed) {
                return null;
            }
            if (!makeRoom(lane)) {
                saturations.increment();
                return null;
            }
            lane.builder.appendNullable(device, tsMicros, cpuUsed, cpuFree, memoryUsed, memoryFree, runElapsedMs);
            return afterAppend(lane);
        }
    }

    /**
     * Asks for the batches of these tickets to be flushed now rather than at linger: each lane whose open
     * batch is one of them flushes at once if it has no batch in flight and a slot is free; otherwise
     * when its in-flight batch is acknowledged or a slot frees up ({@link #flushRequested}).
     */
    public void requestFlush(Iterable<BatchTicket> tickets) {
        for (BatchTicket ticket : tickets) {
            Lane lane = lanes[ticket.shard()];
            synchronized (lane) {
                if (closed || lane.ticket != ticket) {
                    continue; // already flushed (or failed): nothing left to ask for
                }
                if (!lane.flushRequested) {
                    lane.flushRequested = true;
                    lanesWantingFlush.incrementAndGet();
                }
                flushIfRequested(lane);
            }
        }
    }

    /**
     * Flushes the lanes whose flush was requested and that can go now. Called when a batch is acknowledged
     * (through {@link #onFlushWanted}) and on every linger tick, as a fallback.
     */
    public void flushRequested() {
        if (lanesWantingFlush.get() == 0) {
            return;
        }
        for (Lane lane : lanes) {
            synchronized (lane) {
                if (!closed) {
                    flushIfRequested(lane);
                }
            }
        }
    }

    /**
     * Called, on Kafka's acknowledgement thread, when a batch settled while some lane waits for a requested
     * flush. It should hand {@link #flushRequested} to another thread: encoding a batch does not belong on
     * Kafka's I/O thread.
     */
    public void onFlushWanted(Runnable wake) {
        this.flushWanted = wake;
    }

    /** Lanes whose flush was requested and has not happened yet. */
    public int lanesWantingFlush() {
        return lanesWantingFlush.get();
    }

    /** True when every in-flight slot is taken: the next full batch could not be flushed. */
    public boolean saturated() {
        return inFlight.availablePermits() == 0;
    }

    /** Flushes every batch whose first row has waited {@code linger}, and requested flushes that can go; called periodically. */
    public void flushLingering() {
        long now = nanoClock.getAsLong();
        for (Lane lane : lanes) {
            synchronized (lane) {
                if (!closed && !lane.builder.isEmpty() && now - lane.firstRowNanos >= limits.linger().toNanos()) {
                    flush(lane, FlushReason.LINGER, 0);
                }
            }
        }
        flushRequested();
    }

    /**
     * Flushes everything and waits until the sink acknowledged every batch, for shutdown. Returns false
     * if that did not happen within {@code timeout}.
     */
    public boolean drain(Duration timeout) {
        long deadline = nanoClock.getAsLong() + timeout.toNanos();
        boolean complete = true;
        for (Lane lane : lanes) {
            synchronized (lane) {
                if (!lane.builder.isEmpty() && !flush(lane, FlushReason.SHUTDOWN, Math.max(0, deadline - nanoClock.getAsLong()))) {
                    LOG.errorf("shutdown: %d rows of %s could not be flushed: Kafka did not acknowledge in time",
                            lane.builder.rowCount(), lane.key);
                    complete = false;
                }
            }
        }
        try {
            if (inFlight.tryAcquire(limits.maxInFlight(), Math.max(0, deadline - nanoClock.getAsLong()), TimeUnit.NANOSECONDS)) {
                inFlight.release(limits.maxInFlight());
                return complete && failedBatches() == 0;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    public long bufferedBytes() {
        long bytes = 0;
        for (Lane lane : lanes) {
            bytes += lane.builder.allocatedBytes();
        }
        return bytes;
    }

    public long bufferedRows() {
        long rows = 0;
        for (Lane lane : lanes) {
            rows += lane.builder.rowCount();
        }
        return rows;
    }

    /** Rows acknowledged by the sink since start. */
    public long publishedRows() {
        return (long) rowsPublished.count();
    }

    /** Batches handed to the sink and not yet acknowledged. */
    public int batchesInFlight() {
        return limits.maxInFlight() - inFlight.availablePermits();
    }

    public int maxInFlight() {
        return limits.maxInFlight();
    }

    /** Batches the sink finally refused since start. */
    public long failedBatches() {
        return (long) batchesFailed.count();
    }

    /** Flushes the lane first if it is full and a slot is free now; false when the row cannot go in. */
    private boolean makeRoom(Lane lane) {
        FlushReason due = due(lane);
        return due == null || flush(lane, due, 0);
    }

    /** Starts the batch's ticket with its first row, flushes a full batch; returns the ticket of the row's batch. */
    private BatchTicket afterAppend(Lane lane) {
        if (lane.builder.rowCount() == 1) {
            lane.firstRowNanos = nanoClock.getAsLong();
            lane.ticket = new BatchTicket(lane.index);
        }
        BatchTicket ticket = lane.ticket;
        FlushReason due = due(lane);
        if (due != null) {
            flush(lane, due, 0); // if no slot is free now, the next append (or the linger tick) tries again
        }
        return ticket;
    }

    /** A requested flush goes when the lane has no batch in flight (else its ack brings it back here). Lane lock held. */
    private void flushIfRequested(Lane lane) {
        if (!lane.flushRequested) {
            return;
        }
        if (lane.builder.isEmpty()) {
            clearFlushRequest(lane);
        } else if (lane.inFlight.get() == 0) {
            flush(lane, FlushReason.REQUESTED, 0); // no slot free: a settling batch wakes us again
        }
    }

    private void clearFlushRequest(Lane lane) {
        if (lane.flushRequested) {
            lane.flushRequested = false;
            lanesWantingFlush.decrementAndGet();
        }
    }

    private FlushReason due(Lane lane) {
        if (lane.builder.isFull()) {
            return FlushReason.ROWS;
        }
        return lane.builder.dataBytes() >= limits.maxBytes() ? FlushReason.BYTES : null;
    }

    /** Encodes and hands over the lane's batch if an in-flight slot frees up within {@code waitNanos}. Lane lock held. */
    private boolean flush(Lane lane, FlushReason reason, long waitNanos) {
        if (!acquireSlot(waitNanos)) {
            return false;
        }
        handOver(lane, reason);
        return true;
    }

    /** Encodes the lane's batch and hands it to the sink; the caller holds the lane lock and an in-flight slot. */
    private void handOver(Lane lane, FlushReason reason) {
        int rows = lane.builder.rowCount();
        long dataBytes = lane.builder.dataBytes();
        BatchTicket ticket = lane.ticket;
        lane.ticket = null;
        clearFlushRequest(lane);
        byte[] bytes;
        try {
            bytes = lane.builder.encodeAndReset(encoder);
        } catch (RuntimeException e) {
            inFlight.release();
            batchesFailed.increment();
            if (ticket != null) {
                ticket.failed(e); // the rows are gone with the builder's reset: their sources must hear it
            }
            throw e;
        }
        EncodedBatch batch = new EncodedBatch(lane.key, sequence.incrementAndGet(), rows, dataBytes, bytes, reason);
        flushes[reason.ordinal()].increment();
        batchRows.record(rows);
        compressionRatio.record((double) dataBytes / bytes.length);
        inFlightBytes.addAndGet(bytes.length);
        lane.inFlight.incrementAndGet();
        long started = nanoClock.getAsLong();
        CompletionStage<Void> acknowledged;
        try {
            acknowledged = sink.publish(batch);
        } catch (RuntimeException e) {
            settle(lane, batch, ticket, started, e); // the rows left the builder; the failure is counted, logged, told
            return;
        }
        acknowledged.whenComplete((ok, error) -> settle(lane, batch, ticket, started, error));
    }

    private void settle(Lane lane, EncodedBatch batch, BatchTicket ticket, long started, Throwable error) {
        inFlightBytes.addAndGet(-batch.bytes().length);
        lane.inFlight.decrementAndGet();
        inFlight.release();
        if (error == null) {
            publishLatency.record(nanoClock.getAsLong() - started, TimeUnit.NANOSECONDS);
            batchesPublished.increment();
            rowsPublished.increment(batch.rows());
            bytesPublished.increment(batch.bytes().length);
        } else {
            batchesFailed.increment();
            LOG.errorf(error, "batch %d (%s, %d rows) was not stored in Kafka", batch.sequence(), batch.key(), batch.rows());
        }
        if (lanesWantingFlush.get() > 0) {
            flushWanted.run();
        }
        if (ticket != null) {
            if (error == null) {
                ticket.acknowledged();
            } else {
                ticket.failed(error);
            }
        }
    }

    private boolean acquireSlot(long waitNanos) {
        if (waitNanos <= 0) {
            return inFlight.tryAcquire();
        }
        try {
            return inFlight.tryAcquire(waitNanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Frees the builders; rows offered afterwards are refused, and rows still in a builder fail their tickets. */
    @Override
    public void close() {
        closed = true;
        for (Lane lane : lanes) {
            if (lane != null) {
                synchronized (lane) {
                    if (lane.ticket != null) {
                        lane.ticket.failed(new IllegalStateException("the producer closed before "
                                + lane.builder.rowCount() + " rows of " + lane.key + " were flushed"));
                        lane.ticket = null;
                    }
                    lane.builder.close();
                }
            }
        }
    }

    /** One shard's builder; its monitor guards it, except {@code inFlight}, which acknowledgements update. */
    private static final class Lane {
        final int index;
        final String key;
        final SeedBatchBuilder builder;
        long firstRowNanos;
        /** The ticket of the batch being built; null while the builder is empty. */
        BatchTicket ticket;
        boolean flushRequested;
        /** This lane's batches sent and not yet settled. */
        final AtomicInteger inFlight = new AtomicInteger();

        Lane(int index, String key, SeedBatchBuilder builder) {
            this.index = index;
            this.key = key;
            this.builder = builder;
        }
    }
}
