package io.streamingarrow.analyzer.consuming;

import java.util.List;
import java.util.concurrent.CompletionStage;

import io.streamingarrow.analyzer.alerting.AlertTransition;
import io.streamingarrow.analyzer.windowing.ClosedWindow;

/** Where results go besides PostgreSQL: Kafka in the service, lists in tests. */
public interface Outputs {

    /**
     * Publishes one device's closed windows (one message); the stage completes when the broker has
     * acknowledged it and fails if it will not be. The pipeline calls again, with the same windows, only
     * after a failure.
     */
    CompletionStage<Void> windows(List<ClosedWindow> closed);

    /** Publishes one alert transition; acknowledged as {@link #windows}. */
    CompletionStage<Void> alert(AlertTransition transition);

    /**
     * A message (or some of its rows, as their own Arrow message) that cannot be used: to the dead-letter
     * topic with its reason and Kafka origin, then {@code acknowledge} is called. {@code value} may be null
     * (a tombstone stays a tombstone).
     */
    void deadLetter(byte[] key, byte[] value, String reason, String topic, int partition, long offset, Runnable acknowledge);

    /**
     * Rows of a message refused one by one: {@code value} is an Arrow file of just those rows (or the whole
     * message if they could not be copied out), {@code rows} their indexes within the message as ranges
     * ({@code dlq-rows}), {@code count} how many ({@code dlq-row-count}).
     */
    void deadLetterRows(byte[] key, byte[] value, String reason, String rows, int count, String topic, int partition,
                        long offset, Runnable acknowledge);
}
