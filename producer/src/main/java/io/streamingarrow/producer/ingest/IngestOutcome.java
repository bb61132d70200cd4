package io.streamingarrow.producer.ingest;

import java.util.List;

/**
 * What happened to one ingest body: how many events are stored (Kafka acknowledged their batches), which
 * were rejected and why, which valid events were not stored and why, and, when the producer became
 * saturated part-way, from which line on nothing was taken. Every valid event is in exactly one of
 * accepted, notStored and notAttempted.
 *
 * @param accepted        events stored in Kafka (before the acknowledgements are in: events taken into batches)
 * @param saturatedAtLine the first line not taken because Kafka pushed back, or null
 * @param notAttempted    events from {@code saturatedAtLine} on
 * @param notStored       taken events whose batch Kafka refused or did not acknowledge in time, as line runs
 */
public record IngestOutcome(int accepted, List<Rejection> rejected, Integer saturatedAtLine, int notAttempted,
                            List<NotStored> notStored) {

    public IngestOutcome(int accepted, List<Rejection> rejected, Integer saturatedAtLine, int notAttempted) {
        this(accepted, rejected, saturatedAtLine, notAttempted, List.of());
    }

    /**
     * A run of events, by the lines they start on, that were taken but not stored.
     *
     * @param events how many events of the body the run holds (a JSON array may hold several on one line)
     * @param stillPending true when Kafka neither acknowledged nor refused within the wait: the events may
     *                     still be stored, and a resend may duplicate them
     */
    public record NotStored(int fromLine, int toLine, int events, String reason, boolean stillPending) {
    }

    public boolean saturated() {
        return saturatedAtLine != null;
    }

    public int notStoredEvents() {
        return notStored.stream().mapToInt(NotStored::events).sum();
    }
}
