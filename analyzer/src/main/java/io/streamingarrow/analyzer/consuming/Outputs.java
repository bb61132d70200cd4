package io.streamingarrow.analyzer.consuming;

import java.util.List;

import io.streamingarrow.analyzer.alerting.AlertTransition;
import io.streamingarrow.analyzer.windowing.ClosedWindow;

/** Where results go besides PostgreSQL: Kafka in the service, lists in tests. */
public interface Outputs {

    void windows(List<ClosedWindow> closed);

    void alert(AlertTransition transition);

    /** A message that is not valid Arrow (or not usable): to the dead-letter topic, then acknowledged. */
    void deadLetter(byte[] key, byte[] value, String reason, String topic, int partition, long offset, Runnable acknowledge);
}
