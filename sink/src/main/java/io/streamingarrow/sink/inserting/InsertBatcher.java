package io.streamingarrow.sink.inserting;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPOutputStream;

import org.jboss.logging.Logger;

import io.streamingarrow.sink.clickhouse.ClickHouseException;
import io.streamingarrow.sink.conversion.EncodedMessage;

/**
 * Merges encoded messages into INSERTs and keeps a bounded number of them in flight.
 *
 * <p>Threading: every method runs on the one thread of {@code pipeline} (the caller's
 * {@link #add} included); HTTP completions hop back onto it, so the state needs no locks.
 *
 * <p>Sized by backlog: while the sink is caught up, a buffer goes at {@code maxRows} or after {@code linger}
 * (small, fresh inserts). It is behind when every INSERT slot is taken (ClickHouse is the bottleneck) or when the
 * latest message was already older than {@code behindAfter} when it arrived (Kafka holds a backlog): the buffer
 * then keeps filling, up to {@code maxBytes} or for {@code behindAfter}, and goes as one larger INSERT. ClickHouse makes fewer parts and merges
 * less exactly when it is the bottleneck (deploy/bench: its CPU per row on 100 000-row inserts was 1.6-1.8 times
 * that of 500 000-row bulk inserts).
 *
 * <p>Memory bound: one buffer filling (≤ maxBytes plus one message), full buffers waiting
 * for a slot (in practice one, at most two: {@link #add} returns a stage that completes only when none
 * is waiting, so a caller that waits for it — the Kafka consumer — stops reading while ClickHouse is
 * slow or down), and {@code maxInFlight} INSERTs. The bodies live in {@link InsertMemory} (pooled, off the heap)
 * from the message's {@link #add} to ClickHouse's last answer, and the caller pauses as well while that memory is at
 * its limit, which bounds all of it; the batcher keeps no reference to a message's own bytes.
 */
public final class InsertBatcher {

    private static final Logger LOG = Logger.getLogger(InsertBatcher.class);

    /** Buffer limits and flow control. */
    public record Limits(int maxRows, long maxBytes, long lingerMillis, int maxInFlight, Backoff backoff,
                         int rejectedAttempts, boolean gzip, long behindAfterMillis) {

        /** Sized by slots alone: never behind because of a message's age. */
        public Limits(int maxRows, long maxBytes, long lingerMillis, int maxInFlight, Backoff backoff,
                      int rejectedAttempts, boolean gzip) {
            this(maxRows, maxBytes, lingerMillis, maxInFlight, backoff, rejectedAttempts, gzip, Long.MAX_VALUE);
        }
    }

    /** {@code originalAt} is where the message's own bytes start in the batch's {@code originals}, -1 if not kept. */
    private record Entry(Delivery delivery, long originalAt, int originalLength) {
    }

    private final class Batch {
        final String sql;
        final List<Entry> entries = new ArrayList<>();
        final long startedAt = System.nanoTime();
        long rows;
        /** The messages' Native blocks, back to back, until ClickHouse has answered for the last time. */
        final InsertBody data;
        /** The messages' own bytes, back to back, for the dead letters if ClickHouse refuses the INSERT for good. */
        final InsertBody originals;
        /** What is sent: the data (or its gzip), built on the first attempt and kept for the retries. */
        List<ByteBuffer> body;
        long bodyBytes;

        Batch(String sql, InsertMemory memory) {
            this.sql = sql;
            this.data = new InsertBody(memory);
            this.originals = new InsertBody(memory);
        }

        long bytes() {
            return data.size();
        }
    }

    private final Limits limits;
    private final InsertTransport transport;
    private final ScheduledExecutorService pipeline;
    private final InsertMetrics metrics;
    private final InsertMemory memory;
    private final AtomicLong bufferedRows = new AtomicLong();
    private final AtomicLong bufferedBytes = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();

    private Batch filling;
    /** Full buffers waiting for an INSERT slot; the caller waits while this is not empty, so it stays short. */
    private final java.util.ArrayDeque<Batch> waiting = new java.util.ArrayDeque<>();
    private CompletableFuture<Void> drained;
    /** Whether the latest message was older than behindAfter when it arrived: Kafka holds a backlog. */
    private boolean lagging;

