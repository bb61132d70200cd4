package io.streamingarrow.analyzer.consuming;

import java.util.List;

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
    public void windows(List<ClosedWindow> closed) {
        kafka.windows(closed);
        live.windows(closed);
    }

    @Override
    public void alert(AlertTransition transition) {
        kafka.alert(transition);
        live.alert(transition);
    }

    @Override
    public void deadLetter(byte[] key, byte[] value, String reason, String topic, int partition, long offset, Runnable ack) {
        kafka.deadLetter(key, value, reason, topic, partition, offset, ack);
    }
}
