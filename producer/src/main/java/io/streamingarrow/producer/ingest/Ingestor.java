package io.streamingarrow.producer.ingest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

import io.streamingarrow.producer.batching.BatchTicket;
import io.streamingarrow.producer.batching.ShardedBatcher;

/**
 * Parses an ingest body, appends its valid events to the batcher (stopping when it is saturated) and
 * asks for their batches to be flushed at once; {@link Submission#whenStored} then says which of them
 * Kafka stored.
 */
public final class Ingestor {

    private final EventParser parser;
    private final ShardedBatcher batcher;

    public Ingestor(EventParser parser, ShardedBatcher batcher) {
        this.parser = parser;
        this.batcher = batcher;
    }

    public boolean saturated() {
        return batcher.saturated();
    }

    /** What {@link #submit} took into batches, without waiting for Kafka. */
    public IngestOutcome ingest(byte[] body, long nowMicros) {
        return submit(body, nowMicros).takenOutcome();
    }

    /** Parses the body, appends its valid events and requests the flush of the batches they went into. */
    public Submission submit(byte[] body, long nowMicros) {
        EventParser.Result parsed = parser.parse(body, nowMicros);
        List<IngestEvent> events = parsed.events();
        int[] lines = new int[events.size()];
        int[] ticketOf = new int[events.size()];
        List<BatchTicket> tickets = new ArrayList<>();
        Map<BatchTicket, Integer> indexOf = new IdentityHashMap<>();
        int taken = 0;
        Integer saturatedAt = null;
        for (IngestEvent e : events) {
            BatchTicket ticket = batcher.tryAppendForAck(e.device(), e.tsMicros(), e.cpuUsed(), e.cpuFree(),
                    e.memoryUsed(), e.memoryFree(), e.runElapsedMs());
            if (ticket == null) {
                saturatedAt = e.line();
                break;
            }
            Integer index = indexOf.get(ticket);
            if (index == null) {
                index = tickets.size();
                indexOf.put(ticket, index);
                tickets.add(ticket);
            }
            lines[taken] = e.line();
            ticketOf[taken] = index;
            taken++;
        }
        batcher.requestFlush(tickets);
        return new Submission(parsed.rejections(), lines, ticketOf, taken, tickets, saturatedAt, events.size() - taken);
    }

    /**
     * One body's events in the batcher. Holds 8 bytes per taken event (its line and batch) and the tickets
     * of the distinct batches: no event objects, no body.
     */
    public static final class Submission {
        private final List<Rejection> rejections;
        private final int[] lines;
        private final int[] ticketOf;
        private final int taken;
        private final List<BatchTicket> tickets;
        private final Integer saturatedAtLine;
        private final int notAttempted;

        Submission(List<Rejection> rejections, int[] lines, int[] ticketOf, int taken, List<BatchTicket> tickets,
                   Integer saturatedAtLine, int notAttempted) {
            this.rejections = rejections;
            this.lines = lines;
            this.ticketOf = ticketOf;
            this.taken = taken;
            this.tickets = tickets;
            this.saturatedAtLine = saturatedAtLine;
            this.notAttempted = notAttempted;
        }

        /** Events taken into batches: what will be stored if Kafka acknowledges. */
        public int takenEvents() {
            return taken;
        }

        /** The outcome as far as the batcher knows: every taken event counted as accepted. */
        IngestOutcome takenOutcome() {
            return new IngestOutcome(taken, rejections, saturatedAtLine, notAttempted);
        }

        /** The distinct batches this body's events went into. */
        public List<BatchTicket> tickets() {
            return tickets;
        }

        /**
         * Completes, on {@code executor}, once every batch holding this body's events was acknowledged or
         * refused by Kafka, or after {@code timeout}, whichever comes first, with what was stored.
         */
        public CompletionStage<IngestOutcome> whenStored(Duration timeout, Executor executor) {
            if (tickets.isEmpty()) {
                return CompletableFuture.completedFuture(outcome(timeout));
            }
            CompletableFuture<?>[] stored = new CompletableFuture<?>[tickets.size()];
            for (int i = 0; i < stored.length; i++) {
                stored[i] = tickets.get(i).stored().toCompletableFuture();
            }
            return CompletableFuture.allOf(stored)
                    .handle((ok, error) -> (Void) null) // a refusal is an answer too; outcome() reads each ticket
                    .completeOnTimeout(null, timeout.toNanos(), TimeUnit.NANOSECONDS)
                    .thenApplyAsync(ignored -> outcome(timeout), executor);
        }

        /** The outcome from each ticket's state now: stored, refused, or still pending. */
        IngestOutcome outcome(Duration waited) {
            String[] reasons = new String[tickets.size()];
            boolean[] pending = new boolean[tickets.size()];
            for (int i = 0; i < reasons.length; i++) {
                BatchTicket ticket = tickets.get(i);
                if (ticket.isStored()) {
                    continue;
                }
                Throwable failure = ticket.failure();
                if (failure == null) {
                    pending[i] = true;
                    reasons[i] = "Kafka did not acknowledge within " + waited.toMillis()
                            + " ms; the events may still be stored, so a resend may duplicate them";
                } else {
                    reasons[i] = "Kafka did not store the batch: " + failure;
                }
            }
            // Runs of events that are next to each other in the body (no stored or rejected line between)
            // and share a reason: one entry for a whole body when Kafka is down.
            int accepted = 0;
            List<IngestOutcome.NotStored> notStored = new ArrayList<>();
            int runStart = -1;
            for (int i = 0; i < taken; i++) {
                String reason = reasons[ticketOf[i]];
                if (reason == null) {
                    accepted++;
                }
                boolean extendsRun = runStart >= 0 && reason != null && reason.equals(reasons[ticketOf[runStart]])
                        && lines[i] - lines[i - 1] <= 1;
                if (runStart >= 0 && !extendsRun) {
                    notStored.add(run(runStart, i, reasons, pending));
                    runStart = -1;
                }
                if (reason != null && runStart < 0) {
                    runStart = i;
                }
            }
            if (runStart >= 0) {
                notStored.add(run(runStart, taken, reasons, pending));
            }
            return new IngestOutcome(accepted, rejections, saturatedAtLine, notAttempted, notStored);
        }

        private IngestOutcome.NotStored run(int from, int to, String[] reasons, boolean[] pending) {
            int ticket = ticketOf[from];
            return new IngestOutcome.NotStored(lines[from], lines[to - 1], to - from, reasons[ticket], pending[ticket]);
        }
    }
}