    public InsertBatcher(Limits limits, InsertTransport transport, ScheduledExecutorService pipeline, InsertMetrics metrics,
                         InsertMemory memory) {
        this.limits = limits;
        this.memory = memory;
        this.transport = transport;
        this.pipeline = pipeline;
        this.metrics = metrics;
        long tick = Math.max(10, Math.min(100, limits.lingerMillis() / 4));
        pipeline.scheduleWithFixedDelay(this::lingerCheck, tick, tick, TimeUnit.MILLISECONDS);
    }

    /** Buffers {@code message}; call on the pipeline thread. The stage completes when the next may be added. */
    public CompletionStage<Void> add(EncodedMessage message, Delivery delivery) {
        return add(message, delivery, 0);
    }

    /** As {@link #add(EncodedMessage, Delivery)}, for a message that was {@code ageMillis} old when it arrived. */
    public CompletionStage<Void> add(EncodedMessage message, Delivery delivery, long ageMillis) {
        return add(message, null, delivery, ageMillis);
    }

    /**
     * As {@link #add(EncodedMessage, Delivery, long)}, keeping a copy of {@code original} (the message's value) with
     * the INSERT's body, off the heap, for {@link Delivery#rejected}: the caller need not hold on to it.
     */
    public CompletionStage<Void> add(EncodedMessage message, byte[] original, Delivery delivery, long ageMillis) {
        lagging = ageMillis > limits.behindAfterMillis();
        if (message.rows() == 0) {
            delivery.inserted();
            return waitingStage();
        }
        String sql = message.plan().insertSql();
        if (filling != null && !filling.sql.equals(sql)) {
            flush(); // a different column list cannot share the INSERT
        }
        if (filling == null) {
            filling = new Batch(sql, memory);
        }
        // Copied now: the encoder reuses its array for the next message.
        filling.data.append(message.nativeBlocks(), 0, message.nativeLength());
        long originalAt = -1;
        if (original != null) {
            originalAt = filling.originals.size();
            filling.originals.append(original, 0, original.length);
        }
        filling.entries.add(new Entry(delivery, originalAt, original == null ? 0 : original.length));
        filling.rows += message.rows();
        bufferedRows.addAndGet(message.rows());
        bufferedBytes.addAndGet(message.nativeLength());
        if (filling.bytes() >= limits.maxBytes() || (filling.rows >= limits.maxRows() && slotFree() && !lagging)
                || memory.full()) {
            flush(); // full memory: what is buffered goes (or waits for a slot), and the caller pauses below
        }
        return waitingStage();
    }

    /** How long a buffer may wait: linger when caught up, behindAfter while Kafka holds a backlog. */
    private long lingerNanos() {
        return TimeUnit.MILLISECONDS.toNanos(lagging ? Math.max(limits.lingerMillis(), limits.behindAfterMillis())
                : limits.lingerMillis());
    }

    private boolean slotFree() {
        return waiting.isEmpty() && inFlight.get() < limits.maxInFlight();
    }

    /**
     * The caller waits while a full buffer waits for a slot, or while {@link InsertMemory} is at its limit (what the
     * INSERTs in flight, waiting and filling hold): it resumes when an INSERT is settled and gives its memory back.
     */
    private boolean paused() {
        return !waiting.isEmpty() || memory.full();
    }

    private CompletionStage<Void> waitingStage() {
        if (!paused()) {
            return CompletableFuture.completedFuture(null);
        }
        if (drained == null) {
            drained = new CompletableFuture<>();
        }
        return drained;
    }

    private void lingerCheck() {
        try {
            if (filling != null && slotFree() && System.nanoTime() - filling.startedAt >= lingerNanos()) {
                flush();
            }
        } catch (RuntimeException e) {
            LOG.error("linger flush failed", e);
        }
    }

    private void flush() {
        Batch batch = filling;
        filling = null;
        if (batch == null) {
            return;
        }
        if (waiting.isEmpty() && inFlight.get() < limits.maxInFlight()) {
            dispatch(batch);
        } else {
            waiting.add(batch);
            if (drained == null) {
                drained = new CompletableFuture<>();
            }
        }
    }

