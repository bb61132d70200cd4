package io.streamingarrow.analyzer.alerting;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.streamingarrow.analyzer.windowing.ClosedWindow;

/**
 * Evaluates every rule on every closed window, per device, in window order, and reports transitions only:
 * an alert opens once and resolves once.
 */
public final class AlertEngine {

    private static final class Track {
        int consecutive;
        boolean open;
    }

    private final List<AlertRule> rules;
    private final Map<String, Track> tracks = new HashMap<>();

    public AlertEngine(List<AlertRule> rules) {
        this.rules = List.copyOf(rules);
    }

    /** Restores an alert that was open before a restart, so it is not opened twice. */
    public void restoreOpen(String rule, String device) {
        Track track = tracks.computeIfAbsent(rule + "\u0000" + device, k -> new Track());
        track.open = true;
    }

    public List<AlertTransition> evaluate(ClosedWindow window) {
        List<AlertTransition> transitions = new ArrayList<>();
        for (AlertRule rule : rules) {
            Track track = tracks.computeIfAbsent(rule.name() + "\u0000" + window.device(), k -> new Track());
            Double value = rule.when().value(window);
            if (!track.open) {
                track.consecutive = rule.when().holds(value) ? track.consecutive + 1 : 0;
                if (track.consecutive >= rule.forWindows()) {
                    track.open = true;
                    track.consecutive = 0;
                    transitions.add(transition(rule, window, AlertTransition.State.OPEN, value, rule.when()));
                }
            } else {
                Double resolveValue = rule.resolveWhen().value(window);
                if (rule.resolveWhen().holds(resolveValue)) {
                    track.open = false;
                    track.consecutive = 0;
                    transitions.add(transition(rule, window, AlertTransition.State.RESOLVED, resolveValue, rule.resolveWhen()));
                }
            }
        }
        return transitions;
    }

    public long openAlerts() {
        return tracks.values().stream().filter(t -> t.open).count();
    }

    private static AlertTransition transition(AlertRule rule, ClosedWindow window, AlertTransition.State state, Double value,
                                              Condition condition) {
        return new AlertTransition(rule.name(), rule.severity(), window.device(), state, window.startMicros(),
                window.endMicros(), value, condition.toString());
    }
}
