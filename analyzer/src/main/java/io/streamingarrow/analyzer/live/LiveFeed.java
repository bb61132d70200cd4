package io.streamingarrow.analyzer.live;

import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.operators.multi.processors.BroadcastProcessor;
import io.streamingarrow.analyzer.alerting.AlertTransition;
import io.streamingarrow.analyzer.windowing.ClosedWindow;
import io.vertx.core.json.JsonObject;

/**
 * Closed windows and alert transitions as they happen, for the live page. A broadcast: each connected
 * page gets what happens while it is connected. Each connection buffers at most {@link #PER_CLIENT_BUFFER}
 * events (a watermark step can close thousands of windows at once); a page further behind than that has
 * its stream ended and reconnects (EventSource does so by itself), so a stuck page never holds memory.
 */
@ApplicationScoped
public class LiveFeed {

    static final int PER_CLIENT_BUFFER = 10_000;

    private final BroadcastProcessor<JsonObject> events = BroadcastProcessor.create();

    public Multi<JsonObject> stream() {
        return events.onOverflow().buffer(PER_CLIENT_BUFFER);
    }

    public void windows(List<ClosedWindow> closed) {
        for (ClosedWindow w : closed) {
            JsonObject event = new JsonObject().put("type", "window").put("device", w.device())
                    .put("start_us", w.startMicros()).put("end_us", w.endMicros()).put("rows", w.values().count());
            for (int m = 0; m < w.measures().size(); m++) {
                event.put(w.measures().get(m), w.values().mean(m));
            }
            events.onNext(event);
        }
    }

    public void alert(AlertTransition t) {
        events.onNext(new JsonObject().put("type", "alert").put("rule", t.rule()).put("severity", t.severity())
                .put("device", t.device()).put("state", t.state().name().toLowerCase()).put("value", t.value())
                .put("window_end_us", t.windowEndMicros()));
    }
}