    private void dispatch(Batch batch) {
        inFlight.incrementAndGet();
        bufferedRows.addAndGet(-batch.rows);
        bufferedBytes.addAndGet(-batch.bytes());
        attempt(batch, 1, System.nanoTime());
    }

    private void attempt(Batch batch, int attempt, long startNanos) {
        CompletionStage<Void> answer;
        try {
            if (batch.body == null) {
                batch.body = body(batch);
                batch.bodyBytes = batch.body.stream().mapToLong(ByteBuffer::remaining).sum();
            }
            answer = transport.insert(batch.sql, batch.body, limits.gzip());
        } catch (RuntimeException | OutOfMemoryError e) {
            // Nothing reached the server (no heap for the body, the request could not start): a failed
            // attempt like any other, retried below. Thrown from here it would leave the slot taken forever.
            answer = CompletableFuture.failedFuture(e);
        }
        answer.whenComplete((ok, failure) -> pipeline.execute(() -> {
            try {
                answered(batch, attempt, startNanos, failure);
            } catch (RuntimeException | OutOfMemoryError e) {
                // A task's exception would vanish inside the executor and the batch with it.
                LOG.error("handling the answer to an INSERT failed", e);
            }
        }));
    }

    private void answered(Batch batch, int attempt, long startNanos, Throwable failure) {
        if (failure == null) {
            metrics.inserted(batch.rows, batch.bodyBytes, System.nanoTime() - startNanos);
            settle(batch, null);
            return;
        }
        boolean transientFailure = ClickHouseException.isTransient(failure);
        if (transientFailure || attempt < limits.rejectedAttempts()) {
            long delay = limits.backoff().delayMillis(attempt);
            metrics.retried(transientFailure);
            LOG.warnf("INSERT of %d rows failed (attempt %d, %s), retrying in %d ms: %s", batch.rows, attempt,
                    transientFailure ? "transient" : "refused", delay, rootMessage(failure));
            pipeline.schedule(() -> attempt(batch, attempt + 1, startNanos), delay, TimeUnit.MILLISECONDS);
            return;
        }
        LOG.errorf("INSERT of %d rows refused %d times, dead-lettering its %d messages: %s", batch.rows, attempt,
                batch.entries.size(), rootMessage(failure));
        metrics.rejected(batch.rows);
        settle(batch, failure);
    }

    private void settle(Batch batch, Throwable failure) {
        // ClickHouse has answered for the last time: nothing reads the body any more.
        batch.data.release();
        batch.body = null;
        for (Entry entry : batch.entries) {
            try {
                if (failure == null) {
                    entry.delivery().inserted();
                } else {
                    entry.delivery().rejected(failure, entry.originalAt() < 0 ? null
                            : batch.originals.read(entry.originalAt(), entry.originalLength()));
                }
            } catch (RuntimeException e) {
                LOG.error("settling a message failed", e);
            }
        }
        batch.originals.release();
        inFlight.decrementAndGet();
        while (!waiting.isEmpty() && inFlight.get() < limits.maxInFlight()) {
            dispatch(waiting.poll());
        }
        if (filling != null && filling.rows >= limits.maxRows() && slotFree() && !lagging) {
            flush(); // grew past maxRows while every slot was taken: it goes now, as one larger INSERT
        }
        if (!paused() && drained != null) {
            CompletableFuture<Void> done = drained;
            drained = null;
            done.complete(null);
        }
    }

    private List<ByteBuffer> body(Batch batch) {
        if (!limits.gzip()) {
            // The pooled chunks as they are: no copy of the rows into one array.
            return batch.data.views();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(Integer.MAX_VALUE - 8, batch.bytes() / 4));
        try (GZIPOutputStream gzip = new GZIPOutputStream(out, 1 << 16)) {
            InsertBody.writeTo(batch.data.views(), gzip, new byte[1 << 16]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return List.of(ByteBuffer.wrap(out.toByteArray()));
    }

    private static String rootMessage(Throwable failure) {
        Throwable t = failure;
        while (t.getCause() != null && !(t instanceof ClickHouseException)) {
            t = t.getCause();
        }
        return t.getMessage();
    }

    public long bufferedRows() {
        return bufferedRows.get();
    }

    public long bufferedBytes() {
        return bufferedBytes.get();
    }

    public int inFlight() {
        return inFlight.get();
    }
}
