package io.streamingarrow.producer.ingest;

import java.util.List;

/**
 * What happened to one ingest body: how many events were accepted, which were rejected and why, and,
 * when the producer became saturated part-way, from which line on nothing was taken.
 *
 * @param saturatedAtLine the first line not taken because Kafka pushed back, or null
 */
public record IngestOutcome(int accepted, List<Rejection> rejected, Integer saturatedAtLine, int notAttempted) {

    public boolean saturated() {
        return saturatedAtLine != null;
    }
}
