package io.streamingarrow.analyzer.consuming;

import java.util.List;
import java.util.concurrent.CompletionStage;

import io.streamingarrow.analyzer.alerting.AlertTransition;
import io.streamingarrow.analyzer.live.LiveFeed;
import io.streamingarrow.analyzer.windowing.ClosedWindow;

/** Sends results to Kafka and, as well, to the live page's feed. */
final class LiveOutputs implements Outputs {

    private final Outputs kafka;
    private final LiveFeed live;

    LiveOutputs(Outputs kafka, LiveFeed live) {
        this.kafka = kafka;
        this.live = live;
    }

    @Override
    public CompletionStage<Void> windows(List<ClosedWindow> closed) {
        live.windows(closed); // after a Kafka failure the page may see a window twice: it redraws it
        return kafka.windows(closed);
    }

    @Override
    public CompletionStage<Void> alert(AlertTransition transition) {
        live.alert(transition);
        return kafka.alert(transition);
    }

    @Override
    public void deadLetter(byte[] key, byte[] value, String reason, String topic, int partition, long offset, Runnable ack) {
        kafka.deadLetter(key, value, reason, topic, partition, offset, ack);
    }

    @Override
    public void deadLetterRows(byte[] key, byte[] value, String reason, String rows, int count, String topic, int partition,
                               long offset, Runnable ack) {
        kafka.deadLetterRows(key, value, reason, rows, count, topic, partition, offset, ack);
    }
}
